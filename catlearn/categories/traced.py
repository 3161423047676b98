"""Traced samplers: weighted samplers that record their sites.

The category inference runs on. A morphism ``A -> B`` is

    key, given, a  ->  (b, trace)

where ``given`` holds values for some sample sites and ``trace`` records the
value of every site together with two log-weights, the prior part (latent
sites) and the likelihood part (observed sites and ``factor``). It is the
weighted-sampler monad (:mod:`catlearn.categories.weighted`) with a reader
of ``given`` and a writer of traces, run by the family's one loop
(:func:`~catlearn.categories.sampler.run_boxes`). Box kinds get their
meaning from their owners: ``Prim``/``Const`` in :mod:`catlearn.primitives.ops`,
``Sample`` in :mod:`catlearn.distributions.sites`; this module gives the
structure:

* ``Score``: adds ``sum(x)`` to the likelihood part;
* ``Deterministic``: records a value the model computes (``theta = mu + tau *
  z``), Stan's transformed parameter, among the trace's ``deterministic`` sites;
* ``Plate``: the body's image under ``jax.vmap`` over the loop index
  (shared wires broadcast, given values sliced along their leading axis);
* ``Scan``: the body's image under ``lax.scan``, the state as the carry.

Which sites are given is said by the diagram, not by the category: a query
rewrites the named sample boxes into ``Observe``, ``Latent`` or ``Fixed``
boxes (:mod:`catlearn.syntax.condition`), which read their value from
``given``; ``Sample`` boxes draw. A given value may be :class:`Partial`: data
with missing elements. The sampler, likelihood-weighting, log-density and
prediction semantics are this one category applied to rewritten diagrams
(see :mod:`catlearn.inference.target`).
Keys are derived, never shared: box ``i`` gets ``fold_in(key, i)`` and
iteration ``t`` of a loop ``fold_in(key_box, t)``.

>>> import jax, jax.numpy as jnp
>>> from catlearn.functor import Functor
>>> from catlearn.syntax import Ty
>>> from catlearn.syntax.condition import Observe
>>> from catlearn.syntax.model import Const
>>> R = Ty("Real")
>>> d = (Const(0.0) @ Const(1.0)) >> Observe("z", "Normal", R @ R, R)
>>> run = Functor(cod=TracedSamplers(dims={}))(d)
>>> outs, trace = run.fn(jax.random.key(0), {"z": jnp.array(0.0)})
>>> round(float(trace.log_likelihood), 4)
-0.9189
"""
from __future__ import annotations

from typing import Any, Callable, Mapping, NamedTuple, Optional, Sequence

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from catlearn.categories.category import box_meaning
from catlearn.categories.sampler import Noise, independent, run_boxes
from catlearn.errors import NotSupportedError
from catlearn.syntax.diagram import Diagram
from catlearn.syntax.hypergraph import Hypergraph
from catlearn.syntax.model import (Deterministic, Model, Plate, Sample, Scan, Score,
                                   resolve_dim)

@jax.tree_util.register_pytree_node_class
class Piece:
    """The part of a site's value a box (or loop) produced, at a static index.

    ``index`` has one entry per leading axis it addresses: an int (``x[0]``)
    or a ``(start, stop)`` range (a loop). ``dist`` names the distribution.
    """

    def __init__(self, value: jax.Array, index: tuple = (), dist: str = ""):
        self.value, self.index, self.dist = value, index, dist

    def tree_flatten(self):
        return (self.value,), (self.index, self.dist)

    @classmethod
    def tree_unflatten(cls, aux, children):
        return cls(children[0], *aux)


@jax.tree_util.register_pytree_node_class
class Partial:
    """A given value with missing elements: ``data`` where ``observed`` holds;
    elsewhere drawn, or read from ``free`` (unconstrained values, whole shape)."""

    def __init__(self, data: jax.Array, observed: jax.Array, free: Any = None):
        self.data, self.observed, self.free = data, observed, free

    def tree_flatten(self):
        return (self.data, self.observed, self.free), None

    @classmethod
    def tree_unflatten(cls, aux, children):
        return cls(*children)


