"""Euclidean metrics: the Gaussian kinetic energy of Hamiltonian dynamics.

With mass matrix ``M`` (given by its inverse, the target's covariance
estimate), momentum is ``p ~ N(0, M)``, the kinetic energy is
``K(p) = p·M⁻¹p / 2`` and the velocity is ``dx/dt = M⁻¹p``. The inverse
mass matrix is a vector (diagonal) or a matrix (dense).

>>> import jax.numpy as jnp
>>> metric = gaussian_euclidean(jnp.array([1.0, 4.0]))
>>> float(metric.kinetic_energy(jnp.array([1.0, 1.0])))
2.5
"""
from __future__ import annotations

from typing import Callable, NamedTuple

import jax
import jax.numpy as jnp
from jax.scipy.linalg import solve_triangular


class Metric(NamedTuple):
    sample_momentum: Callable[[jax.Array, jax.Array], jax.Array]   # (key, x) -> p
    momentum: Callable[[jax.Array], jax.Array]                      # z ~ N(0, I) -> p ~ N(0, M)
    velocity: Callable[[jax.Array], jax.Array]                      # p -> M⁻¹p
    kinetic_energy: Callable[[jax.Array], jax.Array]                # p -> p·M⁻¹p / 2


def gaussian_euclidean(inverse_mass_matrix: jax.Array) -> Metric:
    """The Gaussian kinetic energy with inverse mass matrix ``M⁻¹`` (vector or matrix)."""
    inverse_mass_matrix = jnp.asarray(inverse_mass_matrix)
    if inverse_mass_matrix.ndim == 1:
        scale = jax.lax.rsqrt(inverse_mass_matrix)

        def momentum(z):
            return scale * z

        def velocity(p):
            return inverse_mass_matrix * p
    else:
        # M = Σ⁻¹ with Σ = LLᵀ, so p = L⁻ᵀz has covariance M: no inverse is formed.
        cholesky = jnp.linalg.cholesky(inverse_mass_matrix)

        def momentum(z):
            return solve_triangular(cholesky, z, lower=True, trans="T")

        def velocity(p):
            return inverse_mass_matrix @ p

    def sample_momentum(key, x):
        return momentum(jax.random.normal(key, x.shape, x.dtype))

    def kinetic_energy(p):
        return 0.5 * jnp.dot(p, velocity(p))

    return Metric(sample_momentum, momentum, velocity, kinetic_energy)
