"""MALA as an MHG kernel: the auxiliary is the Langevin proposal
``y ~ N(x + ε∇log π(x), 2ε)`` and the involution swaps ``x`` and ``y``, so the
ratio holds the reverse proposal density ``q(x | y)``.

>>> import jax, jax.numpy as jnp
>>> k = mala(lambda x: -0.5 * jnp.sum(x ** 2), step_size=0.1)
>>> state, info = k.step(jax.random.key(0), k.init(jnp.ones(2)))
>>> state.logdensity_grad.shape
(2,)
"""
from __future__ import annotations

import jax
import jax.numpy as jnp
from jax.flatten_util import ravel_pytree

from catlearn.inference.kernel import Kernel, LogDensity, state_at
from catlearn.inference.mhg import mhg


def mala(logdensity_fn: LogDensity, step_size: float | jax.Array) -> Kernel:
    """The Metropolis-adjusted Langevin kernel of step size ``ε`` (scalar, or one per
    coordinate: a diagonal preconditioner)."""

    def drift(state):
        x, unravel = ravel_pytree(state.position)
        return x + step_size * ravel_pytree(state.logdensity_grad)[0], unravel

    def sample_proposal(key, state):
        mean, unravel = drift(state)
        noise = jax.random.normal(key, mean.shape, mean.dtype)
        return unravel(mean + jnp.sqrt(2 * step_size) * noise)

    def proposal_logdensity(state, y):
        mean, _ = drift(state)
        return -jnp.sum((ravel_pytree(y)[0] - mean) ** 2 / (4 * step_size))

    def swap(state, y):
        return state_at(logdensity_fn, y, grad=True), state.position

    return mhg(lambda position: state_at(logdensity_fn, position, grad=True),
               sample_proposal, proposal_logdensity, swap, num_steps=1)
