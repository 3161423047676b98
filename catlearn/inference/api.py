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
from catlearn.inference.posterior import Posterior
from catlearn.inference.prior import PriorSampling
from catlearn.inference.target import Target
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


def importance(particles: int = 1000, seed: int = 0) -> ImportanceSampling:
    """Importance sampling from the prior, self-normalised, with log evidence."""
    return ImportanceSampling(particles=particles, seed=seed)
