"""MCMC as an inference method: several adapted chains of one kernel on a target.

A method ``MCMC(kernel, chains, warmup, samples, …)`` runs, in one compiled
program, ``chains`` chains of the kernel on the target's log density over
unconstrained space (:meth:`~catlearn.inference.target.Target.logdensity`),
each started, as in Stan, at a uniform draw on (-2, 2) per coordinate,
``warmup`` iterations of Stan's window adaptation
(:mod:`catlearn.inference.adaptation`) and ``samples`` draws
(:mod:`catlearn.inference.chains`); the draws are mapped back to each site's
support by :meth:`~catlearn.inference.target.Target.constrain`.

The kernel families all share the adaptation: a step size tuned to
``target_accept`` and a diagonal (or, for ``hmc`` and ``nuts``, dense)
inverse mass matrix ``M⁻¹`` estimated from the warm-up draws. For the
random-walk and Langevin kernels ``M⁻¹`` preconditions the proposal: the
random-walk step is ``N(0, ε² M⁻¹)`` and the Langevin step size is ``ε M⁻¹``.

>>> import jax
>>> from catlearn.syntax import Ty
>>> from catlearn.syntax.model import Const, Model, Sample
>>> from catlearn.inference.target import Target
>>> R = Ty("Real")
>>> m = Model("m", [], (Const(0.0) @ Const(1.0)) >> Sample("z", "Normal", R @ R, R))
>>> post = MCMC("nuts", chains=2, warmup=100, samples=100, progress=False).run(
...     Target(m), jax.random.key(0))
>>> post.samples["z"].shape, post.stats["diverging"].shape, post.stats["divergences"]
((2, 100), (2, 100), 0)
>>> MCMC("nuts", chains=0)
Traceback (most recent call last):
  ...
catlearn.errors.InferenceError: nuts: chains must be an integer >= 1, got 0
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache, partial
from typing import Optional

import jax
import jax.numpy as jnp
import numpy as np
from jax.tree_util import Partial

from catlearn import sharding
from catlearn.errors import InferenceError
from catlearn.inference.adaptation import KernelFactory
from catlearn.inference import segments
from catlearn.inference.chains import START_TRIES, sample
from catlearn.inference.hmc import hmc
from catlearn.inference.mala import mala
from catlearn.inference.nuts import nuts
from catlearn.inference.options import COUNT_LIMIT, SEED_LIMIT, within
from catlearn.inference.posterior import Posterior
from catlearn.inference.rmh import rmh
from catlearn.inference.target import Target
from catlearn.progress import wanted

# The acceptance rates that are optimal for each family in high dimension
# (Roberts & Rosenthal; Beskos et al.), and Stan's 0.8 for trajectories.
DEFAULT_TARGET_ACCEPT = {"rmh": 0.234, "mala": 0.574, "hmc": 0.8, "nuts": 0.8}

# Per-draw statistics as arviz names them (its ``sample_stats``).
_ARVIZ_NAMES = {"acceptance_rate": "acceptance_rate", "is_divergent": "diverging",
                "num_steps": "n_steps", "tree_depth": "tree_depth", "energy": "energy"}


def _random_walk(logdensity_fn, step_size, inverse_mass_matrix):
    return rmh(logdensity_fn, step_size * jnp.sqrt(inverse_mass_matrix))


def _langevin(logdensity_fn, step_size, inverse_mass_matrix):
    return mala(logdensity_fn, step_size * inverse_mass_matrix)


@dataclass(frozen=True)
class MCMC:
    """``chains`` chains of the ``kernel`` family (``"rmh"``, ``"mala"``, ``"hmc"``,
    ``"nuts"``): ``warmup`` adaptation iterations, then ``samples`` draws each.

    ``step_size`` is the initial step size (Stan's heuristic finds one when
    ``None``); ``target_accept`` the acceptance the warm-up aims at (the
    family's optimum when ``None``); ``progress`` draws a bar when true, and
    by default in a terminal or a notebook (:func:`catlearn.progress.wanted`). ``devices`` (a count or a
    ``jax.sharding.Mesh``) splits the chains over that many devices.
    """

    kernel: str
    chains: int = 4
    warmup: int = 1000
    samples: int = 1000
    step_size: Optional[float] = None
    target_accept: Optional[float] = None
    max_tree_depth: int = 10
    num_steps: int = 10
    dense_mass: bool = False
    seed: int = 0
    progress: Optional[bool] = None
    devices: sharding.Devices = None
    checkpoint: Optional[str] = None
    checkpoint_every: int = 100

    def __post_init__(self):
        if self.kernel not in DEFAULT_TARGET_ACCEPT:
            raise InferenceError(f"unknown MCMC kernel {self.kernel!r} "
                                 f"(kernels: {', '.join(DEFAULT_TARGET_ACCEPT)})")
        step = "scale" if self.kernel == "rmh" else "step_size"
        self._check("chains", self.chains, _is_int(self.chains) and self.chains >= 1,
                    "an integer >= 1")
        self._check("warmup", self.warmup, _is_int(self.warmup) and self.warmup >= 0,
                    "an integer >= 0")
        self._check("samples", self.samples, _is_int(self.samples) and self.samples >= 1,
                    "an integer >= 1")
        self._check(step, self.step_size, self.step_size is None or (
            _is_real(self.step_size) and 0 < self.step_size < math.inf), "a number > 0")
        self._check("target_accept", self.target_accept, self.target_accept is None or (
            _is_real(self.target_accept) and 0 < self.target_accept < 1),
            "a number between 0 and 1")
        self._check("max_tree_depth", self.max_tree_depth,
                    _is_int(self.max_tree_depth) and 1 <= self.max_tree_depth <= 30,
                    "an integer from 1 to 30")
        self._check("num_steps", self.num_steps, _is_int(self.num_steps) and self.num_steps >= 1,
                    "an integer >= 1")
        self._check("checkpoint_every", self.checkpoint_every,
                    _is_int(self.checkpoint_every) and self.checkpoint_every >= 1,
                    "an integer >= 1")
        self._check("checkpoint", self.checkpoint,
                    self.checkpoint is None or isinstance(self.checkpoint, str),
                    "a path (a string)")
        if self.checkpoint is not None and self.devices not in (None, 1):
            raise InferenceError(f"{self.kernel}: checkpoint runs on one device; drop "
                                 "devices or checkpoint")
        self._check("seed", self.seed, _is_int(self.seed), "an integer")
        for option, limit in (("chains", COUNT_LIMIT), ("warmup", COUNT_LIMIT),
                              ("samples", COUNT_LIMIT), ("seed", SEED_LIMIT)):
            within(self.kernel, option, int(getattr(self, option)), limit)
        self._check("dense_mass", self.dense_mass, self.dense_mass in (0, 1),
                    "true or false (1 or 0)")
        self._check("progress", self.progress, self.progress in (None, 0, 1),
                    "true or false (1 or 0)")
        if self.dense_mass and self.kernel in ("rmh", "mala"):
            raise InferenceError(f"{self.kernel}: dense_mass is for hmc and nuts; "
                                 f"{self.kernel} adapts a diagonal preconditioner")
        sharding.mesh_for(self.devices, self.chains, "chains", self.kernel)

    def _check(self, option: str, value, ok: bool, wanted: str) -> None:
        if not ok:
            raise InferenceError(f"{self.kernel}: {option} must be {wanted}, got {value!r}")

    @property
    def name(self) -> str:
        return self.kernel

    def factory(self) -> KernelFactory:
        """The kernel family as ``(logdensity_fn, step_size, inverse_mass_matrix) -> Kernel``
        (the same object for the same options, so compiled runs are reused)."""
        return _factory(self.kernel, self.num_steps if self.kernel == "hmc" else None,
                        self.max_tree_depth if self.kernel == "nuts" else None)

    def run(self, target: Target, key: jax.Array) -> Posterior:
        what = f"{self.kernel} on {target.model.name}"
        # Refused before anything is traced; the log density itself is traced once, in
        # the compiled run (not at all when the program cache holds it).
        target.require_continuous()
        real = jnp.result_type(float)  # float64 when JAX runs in double precision
        if target.dim == 0:
            raise InferenceError(f"{what}: the model has no latent variables to sample "
                                 "(every site is observed); use prior for its predictions")
        # No start given: each chain draws Stan's uniform start inside the compiled
        # run (chains.finite_start), with no program compiled for it here.
        starts = np.full((self.chains, target.dim), np.nan, real)
        mesh = sharding.mesh_for(self.devices, self.chains, "chains", self.kernel)
        draws, stats = sharding.independent(lambda positions, k: sample(
            self.factory(), Partial(Target.logdensity, target), positions, k,
            warmup=self.warmup, samples=self.samples, step_size=self.step_size,
            target_accept=self.target_accept or DEFAULT_TARGET_ACCEPT[self.kernel],
            dense_mass=bool(self.dense_mass),
            progress=wanted(self.progress) and what,
            transform=Partial(Target.constrain, target), checkpoint=self.checkpoint,
            checkpoint_every=self.checkpoint_every,
            made_by=self.checkpoint and self.fingerprint(target, key)), mesh)(starts, key)
        if not np.all(np.isfinite(stats["start_logdensity"])):
            raise InferenceError(f"{what}: the log density or its gradient is not finite "
                                 f"at any of {START_TRIES} initial points (uniform on "
                                 "(-2, 2) in unconstrained space); the data may be "
                                 "impossible under the model, or a function of it not "
                                 "differentiable there "
                                 f"(observed: {', '.join(target.observed) or 'none'})")
        if not all(np.all(np.isfinite(draws[site]) | target.undefined.get(site, False))
                   for site in target.latent_names if site in draws):
            raise InferenceError(f"{what}: a chain reached a point where the log density "
                                 "is not finite (NaN draws); check the model's supports")
        stats = _stats(stats)
        if self.kernel == "nuts":  # Stan's count of trajectories stopped by the depth limit
            stats.update(max_tree_depth=self.max_tree_depth, tree_depth_saturated=int(
                np.sum(stats["tree_depth"] >= self.max_tree_depth)))
        return Posterior(target.in_program_order(draws), stats=stats, method=self.name,
                         target=target)


    def fingerprint(self, target: Target, key: jax.Array) -> str:
        """What makes this run's draws: the model, its arguments and data, the key and
        every option but where it is shown, saved and run."""
        return segments.fingerprint(self, target, key)


@lru_cache(maxsize=None)
def _factory(kernel: str, num_steps: Optional[int], max_tree_depth: Optional[int]
             ) -> KernelFactory:
    return {"rmh": _random_walk, "mala": _langevin,
            "hmc": partial(hmc, num_integration_steps=num_steps),
            "nuts": partial(nuts, max_tree_depth=max_tree_depth)}[kernel]


def _stats(raw: dict) -> dict:
    """Per-draw statistics (chain, draw) under arviz's names, the divergence count,
    and each chain's adapted step size and inverse mass matrix (and warm-up cost)."""
    stats = {_ARVIZ_NAMES[name]: np.asarray(value) for name, value in raw.items()
             if name in _ARVIZ_NAMES}
    kept = ("step_size", "inverse_mass_matrix", "warmup_num_steps")
    return {**stats, "divergences": int(stats["diverging"].sum()),
            **{name: np.asarray(raw[name]) for name in kept if name in raw}}


def _is_int(value) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool)


def _is_real(value) -> bool:
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool)
