"""A model cut at its loops: the stages a particle filter advances through.

The top-level boxes of a model's hypergraph are read in order and cut at
every :class:`~catlearn.syntax.model.Scan`: each loop is one stage per
iteration, and the boxes between two loops run with a stage of their own
before it (those after the last loop too). A stage
is the traced-sampler image of its boxes (:mod:`catlearn.categories.traced`)
with the observed sites given, so its log-weight is the log likelihood of
the data it observes and its latent sites are drawn from the prior (the
bootstrap proposal). Several loops in sequence, loops side by side, plates
inside loops, and observations and latent sites before, between and after
loops all cut the same way.

A particle is a :class:`Particle`: the wires a later stage reads, by name
(``w3``; a loop's carried state ``carry0``), and every latent site's whole
value, filled in as the stages draw it. Resampling moves whole particles, so
the final particles carry their ancestors' paths: the sites' values are the
filter's genealogy, draws from its joint smoothing distribution.

For smoothing (:mod:`catlearn.inference.smoothing`) every stage also has a
:class:`~catlearn.inference.sequential.Backward` kernel: the pieces of the
latent sites it draws, and their density with the stage's observations given
the wires before it — the same boxes interpreted with those sites read as
fixed values (their sample boxes rewritten into ``Fixed`` boxes,
:mod:`catlearn.syntax.condition`), so the transition density comes from the model's
semantics, never written per model.
"""
from __future__ import annotations

import functools
import warnings
from typing import Callable, Mapping, NamedTuple, Sequence

import jax
import jax.numpy as jnp

from catlearn.categories.sampler import population
from catlearn.categories.traced import Trace, TracedSamplers, numpy_index
from catlearn.errors import DegeneracyWarning, NotSupportedError
from catlearn.functor import Functor
from catlearn.inference.sequential import Backward, Phase, StateSpace
from catlearn.syntax.condition import Fixed, rewrite
from catlearn.syntax.model import Deterministic, Model, Sample, Scan, Score

Array = jax.Array


class Particle(NamedTuple):
    """The wires a later stage reads, by name, and each latent site's (and each
    reported value's) whole value."""

    env: dict
    sites: dict


class _Images:
    """A model's boxes and loop bodies under one functor, each interpreted on first use."""

    def __init__(self, functor: Functor, graph):
        self.functor, self.graph = functor, graph
        self.box = functools.cache(lambda i: functor.ar(graph.boxes[i]))

    def body(self, i: int):
        """The image of the body of loop box ``i``."""
        return self.functor(self.graph.boxes[i].body)


