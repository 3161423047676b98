"""The meaning of a model's diagram: a weighted sampler that records its sites.

One functor, out of the model IR of :mod:`catlearn.syntax.model`, into the
category of *site samplers*: a morphism ``A -> B`` is

    key, given, a  ->  (b, trace)

where ``given`` holds values for some sample sites and ``trace`` records the
value of every site together with two log-weights, the prior part (latent
sites) and the likelihood part (observed sites and ``factor``). It is the
weighted-sampler monad (:mod:`catlearn.categories.weighted`) with a reader
of ``given`` and a writer of traces. Each box kind means:

* ``Prim``/``Const``: its JAX function (:func:`~catlearn.primitives.ops.prim_function`);
* ``Sample`` at a site with no given value: a draw from the distribution
  (the sampler semantics); with a given value, a *score* box — the value is
  read, not drawn, and its log density is added to the weight. How the value
  is read is the site's mode: ``OBSERVED`` data (likelihood), ``FIXED``
  constrained values (prior; posterior predictive), ``LATENT`` unconstrained
  values pushed through the support's bijection, adding the log-Jacobian
  (prior; the log-density semantics);
* ``Score``: adds ``sum(x)`` to the likelihood part;
* ``Plate``: the body's image under ``jax.vmap`` over the loop index
  (shared wires broadcast, given values sliced along their leading axis);
* ``Scan``: the body's image under ``lax.scan``, the state as the carry.

The sampler, likelihood-weighting and log-density semantics of the issue are
this one functor with different modes (see :mod:`catlearn.inference.target`).
Keys are derived, never shared: box ``i`` gets ``fold_in(key, i)`` and
iteration ``t`` of a loop ``fold_in(key_box, t)``.

>>> import jax, jax.numpy as jnp
>>> from catlearn.syntax import Ty
>>> from catlearn.syntax.model import Const, Sample
>>> R = Ty("Real")
>>> d = (Const(0.0) @ Const(1.0)) >> Sample("z", "Normal", R @ R, R)
>>> run = SiteSamplers(dims={}, modes={"z": OBSERVED}).image(d)
>>> outs, trace = run.fn(jax.random.key(0), {"z": jnp.array(0.0)})
>>> round(float(trace.log_likelihood), 4)
-0.9189
"""
from __future__ import annotations

from typing import Any, Callable, Mapping, NamedTuple, Sequence

import jax
import jax.numpy as jnp
from jax import lax

from catlearn.distributions import get as get_distribution
from catlearn.errors import NotSupportedError
from catlearn.functor import Functor, box_meaning
from catlearn.primitives.ops import prim_function
from catlearn.syntax.diagram import Diagram
from catlearn.syntax.hypergraph import Hypergraph, evaluate
from catlearn.syntax.model import Const, Plate, Prim, Sample, Scan, Score, resolve_dim

OBSERVED, FIXED, LATENT = "observed", "fixed", "latent"


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


class Trace(NamedTuple):
    """Every site's value, its unconstrained value (continuous sites drawn or
    given unconstrained), and the two parts of the log-weight."""

    values: dict
    unconstrained: dict
    log_prior: jax.Array
    log_likelihood: jax.Array

    @staticmethod
    def empty() -> "Trace":
        return Trace({}, {}, jnp.zeros(()), jnp.zeros(()))

    @staticmethod
    def merge(traces: Sequence["Trace"]) -> "Trace":
        """The trace of boxes run one after another: pieces in order, weights added."""
        values: dict = {}
        unconstrained: dict = {}
        for t in traces:
            for site, pieces in t.values.items():
                values[site] = values.get(site, ()) + pieces
            for site, pieces in t.unconstrained.items():
                unconstrained[site] = unconstrained.get(site, ()) + pieces
        return Trace(values, unconstrained, sum((t.log_prior for t in traces), jnp.zeros(())),
                     sum((t.log_likelihood for t in traces), jnp.zeros(())))

    def stacked(self, start: int, stop: int) -> "Trace":
        """The trace of a loop over ``range(start, stop)`` from its stacked iterations."""
        def widen(table):
            return {site: tuple(Piece(p.value, ((start, stop),) + p.index, p.dist)
                                for p in pieces) for site, pieces in table.items()}
        return Trace(widen(self.values), widen(self.unconstrained),
                     jnp.sum(self.log_prior), jnp.sum(self.log_likelihood))

    def sites(self) -> dict:
        """Each site's whole value, assembled from its pieces."""
        return {site: assemble(site, pieces) for site, pieces in self.values.items()}

    def unconstrained_sites(self) -> dict:
        return {site: assemble(site, pieces) for site, pieces in self.unconstrained.items()}


