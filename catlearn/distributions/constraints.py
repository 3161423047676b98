"""Supports of distributions and constraints on their parameters.

A constraint is a set ``S``: ``check(x)`` is the indicator of ``x ∈ S``, one
boolean per event (a vector for ``simplex``, a matrix for
``positive_definite``); ``feasible_like(x)`` is a point of ``S`` (where a
density may be evaluated safely); ``bijector()`` maps unconstrained space
onto ``S``. Discrete sets have no such bijection.

``check`` answers in the array library of its argument: NumPy for NumPy arrays
and numbers (a constant parameter or the data, checked before anything runs:
eagerly, JAX would compile a program per operation), JAX otherwise (inside a
traced density). ``positive_definite`` answers in JAX always (its test is a
Cholesky factorisation that fails by NaN).

>>> positive.check(jnp.array([1.0, -1.0, 0.0])).tolist()
[True, False, False]
>>> simplex.check(jnp.array([0.25, 0.75])).tolist()
True
>>> print(interval(0.0, 2.0))
in [0.0, 2.0]
"""
from __future__ import annotations

from abc import ABC, abstractmethod

from types import ModuleType

import jax
import jax.numpy as jnp
import numpy as np

from catlearn.distributions import bijectors
from catlearn.errors import NotSupportedError

Array = jax.Array


def _library(x) -> ModuleType:
    """NumPy for NumPy arrays and Python numbers, ``jax.numpy`` for JAX arrays."""
    return np if isinstance(x, (np.ndarray, np.generic, int, float, bool)) else jnp


class Constraint(ABC):
    """A subset of (arrays of) reals; ``event_dim`` is the rank of one point."""

    event_dim: int = 0
    is_discrete: bool = False
    description: str = "in the support"

    @abstractmethod
    def check(self, x: Array) -> Array:
        """The indicator of ``x`` in the set, one boolean per event."""

    @abstractmethod
    def feasible_like(self, x: Array) -> Array:
        """A point of the set, broadcastable against ``x``."""

    def bijector(self) -> bijectors.Bijector:
        raise NotSupportedError(f"the discrete support '{self}' has no bijection to "
                                "unconstrained space")

    def __str__(self) -> str:
        return self.description

    def __repr__(self) -> str:
        return f"<constraint {self.description}>"


class _Real(Constraint):
    description = "a finite real"

    def check(self, x):
        return _library(x).isfinite(x)

    def feasible_like(self, x):
        return jnp.zeros_like(x)

    def bijector(self):
        return bijectors.Identity()


class _HalfLine(Constraint):
    """``(0, ∞)``, or ``[0, ∞)`` when not strict."""

    def __init__(self, strict: bool, description: str):
        self.strict, self.description = strict, description

    def check(self, x):
        above = x > 0 if self.strict else x >= 0
        return above & (x < jnp.inf)

    def feasible_like(self, x):
        return jnp.ones_like(x)

    def bijector(self):
        return bijectors.Exp()


class _Interval(Constraint):
    """``[low, high]``; the bounds may be arrays (a batch of intervals)."""

    def __init__(self, low, high, description: str | None = None):
        self.low, self.high = low, high
        self.description = description or f"in [{low}, {high}]"

    def check(self, x):
        return (x >= self.low) & (x <= self.high)

    def feasible_like(self, x):
        return (jnp.asarray(self.low) + self.high) / 2

    def bijector(self):
        return bijectors.SigmoidAffine(self.low, self.high)


class _Bounded(Constraint):
    """``[low, high]`` with bounds that may be infinite (``-inf``/``inf`` for none)."""

    def __init__(self, low, high):
        self.low, self.high = low, high
        self.description = f"in [{low}, {high}]"

    def check(self, x):
        return (x >= self.low) & (x <= self.high) & ~_library(x).isnan(x)

    def feasible_like(self, x):
        return bijectors.Bounded(self.low, self.high).forward(jnp.zeros_like(x))

    def bijector(self):
        return bijectors.Bounded(self.low, self.high)


class _ExtendedReal(Constraint):
    """The reals with ``-inf`` and ``inf``: a bound that may be absent."""

    description = "a real number or an infinite bound"

    def check(self, x):
        return ~_library(x).isnan(x)

    def feasible_like(self, x):
        return jnp.zeros_like(x)


def _is_integer(x):
    return x == _library(x).floor(x)


class _IntegerInterval(Constraint):
    """The integers in ``[low, high]``; ``high`` may be ``inf``."""

    is_discrete = True

    def __init__(self, low, high, description: str | None = None):
        self.low, self.high = low, high
        self.description = description or f"an integer in [{low}, {high}]"

    def check(self, x):
        return _is_integer(x) & (x >= self.low) & (x <= self.high)

    def feasible_like(self, x):
        return jnp.asarray(self.low, dtype=jnp.result_type(x))


class _Simplex(Constraint):
    event_dim = 1
    description = "a probability vector (nonnegative entries summing to 1)"

    def check(self, x):
        xp = _library(x)
        x = xp.asarray(x)
        tol = 10 * jnp.finfo(jnp.result_type(x, float)).eps * x.shape[-1]
        return xp.all(x >= 0, axis=-1) & (xp.abs(xp.sum(x, axis=-1) - 1) <= tol)

    def feasible_like(self, x):
        return jnp.full_like(x, 1 / jnp.shape(x)[-1])

    def bijector(self):
        return bijectors.StickBreaking()


