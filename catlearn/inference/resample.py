"""Resampling: replace weighted particles by equally weighted offspring.

A scheme draws ancestor indices ``a_1 … a_n`` such that the number of
offspring ``N_i = #{k : a_k = i}`` of particle ``i`` is unbiased,

    E[N_i] = n · W_i,      W_i = w_i / Σ_j w_j,

so the resampled population ``Z · (1/n) Σ_k δ(x_{a_k})`` has the same
expected measure as the weighted one (Ścibior et al.: resampling is a
distribution-preserving transformer of ``Population``). The schemes differ
only in the uniforms ``u_k ∈ [0, 1)`` fed to the inverse CDF of ``W``:

* multinomial: ``u_k`` i.i.d. uniform;
* stratified:  ``u_k = (k + U_k) / n`` with ``U_k`` i.i.d. uniform;
* systematic:  ``u_k = (k + U) / n`` with one ``U`` shared;
* residual:    ``⌊n W_i⌋`` copies of each particle, the remaining
  ``R = n − Σ⌊n W_i⌋`` drawn multinomially from the residuals ``n W_i − ⌊n W_i⌋``.

Each costs ``O(n log n)`` (a binary search of the CDF) and never builds an
``n × n`` array, so a million particles fit in memory.

>>> import jax, jax.numpy as jnp
>>> systematic(jax.random.key(0), jnp.log(jnp.array([0.5, 0.0, 0.25, 0.25])))
Array([0, 0, 2, 3], dtype=int32)
"""
from __future__ import annotations

from typing import Callable

import jax
import jax.numpy as jnp

from catlearn.errors import InferenceError
from catlearn.inference.population import Population, effective_sample_size, normalise, size

Scheme = Callable[[jax.Array, jax.Array], jax.Array]   # (key, log_weights) -> ancestors


def _inverse_cdf(log_weights: jax.Array, uniforms: jax.Array) -> jax.Array:
    """The index ``i`` with ``C_{i-1} ≤ u · C_n < C_i`` for each ``u``, ``C`` the
    cumulative weights; scaling ``u`` by ``C_n`` absorbs the rounding of the sum."""
    weights = jnp.exp(log_weights - jnp.max(log_weights))
    cdf = jnp.cumsum(weights)
    indices = jnp.searchsorted(cdf, uniforms * cdf[-1], side="right")
    return jnp.minimum(indices, log_weights.shape[0] - 1).astype(jnp.int32)


def multinomial(key: jax.Array, log_weights: jax.Array) -> jax.Array:
    """``n`` i.i.d. draws from ``W``: ``N ~ Multinomial(n, W)``."""
    n = log_weights.shape[0]
    return _inverse_cdf(log_weights, jax.random.uniform(key, (n,)))


def stratified(key: jax.Array, log_weights: jax.Array) -> jax.Array:
    """One draw in each stratum ``[k/n, (k+1)/n)``."""
    n = log_weights.shape[0]
    return _inverse_cdf(log_weights, (jnp.arange(n) + jax.random.uniform(key, (n,))) / n)


def systematic(key: jax.Array, log_weights: jax.Array) -> jax.Array:
    """The comb ``(k + U)/n``: ``N_i ∈ {⌊n W_i⌋, ⌈n W_i⌉}``."""
    n = log_weights.shape[0]
    return _inverse_cdf(log_weights, (jnp.arange(n) + jax.random.uniform(key)) / n)


def residual(key: jax.Array, log_weights: jax.Array) -> jax.Array:
    """``⌊n W_i⌋`` deterministic copies, then multinomial on the residuals."""
    n = log_weights.shape[0]
    expected = n * jnp.exp(log_weights - jax.scipy.special.logsumexp(log_weights))
    copies = jnp.floor(expected).astype(jnp.int32)
    deterministic = jnp.repeat(jnp.arange(n, dtype=jnp.int32), copies, total_repeat_length=n)
    rest = _inverse_cdf(jnp.log(expected - copies), jax.random.uniform(key, (n,)))
    return jnp.where(jnp.arange(n) < jnp.sum(copies), deterministic, rest)


SCHEMES: dict[str, Scheme] = {"multinomial": multinomial, "stratified": stratified,
                              "systematic": systematic, "residual": residual}


def scheme(name: str | Scheme) -> Scheme:
    """The scheme called ``name`` (a scheme passes through)."""
    if callable(name):
        return name
    if name not in SCHEMES:
        raise InferenceError(f"unknown resampling scheme '{name}' "
                             f"(choose one of {', '.join(SCHEMES)})")
    return SCHEMES[name]


def resample(key: jax.Array, pop: Population, how: str | Scheme = "systematic"
             ) -> tuple[Population, jax.Array]:
    """``Z · Σ W_i δ(x_i)  ↦  Z · (1/n) Σ_k δ(x_{a_k})``, ``a = scheme(W)``;
    returns the new population and the ancestors ``a``."""
    pop = normalise(pop)
    ancestors = scheme(how)(key, pop.log_weights)
    n = size(pop)
    return Population(jax.tree.map(lambda leaf: leaf[ancestors], pop.particles),
                      jnp.full((n,), -jnp.log(n), pop.log_weights.dtype), pop.log_z), ancestors


def adaptive(key: jax.Array, pop: Population, how: str | Scheme = "systematic",
             threshold: float = 0.5) -> tuple[Population, jax.Array, jax.Array]:
    """Resample when ``ESS < threshold · n``; returns the population, the
    ancestors (``0 … n-1`` when it did not) and whether it resampled.

    The choice is a ``lax.cond`` on the traced ESS, so it compiles once and
    skips the gather when it is not needed; ``threshold ≥ 1`` resamples always
    and ``threshold ≤ 0`` never (decided at trace time).
    """
    def keep(p):
        return normalise(p), jnp.arange(size(p), dtype=jnp.int32)

    if threshold >= 1:
        return *resample(key, pop, how), jnp.asarray(True)
    if threshold <= 0:
        return *keep(pop), jnp.asarray(False)
    needed = effective_sample_size(pop) < threshold * size(pop)
    pop, ancestors = jax.lax.cond(needed, lambda p: resample(key, p, how), keep, pop)
    return pop, ancestors, needed
