"""Learn: the category of learners of *Backprop as Functor* (Fong, Spivak, Tuyéras).

A learner ``A -> B`` is ``(P, I, U, r)``: a parameter space ``P`` (here an
``init(key)`` drawing a pytree), an implementation ``I : P × A -> B``, an
update ``U : P × A × B -> P`` and a request ``r : P × A × B -> A``. With
``b = I(p, a)`` and ``b' = s(q, b, c)`` (the request of the second learner),
composition and tensor are::

    (I ; J)((p, q), a)    = J(q, I(p, a))
    (U ; V)((p, q), a, c) = (U(p, a, b'), V(q, b, c))
    (r ; s)((p, q), a, c) = r(p, a, b')
    (I ⊗ J)((p, q), (a, c)) = (I(p, a), J(q, c)), and U, r componentwise.

Wires are tuples: ``implement(p, *xs) -> ys``, ``update(p, xs, ys) -> p``,
``request(p, xs, ys) -> xs``, on batches (a leading axis on every wire).
A learner may also carry the ``error(ys, targets)`` it descends, which is
not part of ``(P, I, U, r)``: composites report the last learner's error,
tensors the sum, and training uses it to show progress and catch NaNs. With
it may come ``check(outputs, targets)``, run once before training, which
refuses targets that error cannot compare with outputs of those shapes.

Learners are the parametrised simple lenses (Spivak, *Learners'
Languages*): :func:`as_para_lens` and :func:`from_para_lens` are the two
halves of ``Learn ≅ Para(SLens)``.

>>> import jax.numpy as jnp
>>> half = Learner(lambda key: 0.0, lambda p, x: (p * x,),
...                lambda p, xs, ys: p + 0.1 * jnp.mean((ys[0] - p * xs[0]) * xs[0]),
...                lambda p, xs, ys: xs)
>>> two = half >> half
>>> float(two.implement((2.0, 3.0), jnp.ones(1))[0][0])
6.0
"""
from __future__ import annotations

from typing import Any, Callable, Optional

from catlearn import display
from catlearn.categories.lens import Lens, simple_lenses
from catlearn.errors import NotSupportedError
from catlearn.syntax.diagram import Diagram
from catlearn.categories.para import Init, Para, Parametrised, no_parameters, pair_init

Error = Callable[[tuple, tuple], Any]
Check = Callable[[tuple, tuple], None]


class Learner:
    """A morphism of Learn with ``n_in`` input and ``n_out`` output wires."""

    def __init__(self, init: Init, implement: Callable[..., tuple],
                 update: Callable[[Any, tuple, tuple], Any],
                 request: Callable[[Any, tuple, tuple], tuple],
                 n_in: int = 1, n_out: int = 1, error: Optional[Error] = None,
                 names: Any = (), check: Optional[Check] = None,
                 picture: Optional[Diagram] = None):
        self.init, self.implement, self.update, self.request = init, implement, update, request
        self.n_in, self.n_out, self.error, self.names = n_in, n_out, error, names
        self.check, self.picture = check, picture

    def then(self, other: "Learner") -> "Learner":
        """The composite learner ``self ; other`` (``self >> other``)."""
        return learners.compose(self, other)

    def tensor(self, other: "Learner") -> "Learner":
        """The learners side by side (``self @ other``)."""
        return learners.tensor(self, other)

    __rshift__ = then
    __matmul__ = tensor

    def loss(self, params: Any, xs: tuple, ys: tuple) -> Any:
        """The error of the prediction on ``xs`` against the targets ``ys``."""
        return self.error(tuple(self.implement(params, *xs)), tuple(ys))

    # Training is an algorithm, not part of the category: these delegate to
    # catlearn.learning.train, imported when first used.
    def fit(self, params: Any, x: Any, y: Any, epochs: int = 1, batch_size: int = 32,
            key: Any = None, **options: Any):
        """Train on ``(x, y)``; returns the trained parameters and the loss history.
        See :func:`catlearn.learning.train.fit`."""
        from catlearn.learning.train import fit
        return fit(self, params, x, y, epochs=epochs, batch_size=batch_size, key=key,
                   **options)

    def predict(self, params: Any, x: Any) -> Any:
        """The implementation on a batch ``x`` (one bare output when there is one)."""
        from catlearn.learning.train import predict
        return predict(self, params, x)

    def accuracy(self, params: Any, x: Any, y: Any) -> float:
        """The fraction of ``x`` whose predicted class is ``y``."""
        from catlearn.learning.train import accuracy
        return accuracy(self, params, x, y)

    def __repr__(self) -> str:
        return f"Learner({self.n_in} -> {self.n_out})"

    # -- pictures: a learner made by learn() keeps the diagram it trains -------------

    def draw(self, path: Optional[str] = None, **options: Any) -> Any:
        """The learner's picture: its parameters as wires from above into the
        boxes that own them, the loss at the bottom (a matplotlib Figure)."""
        if self.picture is None:
            raise NotSupportedError(f"{self!r} has no picture: only learners made by "
                                    "learn(diagram, ...) know the diagram they train")
        return self.picture.draw(path, **options)

    def _repr_svg_(self) -> Optional[str]:
        from catlearn.syntax.drawing import svg_of
        return None if self.picture is None else svg_of(self.draw())

    def _repr_html_(self) -> str:
        names = ", ".join(_leaves(self.names)) or "none"
        return display.block(repr(self), [display.text(f"parameters: {names}")],
                             picture=self._repr_svg_())


