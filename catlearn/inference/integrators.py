"""The leapfrog integrator of Hamiltonian dynamics ``H(x, p) = -log π(x) + K(p)``.

One leapfrog step is a half kick, a drift and a half kick; it is volume
preserving and reversible (negating the momentum inverts it), which is what
makes it an involution for Metropolis–Hastings–Green. The gradient at the
end of a step is carried in the state, so a step costs one gradient.

>>> import jax.numpy as jnp
>>> from catlearn.inference.metrics import gaussian_euclidean
>>> step = leapfrog(lambda x: -0.5 * jnp.dot(x, x), gaussian_euclidean(jnp.ones(1)))
>>> s = step(point(lambda x: -0.5 * jnp.dot(x, x), jnp.array([1.0]), jnp.array([0.0])), 0.1)
>>> round(float(s.position[0]), 4)
0.995
"""
from __future__ import annotations

from typing import Callable, NamedTuple

import jax

from catlearn.inference.metrics import Metric


class IntegratorState(NamedTuple):
    position: jax.Array
    momentum: jax.Array
    logdensity: jax.Array
    logdensity_grad: jax.Array


def point(logdensity_fn: Callable[[jax.Array], jax.Array], position: jax.Array,
          momentum: jax.Array) -> IntegratorState:
    """The phase-space point ``(position, momentum)`` with its log density and gradient."""
    return IntegratorState(position, momentum, *jax.value_and_grad(logdensity_fn)(position))


def leapfrog(logdensity_fn: Callable[[jax.Array], jax.Array], metric: Metric
             ) -> Callable[[IntegratorState, jax.Array], IntegratorState]:
    """One leapfrog step of signed size ``step_size`` (negative integrates backwards)."""
    value_and_grad = jax.value_and_grad(logdensity_fn)

    def step(state: IntegratorState, step_size) -> IntegratorState:
        momentum = state.momentum + 0.5 * step_size * state.logdensity_grad
        position = state.position + step_size * metric.velocity(momentum)
        logdensity, grad = value_and_grad(position)
        momentum = momentum + 0.5 * step_size * grad
        return IntegratorState(position, momentum, logdensity, grad)

    return step


def hamiltonian(metric: Metric, state: IntegratorState) -> jax.Array:
    """The energy ``H = -log π(x) + K(p)``."""
    return -state.logdensity + metric.kinetic_energy(state.momentum)


def trajectory(integrator, state: IntegratorState, step_size, num_steps: int) -> IntegratorState:
    """``num_steps`` leapfrog steps from ``state``."""
    return jax.lax.fori_loop(0, num_steps, lambda _, s: integrator(s, step_size), state)
