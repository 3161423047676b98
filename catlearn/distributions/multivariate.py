"""Distributions of vectors: Dirichlet and multivariate normal.

>>> from catlearn.distributions import Dirichlet, MultivariateNormal
>>> Dirichlet(jnp.ones(3)).event_shape
(3,)
>>> d = MultivariateNormal(0.0, jnp.eye(2))
>>> round(float(d.log_prob(jnp.zeros(2))), 4)  # -log(2π)
-1.8379
"""
from __future__ import annotations

import math

import jax
import jax.numpy as jnp
from jax.scipy.linalg import solve_triangular
from jax.scipy.special import gammaln, xlogy

from catlearn.distributions import constraints as C
from catlearn.distributions.distribution import Distribution
from catlearn.errors import DistributionError


class Dirichlet(Distribution):
    """Density ``Γ(Σα) / ΠΓ(α_i) · Π x_i^(α_i - 1)`` on the simplex (``α = concentration``),
    written in the chart of the first ``k-1`` coordinates."""

    arg_names = ("concentration",)
    arg_constraints = {"concentration": C.positive_vector}
    support = C.simplex

    @property
    def event_shape(self):
        return self.concentration.shape[-1:]

    def _sample(self, key, shape):
        return jax.random.dirichlet(key, self.concentration, shape,
                                    jnp.result_type(self.concentration))

    def _log_prob(self, x):
        alpha = self.concentration
        return (jnp.sum(xlogy(alpha - 1, x), axis=-1) + gammaln(jnp.sum(alpha, axis=-1))
                - jnp.sum(gammaln(alpha), axis=-1))

    @property
    def mean(self):
        return self.concentration / jnp.sum(self.concentration, axis=-1, keepdims=True)

    @property
    def variance(self):
        total = jnp.sum(self.concentration, axis=-1, keepdims=True)
        return self.concentration * (total - self.concentration) / (total ** 2 * (total + 1))


class MultivariateNormal(Distribution):
    """``N(loc, cov)`` on ``R^n``; a scalar ``loc`` is repeated ``n`` times."""

    arg_names = ("loc", "cov")
    aliases = {"covariance_matrix": "cov"}
    arg_constraints = {"loc": C.real_vector, "cov": C.positive_definite}
    support = C.real_vector

    def _promote(self, params):
        loc, cov = params["loc"], params["cov"]
        if cov.ndim < 2 or cov.shape[-1] != cov.shape[-2]:
            raise DistributionError(f"{self.name}: cov must be a square matrix, "
                                    f"got shape {cov.shape}")
        n = cov.shape[-1]
        if loc.ndim == 0:
            loc = jnp.broadcast_to(loc, (n,))
        if loc.shape[-1] != n:
            raise DistributionError(f"{self.name}: loc has {loc.shape[-1]} entries "
                                    f"but cov is {n}x{n}")
        return {"loc": loc, "cov": cov}

    @property
    def event_shape(self):
        return self.loc.shape[-1:]

    def _sample(self, key, shape):
        eps = jax.random.normal(key, shape + self.event_shape, jnp.result_type(self.loc))
        return self.loc + (jnp.linalg.cholesky(self.cov) @ eps[..., None])[..., 0]

    def _log_prob(self, x):
        diff = x - self.loc
        chol = jnp.broadcast_to(jnp.linalg.cholesky(self.cov), diff.shape + diff.shape[-1:])
        z = solve_triangular(chol, diff[..., None], lower=True)[..., 0]
        half_log_det = jnp.sum(jnp.log(jnp.diagonal(chol, axis1=-2, axis2=-1)), axis=-1)
        return -0.5 * jnp.sum(z ** 2, axis=-1) - half_log_det - diff.shape[-1] * 0.5 * math.log(2 * math.pi)

    @property
    def mean(self):
        return self.loc

    @property
    def variance(self):
        return jnp.diagonal(self.cov, axis1=-2, axis2=-1)

    @property
    def covariance_matrix(self):
        return self.cov
