"""Rejuvenation: move every particle by an MCMC kernel invariant for the stage's target.

If ``K`` leaves ``π_t`` invariant, then ``Σ_i W_i δ(x_i) ↦ Σ_i W_i K(x_i, ·)``
preserves a population targeting ``π_t`` (weights unchanged), so moves can be
inserted after any stage; after resampling they restore the diversity that
resampling removed (Gilks & Berzuini 2001). Any kernel of
:mod:`catlearn.inference.kernel` (``init(position) -> state``,
``step(key, state) -> (state, info)``) plugs in; a :data:`KernelFactory`
builds it for the stage's log density, optionally tuned on the population.

>>> import jax, jax.numpy as jnp
>>> from catlearn.inference.population import spawn
>>> pop = spawn(jax.random.key(0), 100, lambda k: (jax.random.normal(k, (2,)), 0.0))
>>> kernel = scaled_rmh()(lambda x: -0.5 * jnp.sum(x ** 2), pop)
>>> moved, info = move(jax.random.key(1), pop, kernel, steps=3)
>>> moved.particles.shape, info.acceptance_rate.shape
((100, 2), (100, 3))
"""
from __future__ import annotations

from typing import Any, Callable

import jax
import jax.numpy as jnp

from catlearn.inference.kernel import Kernel, LogDensity, repeat
from catlearn.inference.population import Population, normalised_weights, size
from catlearn.inference.rmh import rmh

KernelFactory = Callable[[LogDensity, Population], Kernel]


def move(key: jax.Array, pop: Population, kernel: Kernel, steps: int = 1
         ) -> tuple[Population, Any]:
    """``steps`` transitions of ``kernel`` on every particle under ``vmap``; the
    info of each transition is stacked as ``(n, steps, …)``."""
    run = repeat(kernel, steps)

    def one(k, x):
        state, info = run.step(k, run.init(x))
        return state.position, info

    particles, info = jax.vmap(one)(jax.random.split(key, size(pop)), pop.particles)
    return pop._replace(particles=particles), info


def scaled_rmh(factor: float = 2.38) -> KernelFactory:
    """Random-walk Metropolis whose step in each coordinate is
    ``factor / √d`` times the population's weighted standard deviation there
    (Roberts, Gelman & Gilks 1997), for particles that are flat vectors."""

    def build(logdensity: LogDensity, pop: Population) -> Kernel:
        x, weights = pop.particles, normalised_weights(pop)
        centre = jnp.tensordot(weights, x, axes=1)
        sd = jnp.sqrt(jnp.tensordot(weights, (x - centre) ** 2, axes=1))
        # a collapsed coordinate still needs a positive step
        sd = jnp.maximum(sd, 1e-3 * (1 + jnp.abs(centre)))
        return rmh(logdensity, factor / jnp.sqrt(x.shape[-1]) * sd)

    return build


def fixed_rmh(scale: float | jax.Array) -> KernelFactory:
    """Random-walk Metropolis with a fixed step ``scale``."""
    return lambda logdensity, pop: rmh(logdensity, scale)
