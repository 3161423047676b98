"""Convergence diagnostics of Vehtari, Gelman, Simpson, Carpenter & Bürkner (2021).

Draws have ``(chain, draw, ...)`` axes; each diagnostic is computed for every
trailing coordinate at once.

- ``rhat``: the rank-normalised split-R̂, the larger of R̂ on the rank-normal
  scores of the split chains and of their distances to the median (folded).
- ``ess_bulk``: the effective sample size of the rank-normal scores of the
  split chains.
- ``ess_tail``: the smaller ESS of the indicators ``x ≤ q₅%`` and ``x ≤ q₉₅%``.

ESS follows Geyer's initial monotone sequence estimator on the
autocorrelations averaged over chains, as Stan and arviz do.

>>> import jax, jax.numpy as jnp
>>> draws = jax.random.normal(jax.random.key(0), (4, 500))
>>> bool(jnp.abs(rhat(draws) - 1) < 0.01), bool(ess_bulk(draws) > 1000)
(True, True)
"""
from __future__ import annotations

import math

import jax
import jax.numpy as jnp
from jax.scipy.special import ndtri


def _split_chains(draws: jax.Array) -> jax.Array:
    """Halves of each chain as separate chains (an odd middle draw is dropped)."""
    half = draws.shape[1] // 2
    return jnp.concatenate([draws[:, :half], draws[:, draws.shape[1] - half:]], axis=0)


def _rank_normal(draws: jax.Array) -> jax.Array:
    """Blom's normal scores ``Φ⁻¹((r - 3/8) / (n + 1/4))`` of the pooled average ranks."""
    chains, n, k = draws.shape
    pooled = draws.reshape(-1, k)
    ordered = jnp.sort(pooled, axis=0)
    below = jax.vmap(lambda s, v: jnp.searchsorted(s, v, side="left"), in_axes=1,
                     out_axes=1)(ordered, pooled)
    at_most = jax.vmap(lambda s, v: jnp.searchsorted(s, v, side="right"), in_axes=1,
                       out_axes=1)(ordered, pooled)
    rank = (below + at_most + 1) / 2
    return ndtri((rank - 0.375) / (pooled.shape[0] + 0.25)).reshape(chains, n, k)


def _rhat(draws: jax.Array) -> jax.Array:
    """The classic potential scale reduction of ``(chain, draw, k)`` draws."""
    n = draws.shape[1]
    within = jnp.mean(jnp.var(draws, axis=1, ddof=1), axis=0)
    between = n * jnp.var(jnp.mean(draws, axis=1), axis=0, ddof=1)
    return jnp.sqrt((between / within + n - 1) / n)


def _autocovariance(draws: jax.Array) -> jax.Array:
    """Autocovariances along the draw axis, by FFT with zero padding."""
    n = draws.shape[1]
    centred = draws - draws.mean(axis=1, keepdims=True)
    size = 1 << (2 * n - 1).bit_length()
    spectrum = jnp.fft.rfft(centred, n=size, axis=1)
    return jnp.fft.irfft(spectrum * jnp.conj(spectrum), n=size, axis=1)[:, :n] / n


def _ess(draws: jax.Array) -> jax.Array:
    """ESS of ``(chain, draw, k)`` draws by Geyer's initial monotone sequence."""
    chains, n, _ = draws.shape
    acov = _autocovariance(draws)
    mean_var = jnp.mean(acov[:, 0], axis=0) * n / (n - 1)
    var_plus = mean_var * (n - 1) / n
    if chains > 1:
        var_plus = var_plus + jnp.var(jnp.mean(draws, axis=1), axis=0, ddof=1)
    rho = 1 - (mean_var - jnp.mean(acov, axis=0)) / var_plus      # [lag, k]
    rho = rho.at[0].set(1.0)
    # Pairs Γ_j = ρ_2j + ρ_2j+1 are summed up to the first that is not positive
    # (at most the pairs whose odd lag is below n - 1), made monotone by a running minimum.
    num_pairs = (n - 1) // 2
    if num_pairs == 0:  # fewer than three draws per (split) chain: no estimate
        return jnp.full(draws.shape[2:], jnp.nan, draws.dtype)
    pairs = rho[0:2 * num_pairs:2] + rho[1:2 * num_pairs:2]        # [pair, k]
    j = jnp.arange(num_pairs)[:, None]
    candidates = (pairs <= 0) | (j == num_pairs - 1)
    last = jnp.argmax(candidates, axis=0)                             # index of the stopping pair
    monotone = jax.lax.cummin(jnp.where(j < last, pairs, jnp.inf), axis=0)
    head = jnp.sum(jnp.where(j < last, monotone, 0.0), axis=0)
    stop_even = jnp.take_along_axis(rho[0:2 * num_pairs:2], last[None], axis=0)[0]
    stop_pair = jnp.take_along_axis(pairs, last[None], axis=0)[0]
    tail = jnp.where((stop_even > 0) | (stop_pair >= 0), stop_even, 0.0)
    total = chains * n
    tau = jnp.maximum(-1 + 2 * head + tail, 1 / jnp.log10(total))
    constant = jnp.ptp(draws, axis=(0, 1)) < jnp.finfo(draws.dtype).resolution
    return jnp.where(constant, total, total / tau)


def _per_coordinate(diagnostic):
    """``diagnostic`` of ``(chain, draw, k)`` draws, compiled once per shape, applied to
    ``(chain, draw, ...)`` draws and shaped like one draw."""
    compiled = jax.jit(diagnostic)

    def apply(draws: jax.Array) -> jax.Array:
        draws = jnp.asarray(draws)
        if draws.ndim < 2:
            draws = draws.reshape(1, -1)
        if math.prod(draws.shape[2:]) == 0:
            # A site of no coordinates (a loop of length zero) has no diagnostic.
            return jnp.zeros(draws.shape[2:], draws.dtype)
        columns = draws.reshape(draws.shape[0], draws.shape[1], -1)
        return compiled(columns).reshape(draws.shape[2:])

    apply.__name__, apply.__doc__ = diagnostic.__name__, diagnostic.__doc__
    return apply


@_per_coordinate
def rhat(draws: jax.Array) -> jax.Array:
    """Rank-normalised split-R̂ of ``(chain, draw, ...)`` draws, per coordinate."""
    split = _split_chains(draws)
    folded = jnp.abs(split - jnp.median(split, axis=(0, 1)))
    return jnp.maximum(_rhat(_rank_normal(split)), _rhat(_rank_normal(folded)))


@_per_coordinate
def ess_bulk(draws: jax.Array) -> jax.Array:
    """Bulk effective sample size of ``(chain, draw, ...)`` draws, per coordinate."""
    return _ess(_rank_normal(_split_chains(draws)))


@_per_coordinate
def ess_tail(draws: jax.Array) -> jax.Array:
    """Tail effective sample size (5% and 95% quantiles) of ``(chain, draw, ...)`` draws."""
    quantiles = jnp.quantile(draws, jnp.array([0.05, 0.95]), axis=(0, 1))
    below = [(draws <= q).astype(draws.dtype) for q in quantiles]
    return jnp.minimum(*(_ess(_split_chains(b)) for b in below))
