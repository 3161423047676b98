"""Sequential Monte Carlo as a composite of population transformers.

Two algorithms, one composition (Ścibior et al.)::

    smc = spawn ; (advance ; resample)^T ; finish

* :func:`bootstrap_filter` for a :class:`~catlearn.inference.sequential.StateSpace`
  model: ``spawn(n, init) ; (advance_t ; resample_{ESS<τn})^{t=1…T-1}``, the
  stages one ``lax.scan`` (Gordon, Salmond & Smith 1993);
* :func:`tempered_smc` for a :class:`~catlearn.inference.sequential.StaticTarget`:
  ``spawn(n, prior) ; (advance_{β_k→β_{k+1}} ; resample ; move_{β_{k+1}}^m)^K``,
  each ``β_{k+1}`` chosen so the conditional ESS is ``target_ess · n``, the
  stages one ``lax.while_loop`` (Del Moral, Doucet & Jasra 2006; Jasra et al. 2011).

Both return an :class:`SMCResult` whose total mass is an unbiased estimate of
the evidence ``p(y)``; :func:`check` turns a vanished evidence into an
:class:`~catlearn.errors.InferenceError` naming the stage, after the compiled
run, so the run itself stays one jitted program.

>>> import jax, jax.numpy as jnp
>>> from catlearn.inference.sequential import StaticTarget
>>> target = StaticTarget(lambda k: jax.random.normal(k, (1,)),          # x ~ N(0, 1)
...                       lambda x: -0.5 * jnp.sum(x ** 2) - 0.5 * jnp.log(2 * jnp.pi),
...                       lambda x: -0.5 * jnp.sum((1.0 - x) ** 2) - 0.5 * jnp.log(2 * jnp.pi))
>>> result = check(tempered_smc(jax.random.key(0), target, 2000))    # y = 1 ~ N(x, 1)
>>> exact = -0.25 - 0.5 * jnp.log(4 * jnp.pi)                         # y ~ N(0, 2)
>>> bool(abs(result.log_evidence - exact) < 0.05)
True
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import Any, Callable, NamedTuple, Optional

import jax
import jax.numpy as jnp
import numpy as np

from catlearn import progress, sharding
from catlearn.errors import InferenceError, NotSupportedError
from catlearn.inference import segments
from catlearn.inference.options import fraction, positive_int, whole
from catlearn.inference.move import KernelFactory, move, scaled_rmh
from catlearn.inference.population import Population, log_evidence, normalise, spawn
from catlearn.inference.resample import Scheme, adaptive, scheme
from catlearn.inference.smoothing import Record, Segment, backward_simulation
from catlearn.inference.sequential import (Annealing, Phase, Schedule, Stage, StateSpace,
                                           StaticTarget, adaptive_schedule, advance,
                                           anneal_until, annealing, annealing_on, finish,
                                           power_schedule, record, tempered, trace_back)


class SMCResult(NamedTuple):
    """The final population (normalised: its mass is in ``log_evidence``), the
    stage records (buffers; the first ``num_stages`` are filled), for a
    filter asked for them the particle paths ``(T, n, …)``, and the smoothed
    paths ``{site: (M, …)}`` of a filter asked to smooth."""
    population: Population
    log_evidence: jax.Array
    stages: Stage
    num_stages: jax.Array
    paths: Any = None
    smoothed: Any = None


#: what the smoothing key is folded from, apart from the filter's own keys
_SMOOTHING = 0x5300


def bootstrap_filter(key: jax.Array, model: StateSpace, particles: int, *,
                     resampling: str | Scheme = "systematic", ess_threshold: float = 0.5,
                     paths: bool = False, smooth: int = 0,
                     mesh: sharding.Mesh | None = None) -> SMCResult:
    """``spawn(n, init) ; (advance_t ; resample_{ESS<τn})^{t=1…T-1}``.

    With ``paths``, every stage's states and ancestors are kept and the
    surviving genealogies traced back: ``paths[t][i]`` is the state at time
    ``t`` of the path ending at final particle ``i``. With ``smooth = M`` (a
    model cut from a program), every stage's wires, draws and weights are kept
    and ``M`` paths drawn by backward simulation
    (:mod:`catlearn.inference.smoothing`). ``mesh`` splits the particles over
    its devices (:func:`catlearn.sharding.spread`).
    """
    run = Filter(model, particles, resampling, ess_threshold, paths, smooth, mesh)
    pop, loops = None, []
    for i in range(run.loops):
        pop, entered, kept = run.enter(key, pop, i)
        pop, (stages, history) = run.steps(key, pop, i)
        loops.append(Loop(pop, entered, kept, stages, history))
    return run.end(key, loops)


class Loop(NamedTuple):
    """What a filter did in one of a model's loops: the population it left, the
    record of the stage entering it (spawning, for the first) and what that stage
    kept, then its steps' records and what each kept, stacked over ``t``."""
    pop: Population
    entered: Stage
    entered_kept: Any
    stages: Stage
    history: Any


