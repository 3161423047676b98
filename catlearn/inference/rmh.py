"""Random-walk Metropolis as an MHG kernel: ``v ~ N(0, σ²)``, ``f(x, v) = (x + v, -v)``.

>>> import jax, jax.numpy as jnp
>>> k = rmh(lambda x: -0.5 * jnp.sum(x ** 2), scale=0.5)
>>> state, info = k.step(jax.random.key(0), k.init(jnp.zeros(3)))
>>> state.position.shape
(3,)
"""
from __future__ import annotations

import jax
import jax.numpy as jnp
from jax.flatten_util import ravel_pytree

from catlearn.inference.kernel import Kernel, LogDensity, state_at
from catlearn.inference.mhg import mhg


def rmh(logdensity_fn: LogDensity, scale: float | jax.Array) -> Kernel:
    """Gaussian random-walk Metropolis with step ``scale`` (scalar, or one per coordinate)."""

    def sample_step(key, state):
        x, unravel = ravel_pytree(state.position)
        return unravel(scale * jax.random.normal(key, x.shape, x.dtype))

    def step_logdensity(state, v):
        return -0.5 * jnp.sum((ravel_pytree(v)[0] / scale) ** 2)

    def move(state, v):
        position = jax.tree.map(jnp.add, state.position, v)
        return state_at(logdensity_fn, position, grad=False), jax.tree.map(jnp.negative, v)

    return mhg(lambda position: state_at(logdensity_fn, position, grad=False),
               sample_step, step_logdensity, move)