class Trace(NamedTuple):
    """Every site's value, its unconstrained value (continuous sites drawn or
    given unconstrained), the two parts of the log-weight, each observed
    site's log likelihood point by point (before it is summed; what
    leave-one-out cross-validation reads), and the values the model computes
    from its sites and reports (``deterministic``)."""

    values: dict
    unconstrained: dict
    log_prior: jax.Array
    log_likelihood: jax.Array
    pointwise: dict = {}   # never mutated: every Trace builds its own tables
    deterministic: dict = {}

    @staticmethod
    def empty() -> "Trace":
        return Trace({}, {}, jnp.zeros(()), jnp.zeros(()))

    @staticmethod
    def merge(traces: Sequence["Trace"]) -> "Trace":
        """The trace of boxes run one after another: pieces in order, weights added."""
        def joined(table):
            out: dict = {}
            for t in traces:
                for site, pieces in getattr(t, table).items():
                    out[site] = out.get(site, ()) + pieces
            return out
        return Trace(joined("values"), joined("unconstrained"),
                     sum((t.log_prior for t in traces), jnp.zeros(())),
                     sum((t.log_likelihood for t in traces), jnp.zeros(())),
                     joined("pointwise"), joined("deterministic"))

    def stacked(self, start: int, stop: int, at: Callable[[str], tuple] = lambda site: ()
                ) -> "Trace":
        """The trace of a loop over ``range(start, stop)`` from its stacked iterations;
        ``at(site)`` is the static index the loop writes the site's family at."""
        def widen(table):
            return {site: tuple(Piece(p.value, at(site) + ((start, stop),) + p.index, p.dist)
                                for p in pieces) for site, pieces in table.items()}
        return Trace(widen(self.values), widen(self.unconstrained),
                     jnp.sum(self.log_prior), jnp.sum(self.log_likelihood),
                     widen(self.pointwise), widen(self.deterministic))

    def sites(self) -> dict:
        """Each site's whole value, assembled from its pieces (NaN where none is: a
        site sampled in a loop over ``range(K, T)`` only)."""
        return {site: assemble(site, pieces) for site, pieces in self.values.items()}

    def unconstrained_sites(self) -> dict:
        return {site: assemble(site, pieces) for site, pieces in self.unconstrained.items()}

    def pointwise_sites(self) -> dict:
        """Each observed site's log likelihood, element by element."""
        return {site: assemble(site, pieces) for site, pieces in self.pointwise.items()}

    def deterministic_sites(self) -> dict:
        """Each reported value the model computes, assembled from its pieces."""
        return {name: assemble(name, pieces) for name, pieces in self.deterministic.items()}



def assemble(site: str, pieces: Sequence[Piece]) -> jax.Array:
    """A site's value from pieces along its leading axis (``x[0]`` and ``x[1:T]``).
    Elements no piece covers are NaN: a site or value defined in a loop over
    ``range(K, T)`` only, as Stan's ``for (t in (K+1):T) y[t] ~ ...`` leaves
    ``y[1:K]`` to the data, or an unassigned Stan variable."""
    if len(pieces) == 1 and pieces[0].index == ():
        return pieces[0].value
    parts, end = [], 0
    for piece in sorted(pieces, key=lambda p: _span(site, p)[0]):
        start, stop = _span(site, piece)
        value = piece.value if isinstance(piece.index[0], tuple) else piece.value[None]
        if start != end:
            real = jnp.promote_types(value.dtype, jnp.result_type(float))
            parts.append(jnp.full((start - end,) + value.shape[1:], jnp.nan, real))
        parts.append(value)
        end = stop
    rows = {tuple(part.shape[1:]) for part in parts}
    if len(rows) > 1:
        raise NotSupportedError(f"the rows of site '{site}' differ in shape: "
                                f"{' and '.join(str(list(r)) for r in sorted(rows))}")
    return jnp.concatenate(parts)