@dataclass(frozen=True)
class Filter:
    """The bootstrap filter of :func:`bootstrap_filter` in its pieces: entering each
    loop of the model, its steps (all of them, or ``count`` from ``start``, for a
    run in segments), and the end. Loop ``i`` draws its keys from the run's key
    by ``i`` and its steps' keys by ``t``, whichever piece runs them."""
    model: StateSpace
    particles: int
    resampling: str | Scheme = "systematic"
    ess_threshold: float = 0.5
    paths: bool = False
    smooth: int = 0
    mesh: sharding.Mesh | None = None

    def __post_init__(self):
        if self.smooth and self.model.backward is None:
            raise NotSupportedError("smoothing needs the backward kernels of a model cut "
                                    "from a program (Target.sequential)")
        if self.paths and self.model.phases:
            raise NotSupportedError("genealogy paths are kept for models with one loop only")

    @property
    def loops(self) -> int:
        return 1 + len(self.model.phases)

    def loop(self, i: int) -> StateSpace | Phase:
        return self.model if i == 0 else self.model.phases[i - 1]

    def keys(self, key: jax.Array, i: int) -> tuple[jax.Array, jax.Array, jax.Array]:
        """Loop ``i``'s keys: entering it, resampling after that, its steps."""
        key_spawn, key_resample, key_rest = jax.random.split(key, 3)
        if i == 0:
            return key_spawn, key_resample, key_rest
        return tuple(jax.random.split(
            jax.random.split(key_rest, len(self.model.phases))[i - 1], 3))

    def between(self, kernel):
        def resample(k, pop, t):
            before = pop
            pop, ancestors, resampled = adaptive(k, sharding.spread(pop, self.mesh),
                                                 self.resampling, self.ess_threshold)
            kept = None
            if self.paths:
                kept = (before.particles, ancestors)
            elif self.smooth and kernel is not None:
                draws = jax.vmap(lambda x: kernel.drawn(x, t))(before.particles)
                kept = Record(before.particles.env, draws, before.log_weights, ancestors)
            return sharding.spread(pop, self.mesh), (resampled, kept)
        return resample

    def enter(self, key: jax.Array, pop: Optional[Population], i: int
              ) -> tuple[Population, Stage, Any]:
        """The stage entering loop ``i`` from the population ``pop`` the loop before
        left (spawning the population, for the first), then resampling."""
        key_enter, key_resample, _ = self.keys(key, i)
        loop = self.loop(i)
        if i == 0:
            before = jnp.zeros(())
            pop = sharding.spread(spawn(key_enter, self.particles, loop.init,
                                        vectorised=loop.vectorised,
                                        shared_key=loop.shared_key), self.mesh)
        else:
            before = log_evidence(pop)
            pop = advance(key_enter, pop, loop.enter, vectorised=loop.vectorised,
                          shared_key=loop.shared_key)
        entered = record(before, pop, jnp.asarray(False))
        entering = (loop.backward or (None, None))[0]
        pop, (resampled, kept) = self.between(entering)(key_resample, pop, 0)
        return pop, entered._replace(resampled=resampled), kept

    def steps(self, key: jax.Array, pop: Population, i: int, start: Any = 1,
              count: Optional[int] = None) -> tuple[Population, tuple[Stage, Any]]:
        """Steps ``start … start + count - 1`` of loop ``i`` (all of them by default)."""
        stepping = (self.loop(i).backward or (None, None))[1]
        return finish(self.keys(key, i)[2], pop, self.loop(i), self.between(stepping),
                      start, count)

    def end(self, key: jax.Array, loops: list[Loop]) -> SMCResult:
        """The result of a run whose loops did ``loops``: every stage's record, the
        genealogies traced back or the smoothed paths drawn, the final population."""
        records = [part for loop in loops for part in (loop.entered, loop.stages)]
        stages = jax.tree.map(lambda *parts: jnp.concatenate(
            [part if part.ndim else part[None] for part in parts]), *records)
        traced = smoothed = None
        if self.paths:
            states, ancestors = jax.tree.map(lambda a, b: jnp.concatenate([a[None], b]),
                                             loops[0].entered_kept, loops[0].history)
            traced = trace_back(states, ancestors)
        if self.smooth:
            kernels = [self.loop(i).backward or (None, None) for i in range(len(loops))]
            pieces = [piece for (entering, stepping), loop in zip(kernels, loops)
                      for piece in ((entering, loop.entered_kept, 0, True),
                                    (stepping, loop.history, 1, False))]
            smoothed = backward_simulation(
                jax.random.fold_in(key, _SMOOTHING),
                [Segment(kernel, jax.tree.map(lambda a: a[None], kept) if single else kept, k)
                 for kernel, kept, k, single in pieces
                 if kept is not None and (single or kept.log_weights.shape[0])],
                self.smooth, self.model.sites)
        pop = normalise(loops[-1].pop)
        return SMCResult(pop, pop.log_z, stages, jnp.asarray(self.model.total), traced,
                         smoothed)


