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

import contextlib
import os
from typing import Any, Mapping, Optional, Protocol, runtime_checkable

import jax
import jax.numpy as jnp
import numpy as np

from catlearn.distributions import get as get_distribution
from catlearn.errors import CatlearnError, InferenceError
from catlearn.inference.importance import ImportanceSampling
from catlearn.inference.mcmc import MCMC
from catlearn.inference.posterior import Posterior
from catlearn.inference import pmmh as _pmmh, rmsmc as _rmsmc, smc as _smc
from catlearn.inference.prior import PriorSampling
from catlearn.inference.target import Target
from catlearn.keys import key_of_seed, require_key
from catlearn.options import checked_options
from catlearn.sharding import Devices
from catlearn.syntax.model import Model


@runtime_checkable
class Method(Protocol):
    """What :func:`infer` needs of an inference method."""

    name: str
    seed: int

    def run(self, target: Target, key: jax.Array) -> Posterior: ...


@checked_options
def infer(model: Model, args: Optional[Mapping[str, Any]] = None,
          data: Optional[Mapping[str, Any]] = None, method: Optional[Method] = None,
          key: Optional[jax.Array] = None,
          given: Optional[Mapping[str, Any]] = None) -> Posterior:
    """The posterior of ``model(args)`` given ``data``, by ``method``;
    ``given`` is another name for ``data``, as the language writes it."""
    if given is not None:
        if data is not None:
            raise InferenceError("infer: give the data once, as data= or as given=, not both")
        data = given
    if not isinstance(model, Model):
        raise InferenceError(f"infer: the model must be a model (from cl.load(...)[name] or "
                             f"@cl.model), got {_shown(model)}")
    if method is None:
        raise InferenceError(f"infer {model.name}: choose a method, e.g. "
                             "method=importance(particles=10000) or method=nuts()")
    if not isinstance(method, Method):
        name = getattr(method, "__name__", None)
        hint = f"; call it: method={name}()" if callable(method) and name else ""
        raise InferenceError(f"infer {model.name}: {_shown(method)} is not an inference "
                             f"method{hint}")
    if key is not None:
        require_key(f"infer {model.name}", key)
    target = _bound(model, args, data)
    _refuse_improper_prior(target, method.name)
    _refuse_beyond_memory(target, method)
    return method.run(target, key_of_seed(method.seed) if key is None else key)


def _bound(model: Model, args: Optional[Mapping[str, Any]],
           data: Optional[Mapping[str, Any]]) -> Target:
    """The target of ``model(args)`` given ``data``, once what the query binds has
    passed the model's own checks (:attr:`Model.check_binding`), located where the
    model is written."""
    check = model.check_binding
    try:
        target = Target(model, args, data)
    except CatlearnError:
        # a parameter the query puts out of its support meets the model as it runs,
        # unlocated: the checks say where it is written. Arguments Target refuses
        # for their types may not be numbers at all: its own error stands for them.
        if check is not None:
            with contextlib.suppress(TypeError, ValueError):
                check(args or {}, data or {}, None)
        raise
    if check is not None:
        check(args or {}, data or {}, target.site_shapes)
    return target


#: methods that read only the log density, never draws from the prior
DENSITY_METHODS = ("rmh", "mala", "hmc", "nuts")


def _refuse_improper_prior(target: Target, method: str) -> None:
    """A flat prior (``x : Real``) has no draws: methods that sample the prior
    (prior, importance, SMC, PMMH) would read Stan's initial points as prior draws."""
    flat = list(dict.fromkeys(box.site for box in target.model.sites()
                              if box.site in target.latent_names
                              and not get_distribution(box.dist).is_proper))
    if flat and method not in DENSITY_METHODS:
        many = len(flat) > 1
        raise InferenceError(
            f"{method} on {target.model.name}: {', '.join(flat)} "
            f"{'have flat (improper) priors' if many else 'has a flat (improper) prior'}, "
            f"which cannot be sampled; use {', '.join(DENSITY_METHODS)}, or give "
            f"{'them' if many else 'it'} a proper prior (as in {flat[0]} ~ Normal(0, 10))")


def held_values(method: Method) -> tuple[int, str]:
    """How many values of the model a method keeps at once, and the options that say so
    (every MCMC iteration is kept until the warm-up is cut off)."""
    if isinstance(method, MCMC):
        return (method.chains * (method.warmup + method.samples),
                f"chains × (warmup + samples) = {method.chains} × "
                f"({method.warmup} + {method.samples})")
    if isinstance(method, _pmmh.PMMH):
        return (method.particles + method.warmup + method.samples,
                f"particles + warmup + samples = {method.particles} + {method.warmup} + "
                f"{method.samples}")
    count = "draws" if isinstance(method, PriorSampling) else "particles"
    return getattr(method, count, 1), f"{count} = {getattr(method, count, 1)}"


def memory_limit() -> int:
    """The bytes a run may use: the first device's memory, or on a CPU the memory the
    machine has available now."""
    stats = jax.devices()[0].memory_stats() or {}
    if "bytes_limit" in stats:
        return int(stats["bytes_limit"]) - int(stats.get("bytes_in_use", 0))
    try:
        with open("/proc/meminfo") as meminfo:
            fields = dict(line.split(":", 1) for line in meminfo)
        return int(fields["MemAvailable"].split()[0]) * 1024
    except (OSError, KeyError, ValueError):  # not Linux: all the memory there is
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")


