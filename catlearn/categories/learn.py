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

Learners carry their types: ``dom`` and ``cod`` (a :class:`~catlearn.syntax.ty.Ty`,
or ``None`` for a learner made by hand without them), and composing learners
whose types differ is a :class:`~catlearn.errors.CompositionError` naming
both, when the composite is made, not when it is first trained.

The learners made by ``learn`` keep their parameters as :class:`Parameters`:
the *weights*, a dict from layer names (``dense_0``, ``dense_1``) to each
layer's own pytree (``{"w": ..., "b": ...}``), apart from the optimiser's
*state*. Composing two such learners merges their weights, numbering each
layer kind on from the first learner's, so ``learn(d1) >> learn(d2)`` and
``learn(d1 >> d2)`` name their weights alike; the states stay a pair, one
per optimiser.

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

import re
from collections import Counter

import jax.numpy as jnp
from typing import Any, Callable, NamedTuple, Optional, Sequence

from catlearn import display
from catlearn.categories.lens import Lens, simple_lenses
from catlearn.errors import DataError, NotSupportedError
from catlearn.syntax.diagram import Diagram
from catlearn.categories.para import Init, Para, Parametrised, no_parameters, pair_init
from catlearn.errors import CompositionError
from catlearn.options import checked_options
from catlearn.syntax.ty import Ty

Error = Callable[[tuple, tuple], Any]
Check = Callable[[tuple, tuple], None]


class Parameters(NamedTuple):
    """A learner's parameters: named ``weights`` and the optimiser's ``state``."""

    weights: dict
    state: Any = None


OPTIMISER_STATE = "optimiser state"
"""The name of :attr:`Parameters.state` among a learner's parameter names."""


def numbered(first: Sequence[str], then: Sequence[str]) -> list[str]:
    """The names of ``then``'s layers after ``first``'s: each kind numbered on.

    >>> numbered(["dense_0", "dense_1"], ["dense_0", "conv2d_0"])
    ['dense_2', 'conv2d_0']
    """
    seen = Counter(_kind(name) for name in first)
    out = []
    for name in then:
        kind = _kind(name)
        out.append(f"{kind}_{seen[kind]}")
        seen[kind] += 1
    return out


def _kind(name: str) -> str:
    return re.sub(r"_\d+$", "", name)


class _Merge:
    """How a composite's :class:`Parameters` split into its parts' and join back."""

    def __init__(self, f_layers: Sequence[str], g_layers: Sequence[str]):
        self.f_layers, self.g_layers = tuple(f_layers), tuple(g_layers)
        self.g_names = tuple(numbered(f_layers, g_layers))
        self.layers = self.f_layers + self.g_names

    def split(self, pq: Parameters) -> tuple[Parameters, Parameters]:
        w, s = pq.weights, pq.state
        sf, sg = (None, None) if s is None else s
        return (Parameters({n: w[n] for n in self.f_layers}, sf),
                Parameters({old: w[new] for old, new in zip(self.g_layers, self.g_names)}, sg))

    def join(self, p: Parameters, q: Parameters) -> Parameters:
        weights = dict(p.weights)
        weights.update({new: q.weights[old] for old, new in zip(self.g_layers, self.g_names)})
        return Parameters(weights, (p.state, q.state))

    def names(self, p: Parameters, q: Parameters) -> Parameters:
        """The composite's names (``dense_1 (dense(4, 1))``): each layer by its new
        name, the states as they were."""
        renamed = {new: new + q.weights[old][len(old):]
                   for old, new in zip(self.g_layers, self.g_names)}
        return Parameters({**p.weights, **renamed}, (p.state, q.state))


class _Pair:
    """Parameters of learners without layer names: the plain pair ``(p, q)``."""

    layers = None

    @staticmethod
    def split(pq):
        return pq

    @staticmethod
    def join(p, q):
        return p, q

    names = join