def temper(key: jax.Array, target: StaticTarget, particles: int, schedule: Schedule,
           max_stages: int, *, kernel: KernelFactory, moves: int,
           resampling: str | Scheme, mesh: sharding.Mesh | None = None) -> SMCResult:
    """``spawn(n, prior) ; (advance_{β_k→β_{k+1}} ; resample ; move_{β_{k+1}}^m)^K``
    for any temperature ``schedule``; ``mesh`` splits the particles over its devices."""
    run = Tempering(target, particles, schedule, max_stages, kernel, moves, resampling, mesh)
    return run.end(run.stages(run.begin(key)))


@dataclass(frozen=True)
class Tempering:
    """The tempered SMC of :func:`temper` in its pieces: the population spawned from
    the prior, its tempering stages (all, or those before stage ``stop``, for a run
    in segments: the key of the stages to come is part of what they carry), the end."""
    target: StaticTarget
    particles: int
    schedule: Schedule
    max_stages: int
    kernel: KernelFactory
    moves: int
    resampling: str | Scheme
    mesh: sharding.Mesh | None = None

    def begin(self, key: jax.Array) -> Annealing:
        key_spawn, key_rest = jax.random.split(key)
        prior = lambda k: (self.target.sample_prior(k), 0.0)
        pop = sharding.spread(spawn(key_spawn, self.particles, prior), self.mesh)
        return annealing(key_rest, pop, self.max_stages)

    def between(self, k, pop, beta):
        key_resample, key_move = jax.random.split(k)
        pop, _, resampled = adaptive(key_resample, sharding.spread(pop, self.mesh),
                                     self.resampling, 1.0)
        density = lambda x: tempered(self.target.log_prior(x), self.target.log_likelihood(x),
                                     beta)
        pop, _ = move(key_move, pop, self.kernel(density, pop), self.moves)
        return sharding.spread(pop, self.mesh), (resampled, None)

    def stages(self, carry: Annealing, stop: Any = None) -> Annealing:
        return anneal_until(carry, self.target, self.between, self.schedule, self.max_stages,
                            stop)

    def end(self, carry: Annealing) -> SMCResult:
        pop = normalise(carry.pop)
        return SMCResult(pop, pop.log_z, carry.stages, carry.k)


def tempered_smc(key: jax.Array, target: StaticTarget, particles: int, *,
                 target_ess: float = 0.5, kernel: KernelFactory = scaled_rmh(),
                 moves: int = 10, resampling: str | Scheme = "systematic",
                 max_stages: int = 500, mesh: sharding.Mesh | None = None) -> SMCResult:
    """Adaptive tempered SMC: :func:`temper` with ``β_{k+1}`` chosen by bisection
    so that the conditional ESS is ``target_ess · n``."""
    return temper(key, target, particles, adaptive_schedule(target_ess), max_stages,
                  kernel=kernel, moves=moves, resampling=resampling, mesh=mesh)


