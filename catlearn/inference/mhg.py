"""The Metropolis–Hastings–Green kernel: a proposal, an involution, an acceptance ratio.

Extend the state ``x ~ π`` with an auxiliary ``v ~ q(· | x)`` and let ``f`` be a
volume-preserving involution of ``(x, v)``. Moving to ``(x', v') = f(x, v)``
with probability ``min(1, π(x') q(v' | x') / (π(x) q(v | x)))`` leaves
``π(x) q(v | x)``, hence ``π``, invariant (Green 1995; Neklyudov et al. 2020).
Random-walk Metropolis, MALA and HMC are this theorem with three choices of
``(q, f)``.

>>> import jax, jax.numpy as jnp
>>> from catlearn.inference.kernel import state_at
>>> logdensity = lambda x: -0.5 * x ** 2
>>> k = mhg(lambda x: state_at(logdensity, x, grad=False),
...         sample_auxiliary=lambda key, s: jax.random.normal(key),
...         auxiliary_logdensity=lambda s, v: -0.5 * v ** 2,
...         involution=lambda s, v: (state_at(logdensity, s.position + v, grad=False), -v))
>>> state, info = k.step(jax.random.key(1), k.init(0.0))
>>> bool(info.is_accepted) == bool(state.position != 0.0)
True
"""
from __future__ import annotations

from typing import Any, Callable, NamedTuple

import jax
import jax.numpy as jnp

from catlearn.inference.kernel import Kernel, Position, State


class MHGInfo(NamedTuple):
    acceptance_rate: jax.Array   # min(1, ratio): the expected acceptance of this proposal
    is_accepted: jax.Array
    is_divergent: jax.Array      # log ratio below -divergence_threshold
    num_steps: jax.Array         # gradient evaluations of the involution


def mhg(init: Callable[[Position], State],
        sample_auxiliary: Callable[[jax.Array, State], Any],
        auxiliary_logdensity: Callable[[State, Any], jax.Array],
        involution: Callable[[State, Any], tuple[State, Any]],
        *, num_steps: int = 0, divergence_threshold: float = jnp.inf) -> Kernel:
    """The MHG kernel of auxiliary ``q`` (sampler and log density) and ``involution``."""

    def step(key, state):
        key_auxiliary, key_accept = jax.random.split(key)
        auxiliary = sample_auxiliary(key_auxiliary, state)
        proposal, proposal_auxiliary = involution(state, auxiliary)
        log_ratio = (proposal.logdensity + auxiliary_logdensity(proposal, proposal_auxiliary)
                     - state.logdensity - auxiliary_logdensity(state, auxiliary))
        log_ratio = jnp.where(jnp.isnan(log_ratio), -jnp.inf, log_ratio)
        accepted = jnp.log(jax.random.uniform(key_accept)) < log_ratio
        state = jax.tree.map(lambda new, old: jnp.where(accepted, new, old), proposal, state)
        info = MHGInfo(jnp.exp(jnp.minimum(log_ratio, 0.0)), accepted,
                       log_ratio < -divergence_threshold, jnp.asarray(num_steps))
        return state, info

    return Kernel(init, step)