class Learner:
    """A morphism of Learn ``dom -> cod`` with ``n_in`` input and ``n_out`` output wires.

    ``layers`` names the weights of a learner whose parameters are
    :class:`Parameters` (``None`` for any other parameter pytree).
    """

    def __init__(self, init: Init, implement: Callable[..., tuple],
                 update: Callable[[Any, tuple, tuple], Any],
                 request: Callable[[Any, tuple, tuple], tuple],
                 n_in: int = 1, n_out: int = 1, error: Optional[Error] = None,
                 names: Any = (), check: Optional[Check] = None,
                 dom: Optional[Ty] = None, cod: Optional[Ty] = None,
                 layers: Optional[Sequence[str]] = None, n_targets: Optional[int] = None,
                 picture: Optional[Diagram] = None,
                 train_update: Optional[Callable[[Any, tuple, tuple, Any], Any]] = None):
        self.init, self.implement, self.update, self.request = init, implement, update, request
        #: the update in train mode, ``train_update(p, xs, ys, key)``, for a learner
        #: with stochastic layers (dropout): they draw from ``key``; ``update`` and
        #: ``implement`` are eval mode. ``None``: the learner has no train mode.
        self.train_update = train_update
        self.n_in, self.n_out, self.error, self.names = n_in, n_out, error, names
        self.check, self.picture = check, picture
        self.dom, self.cod = dom, cod
        self.layers = None if layers is None else tuple(layers)
        #: how many target arrays its error compares with the outputs
        self.n_targets = n_out if n_targets is None else n_targets

    def then(self, other: "Learner") -> "Learner":
        """The composite learner ``self ; other`` (``self >> other``)."""
        return learners.compose(self, _learner(self, ">>", other))

    def tensor(self, other: "Learner") -> "Learner":
        """The learners side by side (``self @ other``)."""
        return learners.tensor(self, _learner(self, "@", other))

    __rshift__ = then
    __matmul__ = tensor

    @checked_options
    def loss(self, params: Any, xs: Any, ys: Any) -> Any:
        """The error of the prediction on ``xs`` against the targets ``ys``
        (each a tuple of arrays, one per wire, or one array for one wire)."""
        xs, ys = as_wires(self, xs, ys, "loss")
        return self.error(tuple(self.implement(params, *xs)), ys)

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

    @property
    def signature(self) -> str:
        """``dom -> cod``, as error messages show a learner."""
        if self.dom is None or self.cod is None:
            return f"{self.n_in} wire(s) -> {self.n_out} wire(s)"
        return f"{self.dom} -> {self.cod}"

    def __repr__(self) -> str:
        return f"Learner({self.signature})"


def _class_of(f: Learner, g: Learner) -> type:
    """The class of a composite: the more specific of its parts' (a learner that
    knows how to train itself stays one when composed with a plain morphism)."""
    return type(g) if issubclass(type(g), type(f)) else type(f)


def _learner(first: Learner, op: str, other: Any) -> Learner:
    if not isinstance(other, Learner):
        what = "a diagram: learn(...) it first" if hasattr(other, "hypergraph") else \
            f"the {type(other).__name__} {other!r}"[:80]
        raise CompositionError(f"cannot compose the learner {first.signature} {op} {what}; "
                               "both sides must be learners")
    return other


def _compose_types(f: Learner, g: Learner) -> tuple[Optional[Ty], Optional[Ty]]:
    if f.cod is not None and g.dom is not None and f.cod != g.dom:
        raise CompositionError(f"cannot compose the learner {f.signature} with the learner "
                               f"{g.signature}: the first gives {f.cod}, the second takes "
                               f"{g.dom}")
    if f.n_out != g.n_in:
        raise CompositionError(f"cannot compose the learner {f.signature} with the learner "
                               f"{g.signature}: the first has {f.n_out} output wire(s), the "
                               f"second {g.n_in} input wire(s)")
    return f.dom, g.cod


def _merge(f: Learner, g: Learner):
    if f.layers is not None and g.layers is not None:
        return _Merge(f.layers, g.layers)
    return _Pair()


def _tensor_type(a: Optional[Ty], b: Optional[Ty]) -> Optional[Ty]:
    return None if a is None or b is None else a @ b


def wires(data: Any, name: str = "x") -> tuple:
    """The data for a learner's wires: one array, or a tuple/list of arrays."""
    arrays = tuple(data) if isinstance(data, (tuple, list)) else (data,)
    try:
        return tuple(jnp.asarray(a) for a in arrays)
    except (TypeError, ValueError):
        raise DataError(f"{name} must hold numbers: arrays of one shape each") from None


