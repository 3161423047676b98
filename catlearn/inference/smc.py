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
from catlearn.inference.options import fraction, positive_int, whole, whole_seed
from catlearn.inference.move import KernelFactory, move, scaled_rmh
from catlearn.inference.population import Population, log_evidence, normalise, spawn
from catlearn.inference.resample import Scheme, adaptive, scheme
from catlearn.inference.smoothing import Record, Segment, backward_simulation
from catlearn.inference.sequential import (Schedule, Stage, StateSpace, StaticTarget,
                                           adaptive_schedule, advance, anneal, finish, record,
                                           tempered, trace_back)


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
    key_spawn, key_resample, key_rest = jax.random.split(key, 3)
    if smooth and model.backward is None:
        raise NotSupportedError("smoothing needs the backward kernels of a model cut from "
                                "a program (Target.sequential)")

    def between(kernel):
        def resample(k, pop, t):
            before = pop
            pop, ancestors, resampled = adaptive(k, sharding.spread(pop, mesh), resampling,
                                                 ess_threshold)
            kept = None
            if paths:
                kept = (before.particles, ancestors)
            elif smooth and kernel is not None:
                draws = jax.vmap(lambda x: kernel.drawn(x, t))(before.particles)
                kept = Record(before.particles.env, draws, before.log_weights, ancestors)
            return sharding.spread(pop, mesh), (resampled, kept)
        return resample

    if paths and model.phases:
        raise NotSupportedError("genealogy paths are kept for models with one loop only")
    pop = sharding.spread(spawn(key_spawn, particles, model.init, vectorised=model.vectorised,
                                 shared_key=model.shared_key),
                          mesh)
    first = record(jnp.zeros(()), pop, jnp.asarray(False))
    entering, stepping = model.backward or (None, None)
    pop, (resampled, history0) = between(entering)(key_resample, pop, 0)
    pop, (stages, history) = finish(key_rest, pop, model, between(stepping))
    records = [first._replace(resampled=resampled), stages]
    segments = [(entering, history0, 0, True), (stepping, history, 1, False)]
    for phase, k in zip(model.phases, jax.random.split(key_rest, len(model.phases))):
        key_enter, key_resample, key_phase = jax.random.split(k, 3)
        entering, stepping = phase.backward or (None, None)
        before = log_evidence(pop)
        pop = advance(key_enter, pop, phase.enter, vectorised=phase.vectorised,
                      shared_key=phase.shared_key)
        entered = record(before, pop, jnp.asarray(False))
        pop, (resampled, kept) = between(entering)(key_resample, pop, 0)
        pop, (stages, history) = finish(key_phase, pop, phase, between(stepping))
        records += [entered._replace(resampled=resampled), stages]
        segments += [(entering, kept, 0, True), (stepping, history, 1, False)]
    stages = jax.tree.map(lambda *parts: jnp.concatenate(
        [part if part.ndim else part[None] for part in parts]), *records)
    traced = smoothed = None
    if paths:
        states, ancestors = jax.tree.map(lambda a, b: jnp.concatenate([a[None], b]),
                                         history0, history)
        traced = trace_back(states, ancestors)
    if smooth:
        smoothed = backward_simulation(
            jax.random.fold_in(key, _SMOOTHING),
            [Segment(kernel, jax.tree.map(lambda a: a[None], kept) if single else kept, k)
             for kernel, kept, k, single in segments
             if kept is not None and (single or kept.log_weights.shape[0])],
            smooth, model.sites)
    pop = normalise(pop)
    return SMCResult(pop, pop.log_z, stages, jnp.asarray(model.total), traced, smoothed)


def temper(key: jax.Array, target: StaticTarget, particles: int, schedule: Schedule,
           max_stages: int, *, kernel: KernelFactory, moves: int,
           resampling: str | Scheme, mesh: sharding.Mesh | None = None) -> SMCResult:
    """``spawn(n, prior) ; (advance_{β_k→β_{k+1}} ; resample ; move_{β_{k+1}}^m)^K``
    for any temperature ``schedule``; ``mesh`` splits the particles over its devices."""
    key_spawn, key_rest = jax.random.split(key)

    def between(k, pop, beta):
        key_resample, key_move = jax.random.split(k)
        pop, _, resampled = adaptive(key_resample, sharding.spread(pop, mesh), resampling, 1.0)
        density = lambda x: tempered(target.log_prior(x), target.log_likelihood(x), beta)
        pop, _ = move(key_move, pop, kernel(density, pop), moves)
        return sharding.spread(pop, mesh), (resampled, None)

    pop = sharding.spread(spawn(key_spawn, particles, lambda k: (target.sample_prior(k), 0.0)),
                          mesh)
    pop, stages, count = anneal(key_rest, pop, target, between, schedule, max_stages)
    pop = normalise(pop)
    return SMCResult(pop, pop.log_z, stages, count)


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

    def __post_init__(self):
        positive_int(self.name, "particles", self.particles)
        whole(self.name, "smoothed", self.smoothed)
        whole_seed(self.name, self.seed)
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
            result = self._run(target, _tempered, target, key, self.particles,
                               self.target_ess, self.moves, self.resampling,
                               self.max_stages, mesh)
            return tempered_posterior(target, check(result), self.name,
                                      particles=self.particles)
        result = self._run(target, _filter, target, key, self.particles, self.resampling,
                           self.ess_threshold, self.smoothed, mesh)
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

@partial(jax.jit, static_argnums=(2, 3, 4, 5, 6, 7))
def _tempered(target, key, particles, target_ess, moves, resampling, max_stages, mesh):
    return tempered_smc(key, static_view(target), particles, target_ess=target_ess,
                        moves=moves, resampling=resampling, max_stages=max_stages, mesh=mesh)


@partial(jax.jit, static_argnums=(2, 3, 4, 5, 6))
def _filter(target, key, particles, resampling, ess_threshold, smoothed, mesh):
    return bootstrap_filter(key, target.sequential(), particles, resampling=resampling,
                            ess_threshold=ess_threshold, smooth=smoothed, mesh=mesh)


_constrained = jax.jit(jax.vmap(lambda target, x: target.constrain(x), in_axes=(None, 0)))
_computed = jax.jit(jax.vmap(lambda target, x: target.computed(x), in_axes=(None, 0)))


def smc(particles: int = 1000, seed: int = 0, resampling: str = "systematic",
        ess_threshold: float = 0.5, target_ess: float = 0.5, moves: int = 10,
        max_stages: int = 500, devices: sharding.Devices = None,
        progress: Optional[bool] = None, smoothed: int = 100) -> SMC:
    """The :class:`SMC` method: ``infer(model, …, method=smc(particles=2000))``;
    ``devices=4`` splits the particles over the first 4 devices; ``progress``
    shows its compiling and running phases (by default when interactive);
    ``smoothed`` paths of a particle filter are drawn by backward simulation."""
    return SMC(particles, seed, resampling, ess_threshold, target_ess, moves, max_stages,
               devices=devices, progress=progress, smoothed=smoothed)
