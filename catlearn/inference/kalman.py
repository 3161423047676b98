"""The Kalman filter: the exact log likelihood of a linear-Gaussian state-space model.

For the model

    x_0 ~ N(m_0, P_0),   x_t = A x_{t-1} + ε_t,  ε_t ~ N(0, Q),
    y_t = H x_t + η_t,   η_t ~ N(0, R),

the predictive ``p(y_t | y_{<t}) = N(y_t; H m_t⁻, H P_t⁻ Hᵀ + R)`` is Gaussian,
and ``log p(y_{0:T-1}) = Σ_t log p(y_t | y_{<t})`` (Kalman 1960; the
archetypal hidden Markov model of Culbertson & Sturtz). It is the truth the
particle filters are tested against.

>>> import jax.numpy as jnp
>>> round(float(log_likelihood(jnp.array([[0.0]]), m0=jnp.zeros(1), P0=jnp.eye(1),
...     A=jnp.eye(1), Q=jnp.eye(1), H=jnp.eye(1), R=jnp.eye(1))), 4)   # y_0 ~ N(0, 2)
-1.2655
"""
from __future__ import annotations

import jax
import jax.numpy as jnp


def _gaussian_logpdf(y: jax.Array, mean: jax.Array, cov: jax.Array) -> jax.Array:
    chol = jnp.linalg.cholesky(cov)
    z = jax.scipy.linalg.solve_triangular(chol, y - mean, lower=True)
    return (-0.5 * jnp.sum(z ** 2) - jnp.sum(jnp.log(jnp.diag(chol)))
            - 0.5 * y.shape[0] * jnp.log(2 * jnp.pi))


def log_likelihood(ys: jax.Array, *, m0: jax.Array, P0: jax.Array, A: jax.Array,
                   Q: jax.Array, H: jax.Array, R: jax.Array) -> jax.Array:
    """``log p(y_{0:T-1})`` for observations ``ys`` of shape ``(T, dim_y)``."""

    def update(m, P, y):
        S = H @ P @ H.T + R
        gain = jnp.linalg.solve(S, H @ P).T
        return m + gain @ (y - H @ m), P - gain @ S @ gain.T, _gaussian_logpdf(y, H @ m, S)

    def step(carry, y):
        m, P = carry
        m, P = A @ m, A @ P @ A.T + Q
        m, P, log_p = update(m, P, y)
        return (m, P), log_p

    m, P, log_p0 = update(m0, P0, ys[0])
    _, log_ps = jax.lax.scan(step, (m, P), ys[1:])
    return log_p0 + jnp.sum(log_ps)


def ar1_log_likelihood(ys: jax.Array, rho: float | jax.Array, *, obs_sd: float = 0.5,
                       init_sd: float = 1.0, noise_sd: float = 1.0) -> jax.Array:
    """The scalar case ``x_0 ~ N(0, init_sd²)``, ``x_t ~ N(ρ x_{t-1}, noise_sd²)``,
    ``y_t ~ N(x_t, obs_sd²)`` (the ``lgss`` example)."""
    one = jnp.ones((1, 1))
    return log_likelihood(jnp.reshape(ys, (-1, 1)), m0=jnp.zeros(1), P0=init_sd ** 2 * one,
                          A=rho * one, Q=noise_sd ** 2 * one, H=one, R=obs_sd ** 2 * one)