def cut(model: Model, functor: Functor, inputs: Sequence[Array], given: Mapping[str, Array],
        sites: Mapping[str, jax.ShapeDtypeStruct]) -> StateSpace:
    """``model`` as the stages of a particle filter. ``functor`` interprets boxes in
    traced samplers with the sites of ``given`` read (observed or fixed);
    ``sites`` holds the shapes of the latent sites the particles record."""
    graph = model.diagram.hypergraph
    loops = [i for i, box in enumerate(graph.boxes) if isinstance(box, Scan)]
    if not loops:
        raise NotSupportedError(f"{model.name} has no loop to filter over")
    reads = last_reads(graph)
    cat = functor.cod
    _warn_static(model, graph, loops, sites, cat)
    # a stage's particles share its key and draw as one batch (population noise)
    drawing = _Images(Functor(cod=TracedSamplers(cat.dims, population)), graph)
    # the same boxes with the recorded sites read, not drawn: the stages' densities
    fixing = _Images(functor, rewrite(model.diagram, {site: Fixed for site in sites}).hypergraph)
    # NaN until a stage records it: a value computed for t >= 1 only keeps its NaN at 0
    blank = Particle({}, {site: jnp.full(s.shape, jnp.nan if jnp.issubdtype(s.dtype, jnp.inexact)
                                         else 0, s.dtype) for site, s in sites.items()})

    # the model's inputs are the same in every particle: read where needed, never carried
    const = dict(zip(graph.dom, inputs))

    def wire(env: dict, w: int) -> Array:
        return const[w] if w in const else env[f"w{w}"]

    def live(after: int) -> list[int]:
        """The wires boxes up to ``after`` made that a later box or the result reads."""
        made = [w for outs in graph.outputs[:after + 1] for w in outs if w not in const]
        return [w for w in dict.fromkeys(made) if reads[w] > after]

    def record(recorded: dict, trace: Trace, at=lambda site: ()) -> dict:
        """``recorded`` with the trace's pieces written in, at ``at(site)`` + their index."""
        recorded = dict(recorded)
        for table in (trace.values, trace.deterministic):
            for site, pieces in table.items():
                for piece in pieces if site in recorded else ():
                    where = at(site) + numpy_index(piece.index)
                    recorded[site] = recorded[site].at[where].set(piece.value)
        return recorded

    def leave(particle: Particle, previous: int) -> Particle:
        """The particle as the loop at box ``previous`` leaves it: its final state
        on the loop's output wires, and only the wires still to be read."""
        if previous < 0:
            return particle
        env = dict(particle.env)
        for j, w in enumerate(graph.outputs[previous][:graph.boxes[previous].n_state]):
            env[f"w{w}"] = env[f"carry{j}"]
        return Particle({f"w{w}": env[f"w{w}"] for w in live(previous)}, particle.sites)

    def run(images: _Images, key, particle: Particle, start: int, stop: int,
            read: Mapping[str, Array]) -> tuple[Particle, Trace]:
        """Boxes ``start … stop - 1`` (no loop among them) on one particle."""
        env = {**const, **{w: particle.env[f"w{w}"] for w in live(start - 1)}}
        traces = []
        for i in range(start, stop):
            ys, trace = images.box(i).fn(images.functor.cod.noise.at(key, i), read,
                                         *[env[w] for w in graph.inputs[i]])
            env.update(zip(graph.outputs[i], ys))
            traces.append(trace)
        trace = Trace.merge(traces)
        return (Particle({f"w{w}": env[w] for w in live(stop - 1)},
                         record(particle.sites, trace)), trace)

    def straight(previous: int, start: int, stop: int, then) -> tuple[Callable, Backward]:
        """The stage running boxes ``start … stop - 1`` after the loop at ``previous``
        (``then`` readies the particle for what follows), and its backward kernel."""
        pieces = written(graph, range(start, stop), sites, cat)

        def stage(images, key, particle, read):
            particle, trace = run(images, key, leave(particle, previous), start, stop, read)
            return then(key, particle), trace

        def enter(key, particle):
            particle, trace = stage(drawing, key, particle, given)
            return particle, trace.log_likelihood

        def drawn(particle, k):
            return [particle.sites[site][index] for site, index in pieces]

        def place(recorded, draws, k):
            recorded = dict(recorded)
            for (site, index), value in zip(pieces, draws):
                recorded[site] = recorded[site].at[index].set(value)
            return recorded

        def density(env, draws, k):
            read = {**given, **place(blank.sites, draws, k)}
            particle, trace = stage(fixing, jax.random.key(0), Particle(env, {}), read)
            return trace.log_prior + trace.log_likelihood, particle.env

        return enter, Backward(drawn, density, place)

    def loop(s: int, previous: int) -> Phase:
        """Loop ``s`` as a phase: entering it runs the boxes after loop ``previous``,
        each later stage one iteration."""
        box = graph.boxes[s]
        n = box.n_state
        first, last = cat.range(box)
        ins, outs = graph.inputs[s], graph.outputs[s]
        inner = list(dict.fromkeys(b.site for b in _sites(box.body)))
        observed = [site for site in inner if site in given]
        latent = [site for site in inner if site in sites]
        stacked = [(j, f"w{w}") for j, w in enumerate(outs[n:]) if reads[w] > s]

        def at(site: str, t) -> tuple:
            return box.at_of(site) + (t,)

        def iteration(images, key, particle: Particle, t, draws=()) -> tuple:
            env = dict(particle.env)
            read = {site: given[site][at(site, t)] for site in observed}
            read.update(zip(latent, draws))
            ys, trace = images.body(s).fn(key, read, t,
                                            *[env[f"carry{j}"] for j in range(n)],
                                            *[wire(env, w) for w in ins[n:]])
            env.update({f"carry{j}": ys[j] for j in range(n)})
            return ys[n:], Particle(env, record(particle.sites, trace,
                                                lambda site: at(site, t))), trace

        def advance(images, key, particle: Particle, k, draws=()) -> tuple[Particle, Trace]:
            ys, particle, trace = iteration(images, key, particle, first + k - 1, draws)
            env = dict(particle.env)
            env.update({name: env[name].at[k - 1].set(ys[j]) for j, name in stacked})
            return particle._replace(env=env), trace

        def step(key, particle: Particle, k) -> tuple[Particle, Array]:
            particle, trace = advance(drawing, key, particle, k)
            return particle, trace.log_likelihood

        def drawn(particle, k):
            return [particle.sites[site][at(site, first + k - 1)] for site in latent]

        def place(recorded, draws, k):
            return {**recorded, **{site: recorded[site].at[at(site, first + k - 1)].set(v)
                                   for site, v in zip(latent, draws)}}

        def density(env, draws, k):
            particle, trace = advance(fixing, jax.random.key(0), Particle(env, {}), k, draws)
            return trace.log_prior + trace.log_likelihood, particle.env

        def ready(key, particle):
            """The particle entering the loop: its state as the carry, and of the wires
            only those the iterations or later boxes read (a wire kept would tie
            smoothed paths to the particle's own past)."""
            keep = {f"w{w}" for w in ins[n:] if w not in const} | {f"w{w}" for w in live(s)}
            env = {name: v for name, v in particle.env.items() if name in keep}
            env.update({f"carry{j}": wire(particle.env, ins[j]) for j in range(n)})
            if stacked:
                shapes = jax.eval_shape(lambda: iteration(drawing, key,
                                                          particle._replace(env=env), first)[0])
                env.update({name: jnp.zeros((last - first,) + shapes[j].shape, shapes[j].dtype)
                            for j, name in stacked})
            return particle._replace(env=env)

        enter, entering = straight(previous, previous + 1, s, ready)
        return Phase(enter, step, last - first + 1,
                     backward=(entering, Backward(drawn, density, place)), shared_key=True)

    phases = [loop(s, previous) for s, previous in zip(loops, [-1] + loops[:-1])]
    tail = range(loops[-1] + 1, len(graph.boxes))
    if any(isinstance(graph.boxes[i], (Sample, Score, Deterministic))
           or hasattr(graph.boxes[i], "body")
           for i in tail):
        enter, after = straight(loops[-1], tail.start, tail.stop, lambda key, particle: particle)
        phases.append(Phase(enter, lambda key, particle, k: (particle, jnp.zeros(())), 1,
                            backward=(after, None), shared_key=True))
    head = phases[0]
    names = stage_names(graph, loops, functor, given, len(phases) > len(loops))
    return StateSpace(lambda key: head.enter(key, blank), head.step, head.length,
                      names.__getitem__, phases=tuple(phases[1:]), backward=head.backward,
                      sites=blank.sites, shared_key=True)