def assemble(site: str, pieces: Sequence[Piece]) -> jax.Array:
    """A site's value from pieces covering its leading axis (``x[0]`` and ``x[1:T]``)."""
    if len(pieces) == 1 and pieces[0].index == ():
        return pieces[0].value
    parts, end = [], 0
    for piece in sorted(pieces, key=lambda p: _span(site, p)[0]):
        start, stop = _span(site, piece)
        if start != end:
            raise NotSupportedError(f"the values of site '{site}' leave a gap: elements "
                                    f"{end} to {start - 1} are never sampled")
        parts.append(piece.value if isinstance(piece.index[0], tuple) else piece.value[None])
        end = stop
    return jnp.concatenate(parts)


def _span(site: str, piece: Piece) -> tuple[int, int]:
    if not piece.index:
        raise NotSupportedError(f"site '{site}' is sampled both whole and element by element")
    head = piece.index[0]
    if isinstance(head, tuple):
        return head
    if len(piece.index) > 1:
        raise NotSupportedError(f"site '{site}': sampling single elements of a matrix "
                                f"({site}{list(piece.index)}) is not supported")
    return head, head + 1


def slice_at(value: jax.Array, index: tuple) -> jax.Array:
    """The part of a whole site's value at a piece's index."""
    return value[tuple(slice(*i) if isinstance(i, tuple) else i for i in index)]


class SiteSampler:
    """A morphism ``n_in -> n_out``: ``fn(key, given, *xs) -> (outputs, Trace)``."""

    def __init__(self, n_in: int, n_out: int, fn: Callable[..., tuple]):
        self.n_in, self.n_out, self.fn = n_in, n_out, fn

    def __repr__(self) -> str:
        return f"SiteSampler({self.n_in} -> {self.n_out})"


class SiteSamplers:
    """The target category: site samplers, for one binding of the model's
    dimensions (``dims``, argument name to int) and one choice of ``modes``
    (site name to ``OBSERVED``/``FIXED``/``LATENT``; other sites are drawn)."""

    def __init__(self, dims: Mapping[str, Any], modes: Mapping[str, str]):
        self.dims, self.modes = dict(dims), dict(modes)
        self.functor = Functor(cod=self)

    def image(self, diagram: Diagram) -> SiteSampler:
        """The meaning of a diagram (cached per diagram)."""
        return self.functor(diagram)

    def range(self, loop) -> tuple[int, int]:
        return resolve_dim(loop.start, self.dims), resolve_dim(loop.stop, self.dims)

    def evaluate(self, graph: Hypergraph, images: Sequence[SiteSampler], ob) -> SiteSampler:
        fns = [image.fn for image in images]

        def run(key, given, *xs):
            traces = []

            def call(i, args):
                outs, trace = fns[i](jax.random.fold_in(key, i), given, *args)
                traces.append(trace)
                return outs
            outs = evaluate(graph, call, xs)
            return outs, Trace.merge(traces)
        return SiteSampler(len(graph.dom), len(graph.cod), run)


