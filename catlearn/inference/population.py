"""A population: weighted particles, the representation SMC transforms.

A population of ``n`` particles ``x_i`` with log-weights ``log w_i`` and an
accumulated log evidence ``log Z₀`` stands for the unnormalised measure

    μ = Z₀ · Σ_i w_i δ(x_i),        total mass  Z = Z₀ · Σ_i w_i,

(Ścibior et al.'s ``Population`` monad transformer). Every block of SMC
(reweighting, resampling, moving) preserves the expectation of ``μ`` applied
to any test function, so the total mass at the end is an unbiased estimate
of the model's evidence. ``particles`` is any pytree whose leaves carry the
particle axis first. Keeping ``Z₀`` apart from the weights keeps the
weights near 1 and the evidence exact in float32 over thousands of stages.

>>> import jax, jax.numpy as jnp
>>> pop = spawn(jax.random.key(0), 4, lambda k: (jax.random.normal(k), 0.0))
>>> float(effective_sample_size(pop)), float(log_evidence(pop))
(4.0, 0.0)
>>> pop = reweight(pop, jnp.log(jnp.array([1.0, 1.0, 0.0, 0.0])))
>>> float(effective_sample_size(pop)), round(float(log_evidence(pop)), 4)
(2.0, -0.6931)
"""
from __future__ import annotations

from typing import Any, Callable, NamedTuple

import jax
import jax.numpy as jnp
from jax.scipy.special import logsumexp

from catlearn.categories.sampler import over_population

Particles = Any   # a pytree whose leaves have the particle axis first
WeightedSampler = Callable[[jax.Array], tuple[Any, jax.Array]]   # key -> (x, log w)


class Population(NamedTuple):
    """``Z₀ · Σ_i w_i δ(x_i)`` with ``log Z₀ = log_z`` and ``log w_i = log_weights[i]``."""
    particles: Particles
    log_weights: jax.Array
    log_z: jax.Array


# a population can be the output of a program kept between runs (catlearn.program_cache)
jax.export.register_namedtuple_serialization(
    Population, serialized_name="catlearn.inference.population.Population")


def size(pop: Population) -> int:
    """The number of particles ``n`` (static)."""
    return pop.log_weights.shape[0]


def spawn(key: jax.Array, n: int, sampler: WeightedSampler, *,
          vectorised: bool = False, shared_key: bool = False) -> Population:
    """``n`` independent draws of a weighted sampler, each of weight ``w(x)/n``:

        spawn(n, s) = Σ_i (1/n) w_i δ(x_i),   (x_i, w_i) ~ s   (total mass unbiased for E[w])

    The sampler runs under ``vmap`` with a key per particle, or, when
    ``vectorised``, is called once as ``sampler(key, n)`` for all ``n`` draws,
    or, ``shared_key``, runs under ``vmap`` with one key for all, on the particle
    axis of :func:`~catlearn.categories.sampler.over_population`.
    """
    if vectorised:
        particles, log_w = sampler(key, n)
    elif shared_key:
        particles, log_w = over_population(lambda k, i: sampler(k))(key, jnp.arange(n))
    else:
        particles, log_w = jax.vmap(sampler)(jax.random.split(key, n))
    log_w = jnp.broadcast_to(jnp.asarray(log_w, jnp.result_type(float)), (n,))
    return Population(particles, log_w - jnp.log(n), jnp.zeros((), log_w.dtype))


def reweight(pop: Population, log_increments: jax.Array) -> Population:
    """Multiply each weight by its increment: ``w_i ← w_i · g_i``."""
    return pop._replace(log_weights=pop.log_weights + log_increments)


def log_evidence(pop: Population) -> jax.Array:
    """``log Z = log Z₀ + log Σ_i w_i``, the log total mass."""
    return pop.log_z + logsumexp(pop.log_weights)


def _relative(log_weights: jax.Array) -> tuple[jax.Array, jax.Array]:
    """``(log w - m, m)`` with ``m = max log w``: weights relative to the largest,
    so that float32 keeps their precision however large ``|log w|`` grows."""
    top = jnp.max(log_weights)
    top = jnp.where(jnp.isfinite(top), top, 0.0)
    return log_weights - top, top


def normalise(pop: Population) -> Population:
    """The same measure with ``Σ_i w_i = 1``: the mass moves into ``Z₀``.

    With every weight zero the mass is zero: ``log Z₀ = -inf`` and the weights
    are left uniform, so no NaN is ever produced.
    """
    relative, top = _relative(pop.log_weights)
    log_sum = logsumexp(relative)
    finite = jnp.isfinite(log_sum)
    n = size(pop)
    log_weights = jnp.where(finite, relative - log_sum, -jnp.log(n))
    return pop._replace(log_weights=log_weights, log_z=pop.log_z + top + log_sum)


def normalised_weights(pop: Population) -> jax.Array:
    """``W_i = w_i / Σ_j w_j`` (uniform when every weight is zero)."""
    return jnp.exp(normalise(pop).log_weights)


def effective_sample_size(pop: Population) -> jax.Array:
    """Kish's effective sample size ``ESS = (Σ w_i)² / Σ w_i²``, in ``[1, n]``;
    0 when every weight is zero."""
    return evidence_and_ess(pop)[1]


def evidence_and_ess(pop: Population) -> tuple[jax.Array, jax.Array]:
    """:func:`log_evidence` and :func:`effective_sample_size` from one pass over
    the weights (a filter's stage reports both)."""
    log_w, top = _relative(pop.log_weights)
    log_sum = logsumexp(log_w)
    ess = jnp.where(jnp.isfinite(log_sum), jnp.exp(2 * log_sum - logsumexp(2 * log_w)), 0.0)
    return pop.log_z + top + log_sum, ess


def mean(pop: Population, fn: Callable[[Any], Any] = lambda x: x) -> Any:
    """The self-normalised expectation ``Σ_i W_i f(x_i)``."""
    weights = normalised_weights(pop)
    values = jax.vmap(fn)(pop.particles)
    return jax.tree.map(lambda v: jnp.tensordot(weights, v, axes=1), values)
