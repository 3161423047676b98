"""A model as a sequence of stages, cut at its observation points.

Ścibior et al.'s ``Sequential`` transformer suspends a program at every
observation; ``advance`` runs one stage on every particle, ``finish`` runs
the rest. A stage is a weighted transition ``key, x -> (x', log g(x, x'))``
and advancing a population by it is

    advance:  Σ_i w_i δ(x_i)  ↦  Σ_i w_i g_i δ(x'_i),   (x'_i, log g_i) = stage(key_i, x_i),

under ``vmap``. Two kinds of model provide stages:

* a **state-space model** (:class:`StateSpace`, a scan model): stage 0 is
  ``init(key) -> (x_0, log p(y_0 | x_0))`` and stage ``t ≥ 1`` is
  ``step(key, x_{t-1}, t) -> (x_t, log p(y_t | x_t))``, the observations bound
  inside; ``finish`` is one ``lax.scan`` over ``t = 1 … T-1``;
* a **static model** (:class:`StaticTarget`, on unconstrained flat vectors):
  the tempered path ``π_β(x) ∝ p(x) L(x)^β`` from the prior ``β = 0`` to the
  posterior ``β = 1``; the stage ``β → β'`` keeps ``x`` and weighs it by
  ``L(x)^(β'-β)``, and ``anneal_until`` runs the stages in a ``lax.while_loop``,
  choosing each ``β'`` by bisection so that the conditional ESS
  (Zhou, Johansen & Aston 2016)

      CESS(β') / n = (Σ_i W_i g_i)² / Σ_i W_i g_i²,   g_i = L(x_i)^(β'-β),

  hits a target fraction.

Between stages a ``between(key, pop, stage)`` transformer runs (resampling,
moves); each stage records a :class:`Stage` (ESS, log evidence increment,
whether it resampled), so degeneracy is visible and an impossible
observation can be reported by stage after the compiled run.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, NamedTuple, Optional

import jax
import jax.numpy as jnp
from jax.scipy.special import logsumexp

from catlearn.categories.sampler import over_population
from catlearn.inference.population import (Population, evidence_and_ess, log_evidence, reweight,
                                           size)

Transition = Callable[[jax.Array, Any], tuple[Any, jax.Array]]   # key, x -> (x', log g)
Between = Callable[[jax.Array, Population, Any], tuple[Population, Any]]


@dataclass(frozen=True)
class Backward:
    """A stage read backwards, for smoothing: ``drawn(x, t)`` the draws stage ``t``
    made in the particle ``x`` after it; ``density(env, draws, t) -> (log p, env')``
    the log density of those draws and of the stage's observations given the
    wires ``env`` of a particle before it, with the wires ``env'`` they lead to;
    ``place(sites, draws, t)`` the sites with the draws written in."""
    drawn: Callable[[Any, jax.Array], Any]
    density: Callable[[Any, Any, jax.Array], tuple[jax.Array, Any]]
    place: Callable[[dict, Any, jax.Array], dict]


@dataclass(frozen=True)
class Phase:
    """A later loop of a model: ``enter(key, x) -> (x', log_w)`` takes a particle
    as the previous phase left it to the loop's first stage, then
    ``step(key, x, t) -> (x, log_w)`` runs stages ``t = 1 … length - 1``.
    ``backward`` holds the :class:`Backward` kernels of entering and of a step."""
    enter: Callable[[jax.Array, Any], tuple[Any, jax.Array]]
    step: Callable[[jax.Array, Any, jax.Array], tuple[Any, jax.Array]]
    length: int
    vectorised: bool = False
    backward: Optional[tuple[Backward, Optional[Backward]]] = None
    shared_key: bool = False


@dataclass(frozen=True)
class StateSpace:
    """A state-space model with ``length`` observations ``y_0 … y_{T-1}``:
    ``init(key) -> (x_0, log_w)`` and ``step(key, x, t) -> (x, log_w)``.

    ``log_w`` is the log weight of the stage, usually ``log p(y_t | x_t)``
    (the bootstrap proposal); any proposal works when ``log_w`` is
    ``log p(x_t | x_{t-1}) p(y_t | x_t) / q(x_t | x_{t-1})``. ``stage_name(t)``
    names stage ``t`` in error messages (e.g. ``"y[3]"``). A model with
    several loops continues with ``phases``, each entered from the particles
    the one before left; ``total`` counts the stages of all of them. A model
    cut from a program (:mod:`catlearn.inference.cutting`) has the
    :class:`Backward` kernels of its first phase in ``backward`` and the
    latent sites its particles record (zeros) in ``sites``: it can be smoothed.
    With ``shared_key``, a stage runs on all particles with one key under
    :func:`~catlearn.categories.sampler.over_population` (a cut model draws
    with population noise: the particles' draws differ by their index), not
    under ``vmap`` with a key split off per particle.
    """
    init: Callable[[jax.Array], tuple[Any, jax.Array]]
    step: Callable[[jax.Array, Any, jax.Array], tuple[Any, jax.Array]]
    length: int
    stage_name: Callable[[int], str] = lambda t: f"time step {t}"
    vectorised: bool = False
    phases: tuple[Phase, ...] = ()
    backward: Optional[tuple[Backward, Optional[Backward]]] = None
    sites: Optional[dict] = field(default=None, compare=False)  # arrays: out of the hash
    shared_key: bool = False

    @property
    def total(self) -> int:
        return self.length + sum(phase.length for phase in self.phases)


@dataclass(frozen=True)
class StaticTarget:
    """A static model on unconstrained flat vectors ``x ∈ ℝ^dim``:
    ``sample_prior(key) -> x``, ``log_prior(x)`` and ``log_likelihood(x)``."""
    sample_prior: Callable[[jax.Array], jax.Array]
    log_prior: Callable[[jax.Array], jax.Array]
    log_likelihood: Callable[[jax.Array], jax.Array]


class Stage(NamedTuple):
    """What one stage did to the population."""
    log_evidence_increment: jax.Array   # log (Z after / Z before) the stage's reweighting
    ess: jax.Array                      # effective sample size after reweighting
    resampled: jax.Array                # whether the population was resampled after it
    temperature: jax.Array              # β after the stage (1 for state-space stages)


def advance(key: jax.Array, pop: Population, stage: Transition, *,
            vectorised: bool = False, shared_key: bool = False) -> Population:
    """Run ``stage`` on every particle under ``vmap`` with a key each (or, ``vectorised``,
    on all of them at once with one key; or, ``shared_key``, on every particle with
    the same key, under :func:`~catlearn.categories.sampler.over_population`) and
    multiply in its weights."""
    if vectorised:
        particles, log_g = stage(key, pop.particles)
    elif shared_key:
        particles, log_g = over_population(stage)(key, pop.particles)
    else:
        particles, log_g = jax.vmap(stage)(jax.random.split(key, size(pop)), pop.particles)
    return reweight(pop._replace(particles=particles), jnp.where(jnp.isnan(log_g), -jnp.inf, log_g))


def record(before: jax.Array, pop: Population, resampled: jax.Array,
           temperature: float | jax.Array = 1.0) -> Stage:
    """The :class:`Stage` of a population reweighted from log evidence ``before``."""
    after, ess = evidence_and_ess(pop)
    return Stage(after - before, ess, resampled, jnp.asarray(temperature, pop.log_weights.dtype))


def finish(key: jax.Array, pop: Population, model: StateSpace | Phase,
           between: Between, start: Any = 1, count: Optional[int] = None
           ) -> tuple[Population, tuple[Stage, Any]]:
    """``(advance_t ; between)`` for ``t = 1 … T-1``, one ``lax.scan``; returns
    the final population and, stacked over ``t``, the stage records and
    whatever ``between`` reports (e.g. ancestors). With ``count``, only the
    stages ``t = start … start + count - 1`` (``start`` may be traced): stage
    ``t``'s key is the same either way."""

    def stage(pop, inputs):
        key, t = inputs
        key_advance, key_between = jax.random.split(key)
        before = log_evidence(pop)
        pop = advance(key_advance, pop, lambda k, x: model.step(k, x, t),
                      vectorised=model.vectorised, shared_key=model.shared_key)
        after, ess = evidence_and_ess(pop)
        increment = after - before
        pop, (resampled, out) = between(key_between, pop, t)
        return pop, (Stage(increment, ess, resampled, jnp.ones_like(ess)), out)

    keys = jax.random.split(key, model.length - 1)
    if count is None:
        return jax.lax.scan(stage, pop, (keys, jnp.arange(1, model.length)))
    return jax.lax.scan(stage, pop, (jax.lax.dynamic_slice_in_dim(keys, start - 1, count),
                                     start + jnp.arange(count)))


def trace_back(states: Any, ancestors: jax.Array) -> Any:
    """Particle paths from per-stage states ``(T, n, …)`` and ancestors ``(T, n)``
    (``ancestors[t][i]``: the index at stage ``t`` of the particle that became
    particle ``i`` after resampling at stage ``t``): path ``i`` ends at final
    particle ``i``. One reverse ``lax.scan``."""
    n = ancestors.shape[1]

    def back(index, inputs):
        state_t, ancestors_t = inputs
        index = ancestors_t[index]
        return index, jax.tree.map(lambda leaf: leaf[index], state_t)

    _, paths = jax.lax.scan(back, jnp.arange(n), (states, ancestors), reverse=True)
    return paths


def log_cess(log_weights: jax.Array, log_increments: jax.Array) -> jax.Array:
    """``log (CESS / n)`` of the increments ``g`` under the weights ``W``; ``-inf`` when
    every ``W_i g_i`` is zero."""
    log_w = log_weights - logsumexp(log_weights)
    numerator = 2 * logsumexp(log_w + log_increments)
    value = numerator - logsumexp(log_w + 2 * log_increments)
    return jnp.where(jnp.isfinite(numerator), value, -jnp.inf)


def tempered(log_prior: jax.Array, log_likelihood: jax.Array, beta: jax.Array) -> jax.Array:
    """``log p(x) + β log L(x)``, with ``0 · (-inf) = 0`` at the prior."""
    return log_prior + jnp.where(beta > 0, beta * log_likelihood, 0.0)


def next_temperature(log_weights: jax.Array, log_likelihoods: jax.Array, beta: jax.Array,
                     target: float, iterations: int = 40) -> jax.Array:
    """The largest ``β' ∈ (β, 1]`` with ``CESS(β')/n ≥ target``, by bisection on
    ``δ = β' - β`` (``CESS`` decreases in ``δ``); always moves forward."""
    log_target = jnp.log(target)

    def feasible(delta):
        return log_cess(log_weights, delta * log_likelihoods) >= log_target

    def halve(_, bounds):
        lo, hi = bounds
        mid = 0.5 * (lo + hi)
        ok = feasible(mid)
        return jnp.where(ok, mid, lo), jnp.where(ok, hi, mid)

    rest = 1.0 - beta
    lo, hi = jax.lax.fori_loop(0, iterations, halve, (jnp.zeros_like(beta), rest))
    delta = jnp.where(feasible(rest), rest, jnp.where(lo > 0, lo, hi))
    return jnp.minimum(beta + delta, 1.0)


Schedule = Callable[[jax.Array, jax.Array, jax.Array, jax.Array], jax.Array]
"""``(log_weights, log_likelihoods, β, k) -> β'``: the temperature after stage ``k``."""


def adaptive_schedule(target_ess: float) -> Schedule:
    """``β'`` by bisection so that ``CESS(β')/n = target_ess``."""
    return lambda log_w, log_lik, beta, k: next_temperature(log_w, log_lik, beta, target_ess)


def power_schedule(stages: int, power: float) -> Schedule:
    """``β_k = (k/K)^power`` for ``k = 1 … K`` (Neal 2001's annealing schedule)."""
    return fixed_schedule((jnp.arange(1, stages + 1) / stages) ** power)


def fixed_schedule(temperatures: jax.Array) -> Schedule:
    """``β_{k+1}`` from a given increasing sequence ending at 1."""
    temperatures = jnp.asarray(temperatures)
    return lambda log_w, log_lik, beta, k: temperatures[k].astype(beta.dtype)


class Annealing(NamedTuple):
    """Tempering between stages: the population at temperature ``beta`` after
    ``k`` stages, the key of the stages to come and the records of those done
    (buffers of length ``max_stages``)."""
    pop: Population
    beta: jax.Array
    k: jax.Array
    key: jax.Array
    stages: Stage


def annealing(key: jax.Array, pop: Population, max_stages: int) -> Annealing:
    """Tempering about to start from ``pop`` at the prior, ``β = 0``."""
    dtype = pop.log_weights.dtype
    blank = Stage(jnp.full((max_stages,), jnp.nan, dtype), jnp.zeros((max_stages,), dtype),
                  jnp.zeros((max_stages,), bool), jnp.zeros((max_stages,), dtype))
    return Annealing(pop, jnp.zeros((), dtype), jnp.zeros((), jnp.int32), key, blank)


def annealing_on(carry: Annealing, max_stages: int) -> jax.Array:
    """Whether tempering goes on: below ``β = 1``, under ``max_stages``, with evidence."""
    return (carry.beta < 1) & (carry.k < max_stages) & jnp.isfinite(log_evidence(carry.pop))


def anneal_until(carry: Annealing, target: StaticTarget, between: Between,
                 schedule: Schedule, max_stages: int, stop: Any = None) -> Annealing:
    """Tempering stages from ``carry`` until ``β = 1`` (or the evidence vanishes, or
    ``max_stages``, or, given ``stop``, stage ``stop``), one ``lax.while_loop``."""

    def running(carry):
        on = annealing_on(carry, max_stages)
        return on if stop is None else on & (carry.k < stop)

    def stage(carry):
        pop, beta, k, key, stages = carry
        key, key_between = jax.random.split(key)
        log_lik = jax.vmap(target.log_likelihood)(pop.particles)
        log_lik = jnp.where(jnp.isnan(log_lik), -jnp.inf, log_lik)
        new_beta = schedule(pop.log_weights, log_lik, beta, k)
        before = log_evidence(pop)
        pop = reweight(pop, jnp.where(log_lik > -jnp.inf, (new_beta - beta) * log_lik, -jnp.inf))
        after, ess = evidence_and_ess(pop)
        increment = after - before
        pop, (resampled, _) = between(key_between, pop, new_beta)
        stages = jax.tree.map(lambda buf, v: buf.at[k].set(v), stages,
                              Stage(increment, ess, resampled, new_beta))
        return Annealing(pop, new_beta, k + 1, key, stages)

    return jax.lax.while_loop(running, stage, carry)