def check(result: SMCResult, stage_name: Callable[[int], str] | None = None) -> SMCResult:
    """``result`` when its evidence is positive and finite, else an
    :class:`InferenceError` naming the first stage at which every particle's
    weight vanished (host-side, after the compiled run)."""
    stages = jax.tree.map(np.asarray, result.stages)
    count = int(result.num_stages)
    increments = stages.log_evidence_increment[:count]
    bad = np.flatnonzero(~np.isfinite(increments))
    if bad.size:
        k = int(bad[0])
        tempering = stage_name is None
        where = (f"tempering stage {k} (temperature {float(stages.temperature[k]):.3g})"
                 if tempering else stage_name(k))
        n = result.population.log_weights.shape[0]
        raise InferenceError(
            f"every one of the {n} particles has zero weight at {where}: "
            + ("the likelihood is zero (log weight -inf) wherever the prior puts its mass"
               if tempering else "the observation there is impossible under the model "
               "(log weight -inf for every particle)"))
    if stage_name is None and count and float(stages.temperature[count - 1]) < 1:
        raise InferenceError(
            f"tempered SMC stopped at temperature {float(stages.temperature[count - 1]):.3g} "
            f"after {count} stages: raise max_stages or target_ess")
    return result


# -- the method objects of ``catlearn.infer`` -------------------------------------------


def static_view(target) -> StaticTarget:
    """A conditioned model (:class:`~catlearn.inference.target.Target`) as a static
    target on its flat unconstrained latent vector."""
    return StaticTarget(target.init, target.log_prior, target.log_likelihood)


def stage_stats(result: SMCResult) -> dict[str, Any]:
    """Per-stage degeneracy and evidence, as host arrays, for a posterior's stats."""
    count = int(result.num_stages)
    stages = jax.tree.map(lambda v: np.asarray(v)[:count], result.stages)
    return {"ess": stages.ess, "log_evidence_increments": stages.log_evidence_increment,
            "resampled": stages.resampled, "temperatures": stages.temperature,
            "stages": count}


def evidence(result: SMCResult) -> float:
    """The log evidence as the float64 sum of the stage increments: the float32
    running total inside the compiled loop drifts over long series (75 nats
    at 10^5 stages)."""
    increments = np.asarray(result.stages.log_evidence_increment)[:int(result.num_stages)]
    return float(np.sum(increments, dtype=np.float64))


def tempered_posterior(target, result: SMCResult, method: str, **stats):
    """The posterior of a tempered run: the final particles, constrained."""
    from catlearn.inference.posterior import Posterior
    pop = result.population
    sites = target.in_program_order(_constrained(target, pop.particles))
    return Posterior({site: v[None] for site, v in sites.items()},
                     log_weights=pop.log_weights[None], log_evidence=evidence(result),
                     stats={**stage_stats(result), **stats}, method=method, target=target)


@dataclass(frozen=True)
class SMC:
    """Sequential Monte Carlo, the method of ``infer … with smc(…)``.

    A model whose body is one time loop (a scan) runs the bootstrap particle
    filter, resampling when ``ESS < ess_threshold · particles``; any other
    model runs adaptive tempered SMC (``target_ess``, ``moves`` random-walk
    Metropolis steps per stage). The posterior carries ``log_evidence`` and,
    in ``stats``, the ESS of every stage. ``devices`` (a count or a
    ``jax.sharding.Mesh``) splits the particles over that many devices.

    The filter's posterior holds every latent site as ``smoothed`` paths drawn
    by backward simulation (:mod:`catlearn.inference.smoothing`; it costs
    ``smoothed × particles`` density evaluations per stage); ``smoothed = 0``
    reports the final particles' genealogy instead.

    With ``checkpoint`` (a path) the run goes in segments of ``checkpoint_every``
    time steps or tempering stages, its particles, weights, evidence, key and
    every stage's records saved after each; a run finding that checkpoint
    resumes from it, to the same result as one never interrupted.
    """
    particles: int = 1000
    seed: int = 0
    resampling: str = "systematic"
    ess_threshold: float = 0.5
    target_ess: float = 0.5
    moves: int = 10
    max_stages: int = 500
    name: str = "smc"
    devices: sharding.Devices = None
    progress: Optional[bool] = None
    smoothed: int = 100
    checkpoint: Optional[str] = None
    checkpoint_every: int = 100

    def __post_init__(self):
        segments.check_options(self)
        whole(self.name, "smoothed", self.smoothed)
        positive_int(self.name, "moves", self.moves)
        positive_int(self.name, "max_stages", self.max_stages)
        fraction(self.name, "ess_threshold", self.ess_threshold)
        fraction(self.name, "target_ess", self.target_ess, closed=False)
        scheme(self.resampling)
        sharding.mesh_for(self.devices, self.particles, "particles", self.name)

    def _run(self, target, jitted, *args):
        """The compiled run under its bar: compiling, then running."""
        return progress.run(f"{self.name} on {target.model.name}", jitted, *args,
                            show=progress.wanted(self.progress))

    def run(self, target, key: jax.Array):
        from catlearn.inference.posterior import Posterior
        try:
            model = target.sequential()
        except NotSupportedError:
            model = None
        mesh = sharding.mesh_for(self.devices, self.particles, "particles", self.name)
        if model is None:
            result = tempered_run(target, key, (self.particles, ("adaptive", self.target_ess),
                                                self.max_stages, self.moves, self.resampling,
                                                mesh), self)
            return tempered_posterior(target, check(result), self.name,
                                      particles=self.particles)
        if self.checkpoint is not None:
            result = filter_in_segments(target, key, (self.particles, self.resampling,
                                                      self.ess_threshold, self.smoothed, mesh),
                                        **segments.options(self, target, key))
        else:
            result = self._run(target, _filter, target, key, self.particles,
                               self.resampling, self.ess_threshold, self.smoothed, mesh)
        result = check(result, model.stage_name)
        pop = result.population
        paths, log_weights = ((result.smoothed, jnp.zeros(self.smoothed)) if self.smoothed
                              else (pop.particles.sites, pop.log_weights))
        if self.smoothed and target.deterministic_names:
            # the smoother moves latent sites only: what the model computes from
            # them is computed again on each smoothed path
            latents = {site: paths[site] for site in target.latent_names}
            paths = {**paths, **_computed(target, latents)}
        sites = {site: v[None] for site, v in target.in_program_order(paths).items()
                 if site in target.latent_names + target.deterministic_names}
        return Posterior(sites, log_weights=log_weights[None],
                         log_evidence=evidence(result),
                         stats={**stage_stats(result), "particles": self.particles},
                         method=self.name, target=target)

