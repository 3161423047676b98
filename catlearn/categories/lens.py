"""Lenses: a forward map paired with a backward map, composed like the chain rule.

A lens ``(A, A') -> (B, B')`` is ``get : A -> B`` with ``put : A × B' -> A'``.
Lenses compose by running ``get`` forwards and ``put`` backwards::

    (f ; g).get = g.get ∘ f.get
    (f ; g).put(a, c') = f.put(a, g.put(f.get(a), c'))

Two categories share these lenses and differ only in copying and discarding:

* :data:`lenses`, the image of JAX functions under the reverse derivative
  (Cockett et al.): ``put`` is the reverse derivative ``R[f](a, b') = J_f(a)ᵀ b'``,
  built by :func:`reverse_derivative` from ``jax.vjp``. Copying's backward
  pass adds the two cotangents; discarding's is zero.
* :data:`simple_lenses`, the lenses ``(A, A) -> (B, B)`` of *Learners'
  Languages*, whose backward pass returns a new point of ``A`` (an updated
  parameter, a requested input) rather than a cotangent; discarding's
  backward pass leaves the point as it was.

A lens with ``n_in`` input wires and ``n_out`` output wires has
``get(*xs) -> ys`` and ``put(xs, dys) -> dxs`` on tuples of wire values.

>>> import jax.numpy as jnp
>>> square = reverse_derivative(lambda x: (x ** 2,), 1, 1)
>>> float(square.get(3.0)[0]), float(square.put((3.0,), (1.0,))[0])
(9.0, 6.0)
>>> twice = lenses.compose(lenses.copy([float]), Lens(2, 1, lambda a, b: (a * b,),
...                        lambda xs, dys: (dys[0] * xs[1], dys[0] * xs[0])))
>>> float(twice.put((3.0,), (1.0,))[0])  # d(x·x)/dx: copy adds the two branches
6.0
"""
from __future__ import annotations

from typing import Any, Callable, Sequence

import jax
import jax.numpy as jnp

from catlearn.categories.category import fold
from catlearn.categories.para import Para, Parametrised
from catlearn.errors import NotSupportedError
from catlearn.syntax.hypergraph import Hypergraph


class Lens:
    """A lens with ``n_in`` input and ``n_out`` output wires."""

    def __init__(self, n_in: int, n_out: int, get: Callable[..., tuple],
                 put: Callable[[tuple, tuple], tuple]):
        self.n_in, self.n_out, self.get, self.put = n_in, n_out, get, put

    def then(self, other: "Lens") -> "Lens":
        """Sequential composition ``self ; other``."""
        return compose(self, other)

    def tensor(self, other: "Lens") -> "Lens":
        """Parallel composition ``self ⊗ other``."""
        return tensor(self, other)

    __rshift__ = then
    __matmul__ = tensor

    def __repr__(self) -> str:
        return f"Lens({self.n_in} -> {self.n_out})"


def compose(f: Lens, g: Lens) -> Lens:
    def put(xs, dzs):
        return f.put(xs, g.put(tuple(f.get(*xs)), dzs))
    return Lens(f.n_in, g.n_out, lambda *xs: tuple(g.get(*f.get(*xs))), put)


def tensor(f: Lens, g: Lens) -> Lens:
    k, m = f.n_in, f.n_out
    return Lens(f.n_in + g.n_in, f.n_out + g.n_out,
                lambda *xs: tuple(f.get(*xs[:k])) + tuple(g.get(*xs[k:])),
                lambda xs, dys: tuple(f.put(xs[:k], dys[:m])) + tuple(g.put(xs[k:], dys[m:])))


def reverse_derivative(fn: Callable[..., tuple], n_in: int, n_out: int) -> Lens:
    """The lens ``(fn, R[fn])`` of a smooth map, its backward pass from ``jax.vjp``."""
    def put(xs, dys):
        _, pullback = jax.vjp(lambda *args: tuple(fn(*args)), *xs)
        return pullback(tuple(dys))
    return Lens(n_in, n_out, lambda *xs: tuple(fn(*xs)), put)


class Lenses:
    """Identities, composition, tensor and symmetry shared by both lens categories."""

    def id(self, ty: Sequence[Any]) -> Lens:
        return Lens(len(ty), len(ty), lambda *xs: xs, lambda xs, dys: tuple(dys))

    compose = staticmethod(compose)
    tensor = staticmethod(tensor)

    def swap(self, left: Sequence[Any], right: Sequence[Any]) -> Lens:
        k, m = len(left), len(right)
        return Lens(k + m, k + m, lambda *xs: xs[k:] + xs[:k],
                    lambda xs, dys: tuple(dys[m:]) + tuple(dys[:m]))

    def unpair(self, n: int) -> Lens:
        """One wire holding an ``n``-tuple, spread on ``n`` wires (and back)."""
        return Lens(1, n, lambda pair: tuple(pair), lambda xs, dys: (tuple(dys),))

    def evaluate(self, graph: Hypergraph, images: Sequence[Lens], ob) -> Lens:
        return fold(self, graph, images, ob)


class ReverseDerivativeLenses(Lenses):
    """Lenses of a reverse derivative category: cotangents flow backwards."""

    def copy(self, ty: Sequence[Any]) -> Lens:
        n = len(ty)
        return Lens(n, 2 * n, lambda *xs: xs + xs,
                    lambda xs, dys: tuple(jax.tree.map(jnp.add, a, b)
                                          for a, b in zip(dys[:n], dys[n:])))

    def discard(self, ty: Sequence[Any]) -> Lens:
        return Lens(len(ty), 0, lambda *xs: (),
                    lambda xs, dys: tuple(jax.tree.map(jnp.zeros_like, x) for x in xs))

    def lift(self, image: Any, box) -> Lens:
        """A box's image: a lens, or a smooth function returning a tuple."""
        if isinstance(image, Lens):
            return image
        return reverse_derivative(image, len(box.dom), len(box.cod))


class SimpleLenses(Lenses):
    """Lenses ``(A, A) -> (B, B)``: the backward pass returns a new point of ``A``."""

    def discard(self, ty: Sequence[Any]) -> Lens:
        return Lens(len(ty), 0, lambda *xs: (), lambda xs, dys: tuple(xs))

    def copy(self, ty: Sequence[Any]) -> Lens:
        # two requested points of A have no canonical merge: that needs an
        # error function, which is what the backprop functor supplies
        raise NotSupportedError("simple lenses cannot copy a wire: merging two "
                                "requests needs an error function (use backprop)")


lenses = ReverseDerivativeLenses()
simple_lenses = SimpleLenses()
para_lenses = Para(lenses)
"""Para(Lens): parametric lenses, parameters on the first wire."""


def parametric_lens(f: Parametrised) -> Parametrised:
    """The image of a morphism of Para(Euc) in Para(Lens): the same parameters,
    the reverse-derivative lens of its map (the functor Para(R))."""
    arrow = f.arrow
    return Parametrised(reverse_derivative(arrow.fn, arrow.n_in, arrow.n_out), f.init, f.names,
                        f.dom, f.cod, f.picture)