def _warn_static(model: Model, graph, loops: Sequence[int], sites: Mapping[str, object],
                 cat) -> None:
    """Warn of latent sites drawn before a loop that no loop writes (static
    parameters): a bootstrap filter draws them once from the prior and only
    resampling thins them, so their posterior is as degenerate as the genealogy."""
    in_loops = {site for s in loops for site, _ in written(graph, range(s, s + 1), sites, cat)}
    static = list(dict.fromkeys(
        box.site for box in graph.boxes[:loops[-1]]
        if isinstance(box, Sample) and box.site in sites and box.site not in in_loops))
    if static:
        warnings.warn(f"{model.name}: {', '.join(static)} drawn before a loop and never moved "
                      "by the particle filter (static parameters keep the filter's degenerate "
                      "genealogy); use pmmh or rmsmc for them", DegeneracyWarning, stacklevel=2)


def written(graph, boxes: range, sites: Mapping[str, object], cat) -> list[tuple[str, tuple]]:
    """The (site, NumPy index) of each part of a latent site that top-level ``boxes``
    draw: a sample's index, or the slice a loop writes (everything inside it)."""
    parts = []
    for i in boxes:
        box = graph.boxes[i]
        if isinstance(box, Sample):
            parts.append((box.site, box.index))
        elif hasattr(box, "body"):
            start, stop = cat.range(box)
            parts += [(site, box.at_of(site) + (slice(start, stop),))
                      for site in dict.fromkeys(b.site for b in _sites(box.body))]
    return [(site, index) for site, index in parts if site in sites]


def stage_names(graph, loops: Sequence[int], functor: Functor, given: Mapping[str, Array],
                tail: bool) -> list[str]:
    """What each stage observes, for error messages (``t = 3 (observing y[3])``)."""
    names = []
    for n, s in enumerate(loops):
        box = graph.boxes[s]
        first, last = functor.cod.range(box)
        inner = [site for site in dict.fromkeys(b.site for b in _sites(box.body))
                 if site in given]
        names.append(f"the statements before the loop over {box.var}" if n == 0 else
                     f"the statements between the loops over {graph.boxes[loops[n - 1]].var} "
                     f"and {box.var}")
        names += [f"{box.var} = {t}" + (
            f" (observing {', '.join(f'{site}[{t}]' for site in inner)})" if inner else "")
            for t in range(first, last)]
    return names + (["the statements after the last loop"] if tail else [])


def last_reads(graph) -> list[int]:
    """For each wire, the index of the last box reading it (``len(boxes)`` for the result)."""
    last = [-1] * len(graph.wires)
    for i, ins in enumerate(graph.inputs):
        for w in ins:
            last[w] = i
    for w in graph.cod:
        last[w] = len(graph.boxes)
    return last


def _sites(diagram) -> list[Sample]:
    return Model("body", [], diagram).sites()