def as_wires(learner: Learner, x: Any, y: Any, owner: str) -> tuple[tuple, tuple]:
    """``x`` and ``y`` as one tuple of arrays per wire, refused (a DataError
    naming ``owner``) unless there is one array for each of the learner's
    input wires and one target for each of its outputs."""
    xs, ys = wires(x, "x"), wires(y, "y")
    for name, arrays, wanted, what in (("x", xs, learner.n_in, "input wire"),
                                       ("y", ys, learner.n_targets, "target")):
        if len(arrays) != wanted:
            raise DataError(f"{owner}: the learner {learner.signature} takes {wanted} {what}"
                            f"{'s' if wanted != 1 else ''}, so {name} must give {wanted} "
                            f"array{'s' if wanted != 1 else ''} (a tuple, one each); it gives "
                            f"{len(arrays)}")
    return xs, ys


def _leaves(names: Any) -> list[str]:
    """The names of a learner's parameters, flattened."""
    if isinstance(names, str):
        return [names] if names else []
    return [leaf for part in (names or ()) for leaf in _leaves(part)]


def _refuse_train_modes(f: Learner, g: Learner, op: str) -> None:
    """Composites of learners have no train mode (their update would run the
    stochastic layers in eval mode, silently): the network is composed first."""
    if f.train_update is not None or g.train_update is not None:
        raise NotSupportedError(
            f"{f!r} {op} {g!r}: a learner with dropout trains it in train mode only when "
            f"learn is given the whole network; write learn(a {op} b, ...) rather than "
            f"learn(a, ...) {op} learn(b, ...)")


class Learn:
    """The symmetric monoidal category of learners."""

    def id(self, ty) -> Learner:
        n = len(ty)
        return Learner(no_parameters, lambda p, *xs: xs, lambda p, xs, ys: p,
                       lambda p, xs, ys: tuple(ys), n, n)

    def compose(self, f: Learner, g: Learner) -> Learner:
        _refuse_train_modes(f, g, ">>")
        dom, cod = _compose_types(f, g)
        merge = _merge(f, g)

        def implement(pq, *xs):
            p, q = merge.split(pq)
            return g.implement(q, *f.implement(p, *xs))

        def update(pq, xs, zs):
            p, q = merge.split(pq)
            ys = tuple(f.implement(p, *xs))
            return merge.join(f.update(p, xs, g.request(q, ys, zs)), g.update(q, ys, zs))

        def request(pq, xs, zs):
            p, q = merge.split(pq)
            return f.request(p, xs, g.request(q, tuple(f.implement(p, *xs)), zs))

        return _class_of(f, g)(_joined_init(merge, f.init, g.init), implement, update, request,
                       f.n_in, g.n_out, g.error, merge.names(f.names, g.names), g.check,
                       dom, cod, merge.layers, g.n_targets)

    def tensor(self, f: Learner, g: Learner) -> Learner:
        _refuse_train_modes(f, g, "@")
        k, m = f.n_in, f.n_out
        merge = _merge(f, g)

        def implement(pq, *xs):
            p, q = merge.split(pq)
            return tuple(f.implement(p, *xs[:k])) + tuple(g.implement(q, *xs[k:]))

        def update(pq, xs, ys):
            p, q = merge.split(pq)
            return merge.join(f.update(p, xs[:k], ys[:m]), g.update(q, xs[k:], ys[m:]))

        def request(pq, xs, ys):
            p, q = merge.split(pq)
            return tuple(f.request(p, xs[:k], ys[:m])) + tuple(g.request(q, xs[k:], ys[m:]))

        t = f.n_targets

        def error(ys, targets):
            return f.error(ys[:m], targets[:t]) + g.error(ys[m:], targets[t:])

        def check(ys, targets):
            for h, outputs, wanted in ((f, ys[:m], targets[:t]), (g, ys[m:], targets[t:])):
                if h.check is not None:
                    h.check(outputs, wanted)

        both = f.error is not None and g.error is not None
        return _class_of(f, g)(_joined_init(merge, f.init, g.init), implement, update, request,
                       f.n_in + g.n_in, f.n_out + g.n_out, error if both else None,
                       merge.names(f.names, g.names), check, _tensor_type(f.dom, g.dom),
                       _tensor_type(f.cod, g.cod), merge.layers, f.n_targets + g.n_targets)

    def swap(self, left, right) -> Learner:
        k, m = len(left), len(right)
        return Learner(no_parameters, lambda p, *xs: xs[k:] + xs[:k], lambda p, xs, ys: p,
                       lambda p, xs, ys: tuple(ys[m:]) + tuple(ys[:m]), k + m, k + m)


def _joined_init(merge: Any, f: Init, g: Init) -> Init:
    paired = pair_init(f, g)
    return lambda key: merge.join(*paired(key))


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