# The compiled runs take the target as an argument and the options as static
# ones: a later query of the same structure and options, on new data and keys,
# runs the program already compiled (jit keys it on the target's structure).

@partial(jax.jit, static_argnums=(2, 3, 4, 5, 6))
def _filter(target, key, particles, resampling, ess_threshold, smoothed, mesh):
    return bootstrap_filter(key, target.sequential(), particles, resampling=resampling,
                            ess_threshold=ess_threshold, smooth=smoothed, mesh=mesh)


_constrained = jax.jit(jax.vmap(lambda target, x: target.constrain(x), in_axes=(None, 0)))
_computed = jax.jit(jax.vmap(lambda target, x: target.computed(x), in_axes=(None, 0)))


def smc(particles: int = 1000, seed: int = 0, resampling: str = "systematic",
        ess_threshold: float = 0.5, target_ess: float = 0.5, moves: int = 10,
        max_stages: int = 500, devices: sharding.Devices = None,
        progress: Optional[bool] = None, smoothed: int = 100,
        checkpoint: Optional[str] = None, checkpoint_every: int = 100) -> SMC:
    """The :class:`SMC` method: ``infer(model, …, method=smc(particles=2000))``;
    ``devices=4`` splits the particles over the first 4 devices; ``progress``
    shows its compiling and running phases (by default when interactive);
    ``smoothed`` paths of a particle filter are drawn by backward simulation;
    with ``checkpoint`` (a path) it saves every ``checkpoint_every`` stages and
    resumes from there."""
    return SMC(particles, seed, resampling, ess_threshold, target_ess, moves, max_stages,
               devices=devices, progress=progress, smoothed=smoothed,
               checkpoint=checkpoint, checkpoint_every=checkpoint_every)


# -- runs in segments (:mod:`catlearn.inference.segments`) -------------------------------
# Each piece is compiled once per structure and options, like the one-program runs;
# the options are one static tuple.

def _filter_of(target, particles, resampling, ess_threshold, smoothed, mesh) -> Filter:
    return Filter(target.sequential(), particles, resampling, ess_threshold,
                  smooth=smoothed, mesh=mesh)


@partial(jax.jit, static_argnums=(3, 4))
def _entered(target, key, pop, i, options):
    return _filter_of(target, *options).enter(key, pop, i)


@partial(jax.jit, static_argnums=(4, 5, 6))
def _stepped(target, key, pop, start, i, count, options):
    return _filter_of(target, *options).steps(key, pop, i, start, count)


