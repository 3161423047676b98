"""Resample-move SMC: a fixed tempering schedule, a move after every resampling.

    rmsmc = spawn(n, prior) ; (advance_{β_{k-1}→β_k} ; resample ; move_{β_k}^m)^{k=1…K}

with ``β_k = (k/K)^p`` (Gilks & Berzuini 2001; Neal 2001's annealing
schedule). It is :func:`~catlearn.inference.smc.temper` with a
:func:`~catlearn.inference.sequential.fixed_schedule`: the same blocks as
adaptive tempered SMC, and the same number of stages on every run, so its
cost is known in advance.

>>> import jax, jax.numpy as jnp
>>> from catlearn.inference.sequential import StaticTarget
>>> target = StaticTarget(lambda k: jax.random.normal(k, (1,)),
...                       lambda x: -0.5 * jnp.sum(x ** 2) - 0.5 * jnp.log(2 * jnp.pi),
...                       lambda x: -0.5 * jnp.sum((1.0 - x) ** 2) - 0.5 * jnp.log(2 * jnp.pi))
>>> result = resample_move(jax.random.key(0), target, 2000, stages=5)
>>> bool(abs(result.log_evidence - (-0.25 - 0.5 * jnp.log(4 * jnp.pi))) < 0.05)
True
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import jax

from catlearn import sharding
from catlearn.inference.move import KernelFactory, scaled_rmh
from catlearn.inference.resample import Scheme, scheme
from catlearn.inference.sequential import StaticTarget, power_schedule
from catlearn.inference.options import positive_int
from catlearn.inference import segments
from catlearn.inference.smc import SMCResult, check, temper, tempered_posterior, tempered_run


#: the power of the schedule ``β_k = (k/K)^power`` that ``rmsmc`` runs
POWER = 3.0


def resample_move(key: jax.Array, target: StaticTarget, particles: int, *, stages: int = 20,
                  power: float = POWER, moves: int = 10, kernel: KernelFactory = scaled_rmh(),
                  resampling: str | Scheme = "systematic",
                  mesh: sharding.Mesh | None = None) -> SMCResult:
    """``spawn ; (advance_{β_k} ; resample ; move_{β_k}^m)^K``, ``β_k = (k/K)^power``."""
    return temper(key, target, particles, power_schedule(stages, power), stages,
                  kernel=kernel, moves=moves, resampling=resampling, mesh=mesh)


@dataclass(frozen=True)
class ResampleMove:
    """Resample-move SMC, the method of ``infer … with rmsmc(…)``: ``stages``
    tempering stages, each followed by resampling and ``moves`` random-walk
    Metropolis steps, on the model's flat unconstrained latent vector; its
    bar shows compiling, then running (``progress``, by default when interactive).
    With ``checkpoint`` (a path) the stages run ``checkpoint_every`` at a time,
    saved after each, and a run finding that checkpoint resumes from it."""
    particles: int = 1000
    seed: int = 0
    stages: int = 20
    moves: int = 10
    resampling: str = "systematic"
    name: str = "rmsmc"
    devices: sharding.Devices = None
    progress: Optional[bool] = None
    checkpoint: Optional[str] = None
    checkpoint_every: int = 100

    def __post_init__(self):
        segments.check_options(self)
        positive_int(self.name, "stages", self.stages)
        positive_int(self.name, "moves", self.moves)
        scheme(self.resampling)
        sharding.mesh_for(self.devices, self.particles, "particles", self.name)

    def run(self, target, key: jax.Array):
        mesh = sharding.mesh_for(self.devices, self.particles, "particles", self.name)
        result = tempered_run(target, key, (self.particles, ("power", self.stages, POWER),
                                            self.stages, self.moves, self.resampling, mesh),
                              self)
        return tempered_posterior(target, check(result), self.name, particles=self.particles)


def rmsmc(particles: int = 1000, seed: int = 0, stages: int = 20, moves: int = 10,
          resampling: str = "systematic", devices: sharding.Devices = None,
          progress: Optional[bool] = None, checkpoint: Optional[str] = None,
          checkpoint_every: int = 100) -> ResampleMove:
    """The :class:`ResampleMove` method: ``infer(model, …, method=rmsmc(particles=1000))``;
    ``devices=4`` splits the particles over the first 4 devices; ``progress``
    shows its compiling and running phases (by default when interactive)."""
    return ResampleMove(particles, seed, stages, moves, resampling, devices=devices,
                        progress=progress, checkpoint=checkpoint,
                        checkpoint_every=checkpoint_every)