def _span(site: str, piece: Piece) -> tuple[int, int]:
    if not piece.index:
        raise NotSupportedError(f"site '{site}' is sampled both whole and element by element")
    head = piece.index[0]
    inner = [i for i in piece.index[1:] if isinstance(i, tuple) and i[0] != 0]
    if inner:
        raise NotSupportedError(f"the values of site '{site}' leave a gap: a loop over "
                                f"range({inner[0][0]}, {inner[0][1]}) inside another never "
                                f"samples the elements before {inner[0][0]} of its axis")
    if isinstance(head, tuple):
        return head
    if not all(isinstance(i, tuple) for i in piece.index[1:]):  # a row x[0, 0:K] is one
        raise NotSupportedError(f"site '{site}': sampling single elements of a matrix "
                                f"({site}{list(piece.index)}) is not supported")
    return head, head + 1


def covered(shape: tuple, pieces: Sequence[Piece]) -> Optional[np.ndarray]:
    """Where a site of ``shape`` has values: the elements its pieces cover (all of
    them but for a site defined in a loop over ``range(K, T)`` only); ``None`` when
    they cover all of it (a site too large to hold is not masked to learn so)."""
    if any(all(isinstance(i, tuple) and i == (0, n) for i, n in zip(p.index, shape))
           for p in pieces):
        return None
    mask = np.zeros(shape, bool)
    for piece in pieces:
        mask[numpy_index(piece.index)] = True
    return None if mask.all() else mask


def numpy_index(index: tuple) -> tuple:
    """A piece's index as a NumPy index (its ``(start, stop)`` ranges as slices)."""
    return tuple(slice(*i) if isinstance(i, tuple) else i for i in index)


def slice_at(value: Any, index: tuple) -> Any:
    """The part of a whole site's given value (an array or :class:`Partial`) at a piece's index."""
    return jax.tree.map(lambda v: v[numpy_index(index)], value)


class Traced:
    """A morphism ``n_in -> n_out``: ``fn(key, given, *xs) -> (outputs, Trace)``."""

    def __init__(self, n_in: int, n_out: int, fn: Callable[..., tuple]):
        self.n_in, self.n_out, self.fn = n_in, n_out, fn

    def __repr__(self) -> str:
        return f"Traced({self.n_in} -> {self.n_out})"


def deterministic(n_in: int, n_out: int, fn: Callable[..., tuple]) -> Traced:
    """A function as a traced sampler that draws and records nothing."""
    return Traced(n_in, n_out, lambda key, given, *xs: (tuple(fn(*xs)), Trace.empty()))


