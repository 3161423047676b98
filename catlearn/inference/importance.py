"""Importance sampling with the prior as proposal (likelihood weighting).

Importance sampling is ``spawn(n, weighted)`` of :mod:`population`: each of ``n``
particles is a run of the weighted sampler, latent sites drawn
from the prior, ``log w_i`` the log likelihood of the data. In log space,

    log Ẑ = logsumexp(log w) - log n          (unbiased for Z in Ẑ, not log Ẑ)
    w̄_i   = exp(log w_i - logsumexp(log w))   (self-normalised weights)
    ESS   = 1 / Σ_i w̄_i²                      (Kish)

Discrete latent sites are fine: nothing is differentiated.

>>> import jax
>>> from catlearn.syntax import Ty
>>> from catlearn.syntax.model import Const, Model, Sample
>>> from catlearn.inference.target import Target
>>> R = Ty("Real")
>>> m = Model("m", [], (Const(0.0) @ Const(1.0)) >> Sample("z", "Normal", R @ R, R))
>>> post = ImportanceSampling(particles=1000).run(Target(m, data={"z": 0.0}), jax.random.key(0))
>>> round(post.log_evidence, 4)   # no latent sites: exactly log N(0; 0, 1)
-0.9189
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from functools import partial
from typing import Optional

import jax
import jax.numpy as jnp

from catlearn import program_cache, progress
from catlearn.errors import InferenceError
from catlearn.inference.options import positive_int, whole_seed
from catlearn.inference.population import (effective_sample_size, log_evidence,
                                           normalise, spawn)
from catlearn.inference.posterior import Posterior
from catlearn.inference.target import Target


@dataclass(frozen=True)
class ImportanceSampling:
    """Self-normalised importance sampling with ``particles`` prior draws."""

    particles: int = 1000
    seed: int = 0
    name: str = "importance"
    progress: Optional[bool] = None

    def __post_init__(self):
        positive_int(self.name, "particles", self.particles)
        whole_seed(self.name, self.seed)

    def run(self, target: Target, key: jax.Array) -> Posterior:
        if progress.wanted(self.progress):
            pop = progress.run(f"importance on {target.model.name}", _population,
                               target, key, self.particles, show=True)
        else:  # no bar: a program kept between runs
            pop = program_cache.call("importance.population", _population, target, key,
                                     particles=self.particles)
        if bool(jnp.isnan(pop.log_weights).any()):
            raise InferenceError(f"importance sampling on {target.model.name}: a log weight "
                                 "is NaN (a density was evaluated outside its domain)")
        log_z = float(log_evidence(pop))
        if not math.isfinite(log_z):
            raise InferenceError(f"importance sampling on {target.model.name}: every particle "
                                 "has weight zero; the data are impossible under the prior "
                                 f"draws (observed: {', '.join(target.observed)})")
        sites = target.in_program_order(pop.particles)
        return Posterior({site: v[None] for site, v in sites.items()},
                         log_weights=normalise(pop).log_weights[None], log_evidence=log_z,
                         stats={"ess": float(effective_sample_size(pop)),
                                "particles": self.particles},
                         method=self.name, target=target)


@partial(jax.jit, static_argnums=2)
def _population(target: Target, key: jax.Array, particles: int):
    """``spawn(n, weighted)``; the target an argument, so that a later query of the
    same structure and number of particles runs it again uncompiled."""
    return spawn(key, particles, target.weighted)