#: bytes of one value's random key (threefry: two uint32), and a margin for what a
#: compiled run holds besides its results (the values and keys of one step, copies)
KEY_BYTES, MARGIN = 8, 2


def _refuse_beyond_memory(target: Target, method: Method) -> None:
    """Estimate what the draws alone will take (every site, every value held, with its
    key) and refuse, before anything is compiled, a run that cannot fit."""
    count, why = held_values(method)
    per_value = sum(int(np.prod(shape, dtype=np.int64)) for shape in target.site_shapes.values())
    size = np.dtype(jnp.result_type(float)).itemsize
    need = MARGIN * count * (max(per_value, 1) * size + KEY_BYTES)
    limit = memory_limit()
    if need > limit:
        numbers = f"{per_value} number{'s' * (per_value != 1)}"
        raise InferenceError(f"{method.name} on {target.model.name}: {why} values of "
                             f"{numbers} each need about {_bytes(need)}, more than the "
                             f"{_bytes(limit)} of memory available; ask for fewer")


def _bytes(n: int) -> str:
    units = ((4, "TiB"), (3, "GiB"), (2, "MiB"), (1, "KiB"), (0, "bytes"))
    return next(f"{n / 1024 ** p:.1f} {unit}" for p, unit in units if n >= 1024 ** p or p == 0)


def _shown(value: Any) -> str:
    name = getattr(value, "__name__", None)
    return f"the {type(value).__name__} {name or repr(value)}"[:120]


smc = checked_options(_smc.smc)
rmsmc = checked_options(_rmsmc.rmsmc)
pmmh = checked_options(_pmmh.pmmh)


@checked_options
def prior(draws: int = 1000, seed: int = 0) -> PriorSampling:
    """Prior predictive sampling: ``draws`` independent runs of the model."""
    return PriorSampling(draws=draws, seed=seed)


@checked_options
def importance(particles: int = 1000, seed: int = 0,
               progress: Optional[bool] = None) -> ImportanceSampling:
    """Importance sampling from the prior, self-normalised, with log evidence;
    ``progress`` shows its compiling and running phases (by default when interactive)."""
    return ImportanceSampling(particles=particles, seed=seed, progress=progress)


# MCMC: chains of one kernel family after window adaptation (catlearn.inference.mcmc).

@checked_options
def rmh(chains: int = 4, warmup: int = 1000, samples: int = 1000,
        scale: Optional[float] = None, target_accept: float = 0.234, seed: int = 0,
        progress: Optional[bool] = None, devices: Devices = None,
        checkpoint: Optional[str] = None, checkpoint_every: int = 100) -> MCMC:
    """Random-walk Metropolis, its ``scale`` and diagonal covariance adapted in warm-up."""
    return MCMC("rmh", chains, warmup, samples, scale, target_accept, seed=seed,
                progress=progress, devices=devices, checkpoint=checkpoint,
                checkpoint_every=checkpoint_every)


@checked_options
def mala(chains: int = 4, warmup: int = 1000, samples: int = 1000,
         step_size: Optional[float] = None, target_accept: float = 0.574, seed: int = 0,
         progress: Optional[bool] = None, devices: Devices = None,
         checkpoint: Optional[str] = None, checkpoint_every: int = 100) -> MCMC:
    """Metropolis-adjusted Langevin, diagonally preconditioned and adapted in warm-up."""
    return MCMC("mala", chains, warmup, samples, step_size, target_accept, seed=seed,
                progress=progress, devices=devices, checkpoint=checkpoint,
                checkpoint_every=checkpoint_every)


@checked_options
def hmc(chains: int = 4, warmup: int = 1000, samples: int = 1000,
        step_size: Optional[float] = None, target_accept: float = 0.8, num_steps: int = 10,
        dense_mass: bool = False, seed: int = 0, progress: Optional[bool] = None,
        devices: Devices = None, checkpoint: Optional[str] = None,
        checkpoint_every: int = 100) -> MCMC:
    """Hamiltonian Monte Carlo with ``num_steps`` leapfrog steps, adapted in warm-up."""
    return MCMC("hmc", chains, warmup, samples, step_size, target_accept,
                num_steps=num_steps, dense_mass=dense_mass, seed=seed, progress=progress,
                devices=devices, checkpoint=checkpoint, checkpoint_every=checkpoint_every)


@checked_options
def nuts(chains: int = 4, warmup: int = 1000, samples: int = 1000,
         step_size: Optional[float] = None, target_accept: float = 0.8,
         max_tree_depth: int = 10, dense_mass: bool = False, seed: int = 0,
         progress: Optional[bool] = None, devices: Devices = None,
         checkpoint: Optional[str] = None, checkpoint_every: int = 100) -> MCMC:
    """The No-U-Turn sampler after Stan's window adaptation; with ``checkpoint``
    (a path) it saves every ``checkpoint_every`` iterations and resumes from there."""
    return MCMC("nuts", chains, warmup, samples, step_size, target_accept,
                max_tree_depth=max_tree_depth, dense_mass=dense_mass, seed=seed,
                progress=progress, devices=devices, checkpoint=checkpoint,
                checkpoint_every=checkpoint_every)