class TracedSamplers:
    """The category of traced samplers, for one binding of the model's
    dimensions (``dims``, argument name to int)."""

    def __init__(self, dims: Mapping[str, Any], noise: Noise = independent):
        self.dims, self.noise = dict(dims), noise

    def range(self, loop) -> tuple[int, int]:
        return resolve_dim(loop.start, self.dims), resolve_dim(loop.stop, self.dims)

    def id(self, ty: Sequence[Any]) -> Traced:
        return deterministic(len(ty), len(ty), lambda *xs: xs)

    def compose(self, f: Traced, g: Traced) -> Traced:
        def run(key, given, *xs):
            k1, k2 = self.noise.split(key)
            ys, t1 = f.fn(k1, given, *xs)
            zs, t2 = g.fn(k2, given, *ys)
            return zs, Trace.merge([t1, t2])
        return Traced(f.n_in, g.n_out, run)

    def tensor(self, f: Traced, g: Traced) -> Traced:
        k = f.n_in

        def run(key, given, *xs):
            k1, k2 = self.noise.split(key)
            ys, t1 = f.fn(k1, given, *xs[:k])
            zs, t2 = g.fn(k2, given, *xs[k:])
            return tuple(ys) + tuple(zs), Trace.merge([t1, t2])
        return Traced(f.n_in + g.n_in, f.n_out + g.n_out, run)

    def swap(self, left: Sequence[Any], right: Sequence[Any]) -> Traced:
        k = len(left)
        return deterministic(k + len(right), k + len(right), lambda *xs: xs[k:] + xs[:k])

    def copy(self, ty: Sequence[Any]) -> Traced:
        return deterministic(len(ty), 2 * len(ty), lambda *xs: xs + xs)

    def discard(self, ty: Sequence[Any]) -> Traced:
        return deterministic(len(ty), 0, lambda *xs: ())

    def evaluate(self, graph: Hypergraph, images: Sequence[Traced], ob) -> Traced:
        fns = [image.fn for image in images]

        def run(key, given, *xs):
            traces = []

            def call(k, i, args):
                outs, trace = fns[i](k, given, *args)
                traces.append(trace)
                return outs
            outs = run_boxes(graph, call, key, xs, self.noise)
            return outs, Trace.merge(traces)
        return Traced(len(graph.dom), len(graph.cod), run)


@box_meaning.register(Score, TracedSamplers, object)
def _score(box, cat, functor) -> Traced:
    def run(key, given, *xs):
        weight = sum((jnp.sum(x) for x in xs), jnp.zeros(()))
        return (), Trace({}, {}, jnp.zeros(()), weight)
    return Traced(len(box.dom), 0, run)


@box_meaning.register(Deterministic, TracedSamplers, object)
def _deterministic(box, cat, functor) -> Traced:
    def run(key, given, x):
        return (), Trace({}, {}, jnp.zeros(()), jnp.zeros(()),
                         deterministic={box.site: (Piece(x, box.index),)})
    return Traced(1, 0, run)


def _loop_inputs(cat: TracedSamplers, box, key, given):
    """The per-iteration keys, indices and given values of a loop."""
    start, stop = cat.range(box)
    inner = {b.site for b in _sites(box.body)}
    index = jnp.arange(start, stop)
    keys = jax.vmap(lambda t: jax.random.fold_in(key, t))(index)
    sliced = {site: jax.tree.map(lambda v: v[box.at_of(site)][start:stop], value)
              for site, value in given.items() if site in inner}
    return start, stop, keys, index, sliced


def _sites(diagram: Diagram) -> list[Sample]:
    return Model("body", [], diagram).sites()


@box_meaning.register(Plate, TracedSamplers, object)
def _plate(box, cat, functor) -> Traced:
    body = functor(box.body)
    n_shared = len(box.dom)

    def run(key, given, *shared):
        start, stop, keys, index, sliced = _loop_inputs(cat, box, key, given)
        outs, trace = jax.vmap(body.fn, in_axes=(0, 0, 0) + (None,) * n_shared)(
            keys, sliced, index, *shared)
        return tuple(outs), trace.stacked(start, stop, box.at_of)
    return Traced(n_shared, len(box.cod), run)


@box_meaning.register(Scan, TracedSamplers, object)
def _scan(box, cat, functor) -> Traced:
    body, n_state = functor(box.body), box.n_state

    def run(key, given, *xs):
        state, shared = tuple(xs[:n_state]), xs[n_state:]
        start, stop, keys, index, sliced = _loop_inputs(cat, box, key, given)

        def step(carry, inputs):
            k, g, t = inputs
            outs, trace = body.fn(k, g, t, *carry, *shared)
            return tuple(outs[:n_state]), (tuple(outs[n_state:]), trace)
        final, (outputs, trace) = lax.scan(step, state, (keys, sliced, index))
        return final + outputs, trace.stacked(start, stop, box.at_of)
    return Traced(len(box.dom), len(box.cod), run)
