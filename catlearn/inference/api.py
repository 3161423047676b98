"""The inference API: ``infer(model, args=…, data=…, method=…, key=…)``.

``infer`` conditions the model on the data (a
:class:`~catlearn.inference.target.Target`) and hands it to a *method*.
A method is any object with

* ``name: str`` — how results and messages call it;
* ``seed: int`` — the key used when ``infer`` is given none;
* ``run(target: Target, key) -> Posterior`` — pure: the same key gives the
  same posterior.

Options are the method object's fields, validated when it is made, so
``importance(particles=0)`` fails before anything runs. The constructors
here (``prior``, ``importance``) and those of SMC and MCMC (``smc``,
``nuts`` …) all follow this protocol, and the language's ``infer`` and
``sample`` statements call :func:`infer` with them.

What a method may use of the target: ``logdensity``/``log_prior``/
``log_likelihood`` of a flat unconstrained vector with ``dim``, ``init``
and ``constrain`` (gradient-based MCMC); ``weighted(key)`` (likelihood
weighting); ``sample_prior`` and ``predict``; ``sequential()`` (a
state-space model cut at its time steps, for particle filters).

>>> import jax
>>> from catlearn.syntax import Ty
>>> from catlearn.syntax.model import Const, Model, Sample
>>> R = Ty("Real")
>>> m = Model("m", [], (Const(0.0) @ Const(1.0)) >> Sample("z", "Normal", R @ R, R))
>>> infer(m, method=prior(draws=10)).samples["z"].shape
(1, 10)
"""
from __future__ import annotations

from typing import Any, Mapping, Optional, Protocol, runtime_checkable

import jax

from catlearn.errors import InferenceError
from catlearn.inference.importance import ImportanceSampling
from catlearn.inference.mcmc import MCMC
from catlearn.inference.posterior import Posterior
from catlearn.inference.pmmh import pmmh
from catlearn.inference.prior import PriorSampling
from catlearn.inference.rmsmc import rmsmc
from catlearn.inference.smc import smc
from catlearn.inference.target import Target
from catlearn.sharding import Devices
from catlearn.syntax.model import Model


@runtime_checkable
class Method(Protocol):
    """What :func:`infer` needs of an inference method."""

    name: str
    seed: int

    def run(self, target: Target, key: jax.Array) -> Posterior: ...


def infer(model: Model, args: Optional[Mapping[str, Any]] = None,
          data: Optional[Mapping[str, Any]] = None, method: Optional[Method] = None,
          key: Optional[jax.Array] = None) -> Posterior:
    """The posterior of ``model(args)`` given ``data``, by ``method``."""
    if method is None:
        raise InferenceError(f"infer {model.name}: choose a method, e.g. "
                             "method=importance(particles=10000) or method=nuts()")
    if not isinstance(method, Method):
        raise InferenceError(f"infer {model.name}: {method!r} is not an inference method")
    target = Target(model, args, data)
    return method.run(target, jax.random.key(method.seed) if key is None else key)


def prior(draws: int = 1000, seed: int = 0) -> PriorSampling:
    """Prior predictive sampling: ``draws`` independent runs of the model."""
    return PriorSampling(draws=draws, seed=seed)


def importance(particles: int = 1000, seed: int = 0,
               progress: Optional[bool] = None) -> ImportanceSampling:
    """Importance sampling from the prior, self-normalised, with log evidence;
    ``progress`` shows its compiling and running phases (by default when interactive)."""
    return ImportanceSampling(particles=particles, seed=seed, progress=progress)


# MCMC: chains of one kernel family after window adaptation (catlearn.inference.mcmc).

def rmh(chains: int = 4, warmup: int = 1000, samples: int = 1000,
        scale: Optional[float] = None, target_accept: float = 0.234, seed: int = 0,
        progress: Optional[bool] = None, devices: Devices = None) -> MCMC:
    """Random-walk Metropolis, its ``scale`` and diagonal covariance adapted in warm-up."""
    return MCMC("rmh", chains, warmup, samples, scale, target_accept, seed=seed,
                progress=progress, devices=devices)


def mala(chains: int = 4, warmup: int = 1000, samples: int = 1000,
         step_size: Optional[float] = None, target_accept: float = 0.574, seed: int = 0,
         progress: Optional[bool] = None, devices: Devices = None) -> MCMC:
    """Metropolis-adjusted Langevin, diagonally preconditioned and adapted in warm-up."""
    return MCMC("mala", chains, warmup, samples, step_size, target_accept, seed=seed,
                progress=progress, devices=devices)


def hmc(chains: int = 4, warmup: int = 1000, samples: int = 1000,
        step_size: Optional[float] = None, target_accept: float = 0.8, num_steps: int = 10,
        dense_mass: bool = False, seed: int = 0, progress: Optional[bool] = None,
        devices: Devices = None) -> MCMC:
    """Hamiltonian Monte Carlo with ``num_steps`` leapfrog steps, adapted in warm-up."""
    return MCMC("hmc", chains, warmup, samples, step_size, target_accept,
                num_steps=num_steps, dense_mass=dense_mass, seed=seed, progress=progress,
                devices=devices)


def nuts(chains: int = 4, warmup: int = 1000, samples: int = 1000,
         step_size: Optional[float] = None, target_accept: float = 0.8,
         max_tree_depth: int = 10, dense_mass: bool = False, seed: int = 0,
         progress: Optional[bool] = None, devices: Devices = None) -> MCMC:
    """The No-U-Turn sampler after Stan's window adaptation."""
    return MCMC("nuts", chains, warmup, samples, step_size, target_accept,
                max_tree_depth=max_tree_depth, dense_mass=dense_mass, seed=seed,
                progress=progress, devices=devices)