def _leaves(names: Any) -> list[str]:
    """The names of a learner's parameters, flattened."""
    if isinstance(names, str):
        return [names] if names else []
    return [leaf for part in (names or ()) for leaf in _leaves(part)]


class Learn:
    """The symmetric monoidal category of learners."""

    def id(self, ty) -> Learner:
        n = len(ty)
        return Learner(no_parameters, lambda p, *xs: xs, lambda p, xs, ys: p,
                       lambda p, xs, ys: tuple(ys), n, n)

    def compose(self, f: Learner, g: Learner) -> Learner:
        def implement(pq, *xs):
            p, q = pq
            return g.implement(q, *f.implement(p, *xs))

        def update(pq, xs, zs):
            p, q = pq
            ys = tuple(f.implement(p, *xs))
            return f.update(p, xs, g.request(q, ys, zs)), g.update(q, ys, zs)

        def request(pq, xs, zs):
            p, q = pq
            return f.request(p, xs, g.request(q, tuple(f.implement(p, *xs)), zs))

        return Learner(pair_init(f.init, g.init), implement, update, request,
                       f.n_in, g.n_out, g.error, (f.names, g.names), g.check)

    def tensor(self, f: Learner, g: Learner) -> Learner:
        k, m = f.n_in, f.n_out

        def implement(pq, *xs):
            p, q = pq
            return tuple(f.implement(p, *xs[:k])) + tuple(g.implement(q, *xs[k:]))

        def update(pq, xs, ys):
            p, q = pq
            return f.update(p, xs[:k], ys[:m]), g.update(q, xs[k:], ys[m:])

        def request(pq, xs, ys):
            p, q = pq
            return tuple(f.request(p, xs[:k], ys[:m])) + tuple(g.request(q, xs[k:], ys[m:]))

        def error(ys, targets):
            return f.error(ys[:m], targets[:m]) + g.error(ys[m:], targets[m:])

        def check(ys, targets):
            for h, outputs, wanted in ((f, ys[:m], targets[:m]), (g, ys[m:], targets[m:])):
                if h.check is not None:
                    h.check(outputs, wanted)

        both = f.error is not None and g.error is not None
        return Learner(pair_init(f.init, g.init), implement, update, request,
                       f.n_in + g.n_in, f.n_out + g.n_out, error if both else None,
                       (f.names, g.names), check)

    def swap(self, left, right) -> Learner:
        k, m = len(left), len(right)
        return Learner(no_parameters, lambda p, *xs: xs[k:] + xs[:k], lambda p, xs, ys: p,
                       lambda p, xs, ys: tuple(ys[m:]) + tuple(ys[:m]), k + m, k + m)


learners = Learn()
slens_para = Para(simple_lenses)
"""Para(SLens), the other side of ``Learn ≅ Para(SLens)``."""


def as_para_lens(learner: Learner) -> Parametrised:
    """A learner as a parametrised simple lens ``P ⊗ A -> B``:
    get is ``I``, put returns the updated parameters then the request."""
    def put(pxs, ys):
        p, xs = pxs[0], tuple(pxs[1:])
        return (learner.update(p, xs, ys),) + tuple(learner.request(p, xs, ys))

    def get(p, *xs):
        return tuple(learner.implement(p, *xs))

    return Parametrised(Lens(learner.n_in + 1, learner.n_out, get, put),
                        learner.init, learner.names)


def from_para_lens(lens: Parametrised, error: Optional[Error] = None) -> Learner:
    """A parametrised simple lens as a learner: ``I = get``, ``(U, r) = put``."""
    arrow = lens.arrow
    return Learner(lens.init, lambda p, *xs: tuple(arrow.get(p, *xs)),
                   lambda p, xs, ys: arrow.put((p,) + tuple(xs), ys)[0],
                   lambda p, xs, ys: tuple(arrow.put((p,) + tuple(xs), ys)[1:]),
                   lens.n_in, lens.n_out, error, lens.names)