@box_meaning.register((Prim, Const), SiteSamplers, object)
def _deterministic(box, cat, functor) -> SiteSampler:
    fn = prim_function(box, cat.dims)
    return SiteSampler(len(box.dom), len(box.cod),
                       lambda key, given, *xs: (tuple(fn(*xs)), Trace.empty()))


@box_meaning.register(Score, SiteSamplers, object)
def _score(box, cat, functor) -> SiteSampler:
    def run(key, given, *xs):
        weight = sum((jnp.sum(x) for x in xs), jnp.zeros(()))
        return (), Trace({}, {}, jnp.zeros(()), weight)
    return SiteSampler(len(box.dom), 0, run)


@box_meaning.register(Sample, SiteSamplers, object)
def _sample(box, cat, functor) -> SiteSampler:
    family, site, index, mode = get_distribution(box.dist), box.site, box.index, \
        cat.modes.get(box.site)

    def run(key, given, *params):
        # constant parameters stay concrete, so the distribution can reject
        # invalid ones (``Normal(0, -1)``) at trace time, naming them
        with jax.ensure_compile_time_eval():
            dist = family(*params)

        def piece(value):
            return {site: (Piece(value, index, box.dist),)}
        if mode is None:
            x = dist.sample(key)
            u = {} if dist.is_discrete else piece(dist.support.bijector().inverse(x))
            return (x,), Trace(piece(x), u, jnp.zeros(()), jnp.zeros(()))
        value = slice_at(given[site], index)
        if mode == LATENT:
            bijector = dist.support.bijector()
            x = bijector.forward(value)
            logp = jnp.sum(dist.log_prob(x)) + jnp.sum(bijector.log_abs_det_jacobian(value))
            return (x,), Trace(piece(x), piece(value), logp, jnp.zeros(()))
        logp = jnp.sum(dist.log_prob(value))
        if mode == OBSERVED:
            return (value,), Trace(piece(value), {}, jnp.zeros(()), logp)
        return (value,), Trace(piece(value), {}, logp, jnp.zeros(()))
    return SiteSampler(len(box.dom), 1, run)


def _loop_inputs(cat: SiteSamplers, box, key, given):
    """The per-iteration keys, indices and given values of a loop."""
    start, stop = cat.range(box)
    inner = {b.site for b in _sites(box.body)}
    index = jnp.arange(start, stop)
    keys = jax.vmap(lambda t: jax.random.fold_in(key, t))(index)
    sliced = {site: value[start:stop] for site, value in given.items() if site in inner}
    return start, stop, keys, index, sliced


def _sites(diagram: Diagram) -> list[Sample]:
    from catlearn.syntax.model import Model
    return Model("body", [], diagram).sites()


@box_meaning.register(Plate, SiteSamplers, object)
def _plate(box, cat, functor) -> SiteSampler:
    body = functor(box.body)
    n_shared = len(box.dom)

    def run(key, given, *shared):
        start, stop, keys, index, sliced = _loop_inputs(cat, box, key, given)
        outs, trace = jax.vmap(body.fn, in_axes=(0, 0, 0) + (None,) * n_shared)(
            keys, sliced, index, *shared)
        return tuple(outs), trace.stacked(start, stop)
    return SiteSampler(n_shared, len(box.cod), run)


@box_meaning.register(Scan, SiteSamplers, object)
def _scan(box, cat, functor) -> SiteSampler:
    body, n_state = functor(box.body), box.n_state

    def run(key, given, *xs):
        state, shared = tuple(xs[:n_state]), xs[n_state:]
        start, stop, keys, index, sliced = _loop_inputs(cat, box, key, given)

        def step(carry, inputs):
            k, g, t = inputs
            outs, trace = body.fn(k, g, t, *carry, *shared)
            return tuple(outs[:n_state]), (tuple(outs[n_state:]), trace)
        final, (outputs, trace) = lax.scan(step, state, (keys, sliced, index))
        return final + outputs, trace.stacked(start, stop)
    return SiteSampler(len(box.dom), len(box.cod), run)