class _PositiveDefinite(Constraint):
    event_dim = 2
    description = "a symmetric positive-definite matrix"

    def check(self, x):
        x = jnp.asarray(x)
        symmetric = jnp.all(jnp.isclose(x, jnp.swapaxes(x, -1, -2)), axis=(-2, -1))
        # Cholesky fails (NaN) exactly off the positive-definite cone.
        diag = jnp.diagonal(jnp.linalg.cholesky(x), axis1=-2, axis2=-1)
        return symmetric & jnp.all(jnp.isfinite(diag) & (diag > 0), axis=-1)

    def feasible_like(self, x):
        return jnp.broadcast_to(jnp.eye(jnp.shape(x)[-1], dtype=jnp.result_type(x)),
                                jnp.shape(x))

    def bijector(self):
        return bijectors.CholeskyPositiveDefinite()


class _Ordered(Constraint):
    """Strictly increasing vectors; with ``positive``, of positive entries too."""

    event_dim = 1

    def __init__(self, positive: bool, description: str):
        self.positive, self.description = positive, description

    def check(self, x):
        xp = _library(x)
        x = xp.asarray(x)
        increasing = xp.all(xp.diff(x, axis=-1) > 0, axis=-1) & xp.all(xp.isfinite(x), -1)
        return increasing & (x[..., 0] > 0) if self.positive else increasing

    def feasible_like(self, x):
        return jnp.broadcast_to(jnp.arange(1.0, jnp.shape(x)[-1] + 1, dtype=jnp.result_type(
            x, float)), jnp.shape(x))

    def bijector(self):
        return bijectors.Ordered(self.positive)


class _LowerCholesky(Constraint):
    """Lower-triangular matrices with a positive diagonal; with ``unit_rows``, rows
    of length one (Cholesky factors of correlation matrices)."""

    event_dim = 2

    def __init__(self, unit_rows: bool, description: str):
        self.unit_rows, self.description = unit_rows, description

    def check(self, x):
        xp = _library(x)
        x = xp.asarray(x)
        lower = xp.all(xp.triu(x, 1) == 0, axis=(-2, -1))
        positive = xp.all(xp.diagonal(x, axis1=-2, axis2=-1) > 0, axis=-1)
        ok = lower & positive & xp.all(xp.isfinite(x), axis=(-2, -1))
        if self.unit_rows:
            tol = 100 * jnp.finfo(jnp.result_type(x, float)).eps
            ok = ok & xp.all(xp.abs(xp.sum(x ** 2, -1) - 1) <= tol, axis=-1)
        return ok

    def feasible_like(self, x):
        return jnp.broadcast_to(jnp.eye(jnp.shape(x)[-1], dtype=jnp.result_type(x, float)),
                                jnp.shape(x))

    def bijector(self):
        return bijectors.CholeskyCorrelation() if self.unit_rows else \
            bijectors.CholeskyCovariance()


class _Independent(Constraint):
    """A constraint on each entry, read as one constraint on whole vectors."""

    def __init__(self, base: Constraint, reinterpreted: int, description: str):
        self.base, self.reinterpreted, self.description = base, reinterpreted, description
        self.event_dim = base.event_dim + reinterpreted
        self.is_discrete = base.is_discrete

    def check(self, x):
        ok = self.base.check(x)
        return _library(ok).all(ok, axis=tuple(range(-self.reinterpreted, 0)))

    def feasible_like(self, x):
        return self.base.feasible_like(x)

    def bijector(self):
        return bijectors.Independent(self.base.bijector(), self.reinterpreted)


real = _Real()
positive = _HalfLine(strict=True, description="positive")
nonnegative = _HalfLine(strict=False, description="nonnegative")
unit_interval = _Interval(0.0, 1.0, "a probability in [0, 1]")
boolean = _IntegerInterval(0, 1, "0 or 1")
nonnegative_integer = _IntegerInterval(0, jnp.inf, "a nonnegative integer")
simplex = _Simplex()
positive_definite = _PositiveDefinite()
real_vector = _Independent(real, 1, "a vector of finite reals")
real_matrix = _Independent(real, 2, "a matrix of finite reals")
ordered_vector = _Ordered(False, "an increasing vector")
positive_ordered_vector = _Ordered(True, "an increasing vector of positive reals")
corr_cholesky = _LowerCholesky(True, "the Cholesky factor of a correlation matrix")
cov_cholesky = _LowerCholesky(False, "the Cholesky factor of a covariance matrix")
positive_vector = _Independent(positive, 1, "a vector of positive reals")


def interval(low, high) -> Constraint:
    """The closed interval ``[low, high]``."""
    return _Interval(low, high)


def bounded(low, high) -> Constraint:
    """``[low, high]`` where a bound may be infinite, with :class:`~bijectors.Bounded`."""
    return _Bounded(low, high)


extended_real = _ExtendedReal()


def integer_interval(low, high) -> Constraint:
    """The integers from ``low`` to ``high`` inclusive."""
    return _IntegerInterval(low, high)
