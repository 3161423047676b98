"""Hamiltonian Monte Carlo as an MHG kernel: the auxiliary is the momentum
``p ~ N(0, M)`` and the involution is ``L`` leapfrog steps followed by the
momentum flip ``p ↦ -p``, so the ratio is ``exp(H(x, p) - H(x', p'))``.

With ``step_size_jitter = j`` the step size of each transition is drawn
uniformly from ``ε (1 ± j)`` (Neal 2011, Stan's ``stepsize_jitter``): the
draw is part of the auxiliary, which the involution leaves unchanged, so
each transition is still MHG. A fixed trajectory length resonates on
near-Gaussian targets (a dimension whose period divides ``L ε`` barely
moves); the jitter breaks that.

>>> import jax, jax.numpy as jnp
>>> k = hmc(lambda x: -0.5 * jnp.sum(x ** 2), 0.1, jnp.ones(2), num_integration_steps=10)
>>> state, info = k.step(jax.random.key(0), k.init(jnp.ones(2)))
>>> int(info.num_steps)
10
"""
from __future__ import annotations

import jax
from jax.flatten_util import ravel_pytree

from catlearn.inference.integrators import IntegratorState, leapfrog, trajectory
from catlearn.inference.kernel import Kernel, LogDensity, State, flat_logdensity, state_at
from catlearn.inference.metrics import gaussian_euclidean
from catlearn.inference.mhg import mhg


def hmc(logdensity_fn: LogDensity, step_size: float | jax.Array,
        inverse_mass_matrix: jax.Array, num_integration_steps: int,
        divergence_threshold: float = 1000.0, step_size_jitter: float = 0.0) -> Kernel:
    """HMC with ``num_integration_steps`` leapfrog steps of size ``step_size``
    (times a uniform draw from ``1 ± step_size_jitter`` per transition)."""
    metric = gaussian_euclidean(inverse_mass_matrix)

    def sample_auxiliary(key, state):
        key_momentum, key_jitter = jax.random.split(key)
        jitter = step_size_jitter * jax.random.uniform(key_jitter, minval=-1.0, maxval=1.0)
        return metric.sample_momentum(key_momentum, ravel_pytree(state.position)[0]), jitter

    def momentum_logdensity(state, auxiliary):
        return -metric.kinetic_energy(auxiliary[0])

    def flow_then_flip(state, auxiliary):
        p, jitter = auxiliary
        x, unravel, logdensity = flat_logdensity(logdensity_fn, state.position)
        start = IntegratorState(x, p, state.logdensity, ravel_pytree(state.logdensity_grad)[0])
        end = trajectory(leapfrog(logdensity, metric), start, step_size * (1.0 + jitter),
                         num_integration_steps)
        return (State(unravel(end.position), end.logdensity, unravel(end.logdensity_grad)),
                (-end.momentum, jitter))

    return mhg(lambda position: state_at(logdensity_fn, position, grad=True),
               sample_auxiliary, momentum_logdensity, flow_then_flip,
               num_steps=num_integration_steps, divergence_threshold=divergence_threshold)
