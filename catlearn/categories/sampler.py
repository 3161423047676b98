"""The quasi-Borel sampler category: the Kleisli category of the sampler monad.

After Heunen, Kammar, Staton and Yang, a random element of ``X`` is a map
``Ω -> X``; here ``Ω`` is JAX's PRNG key space, so the sampler monad is
``S X = Key -> X`` and a morphism ``A -> B`` of its Kleisli category is a
function ``key, a -> b``:

* ``unit(x) = λk. x`` (return) — a deterministic sampler;
* ``bind(m, f) = λk. f(m(k₁))(k₂)`` with ``k₁, k₂ = split(k)``: the two
  halves of the key are independent, so composition and tensor of samplers
  are the composition and product of Markov kernels.

Copying a sampled wire copies the *value* (``copy`` is deterministic), so
``f >> copy`` is not ``copy >> f @ f`` unless ``f`` is deterministic: this is
a Markov category, and only deterministic boxes commute with copying.

A diagram's image is one function that runs its hypergraph as a straight
loop; box ``i`` receives the key ``fold_in(key, i)``, so the same key gives
the same draws and no two boxes share randomness.

>>> import jax, jax.numpy as jnp
>>> noise = Sampler(1, 1, lambda key, x: (x + jax.random.normal(key),))
>>> twice = samplers.compose(noise, noise)
>>> y = twice(jax.random.key(0), 0.0)
>>> bool(y == twice(jax.random.key(0), 0.0))   # same key, same draw
True
>>> bool(y == twice(jax.random.key(1), 0.0))
False
"""
from __future__ import annotations

from typing import Any, Callable, Sequence

import jax

from catlearn.categories.function import Function
from catlearn.functor import box_meaning
from catlearn.primitives.ops import prim_function
from catlearn.syntax.hypergraph import Hypergraph, evaluate
from catlearn.syntax.model import Const, Prim

Key = jax.Array


class Sampler(Function):
    """A morphism ``n_in -> n_out``: ``fn(key, *xs)`` returns a tuple of ``n_out``.

    Called as ``sampler(key, *xs)``: the key is one more argument of the
    jitted function, so everything else is as for :class:`Function`.
    """

    def __repr__(self) -> str:
        return f"Sampler({self.n_in} -> {self.n_out})"


def unit(n: int = 1) -> Sampler:
    """``return``: the deterministic sampler ``key, xs -> xs`` (the identity on ``n`` wires)."""
    return Sampler(n, n, lambda key, *xs: tuple(xs))


def bind(m: Sampler, f: Sampler) -> Sampler:
    """``m >>= f``: draw from ``m`` with one half of the key, feed ``f`` with the other.

    ``m : A -> B`` and the kernel ``f : B -> C`` give ``A -> C``; with ``A = I``
    this is the monad's bind on random elements, and in general it is Kleisli
    composition.
    """
    def run(key, *xs):
        k1, k2 = jax.random.split(key)
        return f.fn(k2, *m.fn(k1, *xs))
    return Sampler(m.n_in, f.n_out, run)


def deterministic(n_in: int, n_out: int, fn: Callable[..., tuple]) -> Sampler:
    """A function as a sampler that ignores its key (the unit of the monad after ``fn``)."""
    return Sampler(n_in, n_out, lambda key, *xs: tuple(fn(*xs)))


class Samplers:
    """The Kleisli category of the sampler monad, with its straight-line evaluator."""

    def lift(self, image: Any, box) -> Sampler:
        """A box's image as a :class:`Sampler`; a plain function is read as
        ``key, *xs -> y`` (one output) or a tuple of outputs."""
        if isinstance(image, Sampler):
            return image
        n_in, n_out = len(box.dom), len(box.cod)
        if n_out == 1:
            return Sampler(n_in, 1, lambda key, *xs: (image(key, *xs),))
        return Sampler(n_in, n_out, lambda key, *xs: tuple(image(key, *xs)))

    def id(self, ty: Sequence[Any]) -> Sampler:
        return unit(len(ty))

    def compose(self, f: Sampler, g: Sampler) -> Sampler:
        return bind(f, g)

    def tensor(self, f: Sampler, g: Sampler) -> Sampler:
        k = f.n_in

        def run(key, *xs):
            k1, k2 = jax.random.split(key)
            return tuple(f.fn(k1, *xs[:k])) + tuple(g.fn(k2, *xs[k:]))
        return Sampler(f.n_in + g.n_in, f.n_out + g.n_out, run)

    def swap(self, left: Sequence[Any], right: Sequence[Any]) -> Sampler:
        k = len(left)
        return Sampler(k + len(right), k + len(right), lambda key, *xs: xs[k:] + xs[:k])

    def copy(self, ty: Sequence[Any]) -> Sampler:
        return Sampler(len(ty), 2 * len(ty), lambda key, *xs: xs + xs)

    def discard(self, ty: Sequence[Any]) -> Sampler:
        return Sampler(len(ty), 0, lambda key, *xs: ())

    def evaluate(self, graph: Hypergraph, images: Sequence[Sampler], ob) -> Sampler:
        fns = [image.fn for image in images]

        def run(key, *xs):
            return evaluate(graph, lambda i, args: fns[i](jax.random.fold_in(key, i), *args), xs)
        return Sampler(len(graph.dom), len(graph.cod), run)


samplers = Samplers()


@box_meaning.register((Prim, Const), Samplers, object)
def _prim_as_sampler(box, cat, functor) -> Sampler:
    return deterministic(len(box.dom), len(box.cod), prim_function(box))