@partial(jax.jit, static_argnums=3)
def _ended(target, key, loops, options):
    return _filter_of(target, *options).end(key, loops)


def filter_in_segments(target, key: jax.Array, options: tuple, *, checkpoint: str,
                       every: int, made_by: str, show: bool, what: str) -> SMCResult:
    """The particle filter of ``SMC.run`` (``options``: particles, resampling,
    ess_threshold, smoothed, mesh) in segments: entering each of the model's loops,
    then ``every`` of its time steps at a time, saved after each."""
    run = _filter_of(target, *options)
    lengths = [run.loop(i).length for i in range(run.loops)]
    offsets = [sum(lengths[:i]) for i in range(len(lengths))]
    # every loop's population and records as zeros of their shapes: the state from
    # which a run starts, and the structure a checkpoint is read into
    pop, loops = None, []
    for i in range(run.loops):
        pop, entered, kept = jax.eval_shape(
            lambda p, i=i: _filter_of(target, *options).enter(key, p, i), pop)
        stages, history = jax.eval_shape(
            lambda p, i=i: _filter_of(target, *options).steps(key, p, i), pop)[1]
        loops.append(segments.blank(Loop(pop, entered, kept, stages, history)))

    def advance(loops, start, stop):
        i = max(j for j, offset in enumerate(offsets) if offset <= start)
        t, loops = start - offsets[i], list(loops)
        if t == 0:  # entering the loop is a segment of its own
            pop, entered, kept = _entered(target, key, loops[i - 1].pop if i else None, i,
                                          options)
            loops[i] = loops[i]._replace(pop=pop, entered=entered, entered_kept=kept)
        else:
            pop, done = _stepped(target, key, loops[i].pop, t, i, stop - start, options)
            stages, history = segments.filled((loops[i].stages, loops[i].history), done, t - 1)
            loops[i] = loops[i]._replace(pop=pop, stages=stages, history=history)
        return loops

    ends = [end for offset, length in zip(offsets, lengths)
            for end in [offset + 1, *segments.stops(offset + length, every, offset + 1)]]
    with progress.Bar(what, ends[-1], unit="stage",
                      show=show) as bar:
        loops = segments.in_segments(advance, loops, ends, checkpoint=checkpoint,
                                     made_by=made_by, bar=bar)
        return _ended(target, key, loops, options)


def _tempering(target, particles, schedule, max_stages, moves, resampling, mesh) -> Tempering:
    kind, *numbers = schedule
    made = (adaptive_schedule if kind == "adaptive" else power_schedule)(*numbers)
    return Tempering(static_view(target), particles, made, max_stages, scaled_rmh(), moves,
                     resampling, mesh)


@partial(jax.jit, static_argnums=2)
def _tempering_begun(target, key, options):
    return _tempering(target, *options).begin(key)


@partial(jax.jit, static_argnums=3)
def _tempering_stages(target, carry, stop, options):
    return _tempering(target, *options).stages(carry, stop)


@partial(jax.jit, static_argnums=2)
def _tempering_ended(target, carry, options):
    return _tempering(target, *options).end(carry)


def tempered_run(target, key: jax.Array, options: tuple, method) -> SMCResult:
    """Tempered SMC on ``target`` (``options``: particles, the schedule as
    ``("adaptive", target_ess)`` or ``("power", stages, power)``, max_stages, moves,
    resampling, mesh) for ``method``: its stages one program or, with the method's
    ``checkpoint``, in segments of ``checkpoint_every`` stages, saved after each.
    Spawning and the end are programs of their own either way: a run in segments
    then makes the same numbers as one without (XLA rounds a loop fused with
    what comes before it differently)."""
    saving, max_stages = segments.options(method, target, key), options[2]
    carry = _tempering_begun(target, key, options)
    if method.checkpoint is None:
        carry = progress.run(saving["what"], _tempering_stages, target, carry, None, options,
                             show=saving["show"])
        return _tempering_ended(target, carry, options)
    with progress.Bar(saving["what"], max_stages, unit="stage", show=saving["show"]) as bar:
        carry = segments.in_segments(
            lambda carry, start, stop: _tempering_stages(target, carry, stop, options),
            carry, segments.stops(max_stages, saving["every"]),
            checkpoint=saving["checkpoint"], made_by=saving["made_by"], bar=bar,
            finished=lambda carry: not bool(annealing_on(carry, max_stages)))
        return _tempering_ended(target, carry, options)
