"""The protocol every distribution implements.

A distribution is a family of measures indexed by its parameters, batched:
parameters broadcast against each other as in NumPy, the common leading
shape is ``batch_shape``, and one draw has ``event_shape`` (``()`` for
scalars, ``(k,)`` for vectors). ``sample(key, sample_shape)`` returns an
array of shape ``sample_shape + batch_shape + event_shape`` — a random
element is a function of the key — and ``log_prob(x)`` one log density per
event.

Parameters are checked twice: eagerly, when they are concrete, construction
raises :class:`~catlearn.errors.DistributionError`; under ``jit``, where
values are unknown, ``log_prob`` is ``-inf`` for invalid parameters or values
outside the support, never NaN. Distributions are pytrees of their
parameters, so they cross ``jit`` and ``vmap``.

>>> from catlearn.distributions import Normal
>>> d = Normal(0.0, jnp.ones(3))
>>> d.batch_shape, d.event_shape
((3,), ())
>>> d.sample(jax.random.key(0), (5,)).shape
(5, 3)
>>> Normal(0.0, -1.0)
Traceback (most recent call last):
...
catlearn.errors.DistributionError: Normal: scale must be positive, got -1.0
"""
from __future__ import annotations

from abc import ABC, abstractmethod
import difflib
from functools import partial
from typing import Any, ClassVar, Mapping, Sequence

import jax
import jax.numpy as jnp
import numpy as np

from catlearn.distributions.constraints import Constraint
from catlearn.errors import DistributionError

Array = jax.Array
Shape = tuple


def _expand_to(mask: Array, event_dim: int) -> Array:
    """A per-event mask, with trailing axes to broadcast over the event."""
    return jnp.reshape(mask, jnp.shape(mask) + (1,) * event_dim)


def _show(value: np.ndarray) -> str:
    """A parameter value as a user wrote it: six significant digits, nested lists."""
    return str(np.vectorize(lambda v: float(f"{v:.6g}"), otypes=[float])(value).tolist())


def _as_param(value: Any) -> Array:
    if isinstance(value, jax.core.Tracer):
        value = jnp.asarray(value)
        return value if jnp.issubdtype(value.dtype, jnp.inexact) else value.astype(float)
    # Concrete parameters stay NumPy arrays: converting, broadcasting and checking
    # them then costs no compiled program (eagerly, JAX compiles one per operation).
    value = np.asarray(value)
    dtype = value.dtype if np.issubdtype(value.dtype, np.inexact) else np.dtype(float)
    return value.astype(jax.dtypes.canonicalize_dtype(dtype))


class Distribution(ABC):
    """Base class: subclasses declare their parameters and implement
    ``_sample(key, shape)`` (``shape = sample_shape + batch_shape``) and
    ``_log_prob(x)`` (at valid parameters and values in the support)."""

    arg_names: ClassVar[tuple[str, ...]] = ()
    arg_constraints: ClassVar[Mapping[str, Constraint]] = {}
    aliases: ClassVar[Mapping[str, str]] = {}  # other keywords accepted for a parameter
    support: Constraint
    is_discrete: ClassVar[bool] = False
    #: False for a flat (improper) density, which methods drawing from the prior refuse
    is_proper: ClassVar[bool] = True
    name: ClassVar[str] = "Distribution"  # in messages; the class name unless set

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        cls.name = cls.__dict__.get("name", cls.__name__)
        jax.tree_util.register_pytree_node_class(cls)

    def __init__(self, *args: Any, **kwargs: Any):
        params = {name: _as_param(value) for name, value in self.bind_args(args, kwargs).items()}
        params = self._promote(params)
        for name, value in params.items():
            rank = self.arg_constraints[name].event_dim
            if value.ndim < rank:
                raise DistributionError(f"{self.name}: {name} must have at least {rank} "
                                        f"dimension{'s' * (rank > 1)}, got shape {value.shape}")
        batch_parts = [value.shape[:value.ndim - self.arg_constraints[name].event_dim]
                       for name, value in params.items()]
        try:
            batch_shape = jnp.broadcast_shapes(*batch_parts)
        except ValueError:
            shapes = ", ".join(f"{n} {s}" for n, s in zip(params, batch_parts))
            raise DistributionError(f"{self.name}: parameter shapes do not broadcast "
                                    f"({shapes})") from None
        for name, value in params.items():
            event = value.shape[value.ndim - self.arg_constraints[name].event_dim:]
            broadcast = np.broadcast_to if isinstance(value, np.ndarray) else jnp.broadcast_to
            setattr(self, name, broadcast(value, batch_shape + event))
        if not any(isinstance(value, jax.core.Tracer) for value in params.values()):
            self._validate()

    @classmethod
    def bind_args(cls, args: Sequence[Any], kwargs: Mapping[str, Any]) -> dict[str, Any]:
        """Match positional and keyword arguments to ``arg_names``, or explain why not.

        >>> from catlearn.distributions import Binomial
        >>> Binomial.bind_args([10], {"p": 0.5})
        {'total_count': 10, 'probs': 0.5}
        """
        signature = f"{cls.name}({', '.join(cls.arg_names)})"
        if len(args) > len(cls.arg_names):
            raise DistributionError(f"{signature} takes {len(cls.arg_names)} arguments, "
                                    f"got {len(args)}")
        bound = dict(zip(cls.arg_names, args))
        for keyword, value in kwargs.items():
            name = cls.aliases.get(keyword, keyword)
            if name not in cls.arg_names:
                close = difflib.get_close_matches(keyword, [*cls.arg_names, *cls.aliases], n=1)
                hint = f"; did you mean '{close[0]}'?" if close else ""
                raise DistributionError(f"{signature} has no parameter '{keyword}'{hint}")
            if name in bound:
                raise DistributionError(f"{signature}: {name} given twice")
            bound[name] = value
        missing = [name for name in cls.arg_names if name not in bound]
        if missing:
            raise DistributionError(f"{signature}: missing {', '.join(missing)}")
        return {name: bound[name] for name in cls.arg_names}

    def _promote(self, params: dict[str, Array]) -> dict[str, Array]:
        """Give parameters the ranks their constraints need (e.g. a scalar mean vector)."""
        return params

    # -- shapes ---------------------------------------------------------------

    @property
    def params(self) -> tuple[Array, ...]:
        return tuple(getattr(self, name) for name in self.arg_names)

    @property
    def batch_shape(self) -> Shape:
        first = getattr(self, self.arg_names[0])
        return first.shape[:first.ndim - self.arg_constraints[self.arg_names[0]].event_dim]

    @property
    def event_shape(self) -> Shape:
        return ()

    # -- pytree -----------------------------------------------------------------

    def tree_flatten(self):
        return self.params, None

    @classmethod
    def tree_unflatten(cls, aux, params):
        dist = object.__new__(cls)
        for name, value in zip(cls.arg_names, params):
            setattr(dist, name, value)
        return dist

    def _replace(self, **params: Array) -> "Distribution":
        return self.tree_unflatten(None, [params.get(n, getattr(self, n)) for n in self.arg_names])

    # -- validity -----------------------------------------------------------------

    def _checks(self) -> list[tuple[str, str, Array, Array]]:
        """``(parameter, what it must be, its value, ok per batch element)``."""
        return [(name, str(c), getattr(self, name), c.check(getattr(self, name)))
                for name, c in self.arg_constraints.items()]

    @jax.jit
    def _all_valid(self) -> Array:
        """Whether every check passes: one program per family and shapes."""
        return jnp.all(jnp.stack([jnp.all(ok) for _, _, _, ok in self._checks()]))

    def _validate(self) -> None:
        if all(isinstance(value, np.ndarray) for value in self.params):
            # NumPy parameters are checked by NumPy (see constraints): no program
            if all(np.all(ok) for _, _, _, ok in self._checks()):
                return
        elif self._all_valid():
            return
        for name, must_be, value, ok in self._checks():  # find the culprit
            self._refuse(name, must_be, value, ok)

    @classmethod
    def _refuse(cls, name: str, must_be: str, value: Any, ok: Any) -> None:
        """Raise the error naming the first element of ``value`` that is not ``ok``."""
        ok = np.asarray(ok)
        if not ok.all():
            value = np.asarray(value)
            event = value.shape[ok.ndim:]
            bad = np.broadcast_to(value, ok.shape + event)[~ok][0]
            raise DistributionError(f"{cls.name}: {name} must be {must_be}, got {_show(bad)}")

    @classmethod
    def check_param(cls, name: str, value: Any) -> None:
        """Refuse a constant ``value`` of the parameter ``name`` as the distribution
        itself would, before any other parameter is known (the language checks the
        numbers written in a model this way, where they are written)."""
        constraint = cls.arg_constraints[name]
        value = _as_param(value)
        if value.ndim >= constraint.event_dim:
            cls._refuse(name, str(constraint), value, constraint.check(value))

    def _params_ok(self) -> Array:
        ok = jnp.ones(self.batch_shape, bool)
        for _, _, _, param_ok in self._checks():
            ok = ok & param_ok
        return ok

    def _feasible(self) -> "Distribution":
        """The same distribution with each invalid parameter replaced by a valid one,
        so that densities and their gradients stay finite where they are discarded."""
        safe = {}
        for name, c in self.arg_constraints.items():
            value = getattr(self, name)
            safe[name] = jnp.where(_expand_to(c.check(value), c.event_dim), value,
                                   c.feasible_like(value))
        return self._replace(**safe)

    # -- semantics ----------------------------------------------------------------

    def sample(self, key: Array, sample_shape: Shape | int = ()) -> Array:
        """Draws of shape ``sample_shape + batch_shape + event_shape``."""
        if isinstance(sample_shape, int):
            sample_shape = (sample_shape,)
        return self._draw(key, tuple(sample_shape) + tuple(self.batch_shape))

    # Both are compiled once per family and shape: called eagerly they run as one
    # program rather than op by op; inside a traced model they are inlined.
    @partial(jax.jit, static_argnames="shape")
    def _draw(self, key: Array, shape: Shape) -> Array:
        return self._sample(key, shape)

    @jax.jit
    def log_prob(self, value: Any) -> Array:
        """Log density (or mass) per event; ``-inf`` off the support or at invalid parameters."""
        value = jnp.asarray(value)
        safe = self._feasible()
        support = safe.support
        in_support = support.check(value)
        value = jnp.where(_expand_to(in_support, support.event_dim), value,
                          support.feasible_like(value))
        if not jnp.issubdtype(value.dtype, jnp.inexact):
            # counts enter the density as reals: an integer value would give
            # integer (float0) tangents where the density is differentiated
            value = value.astype(jnp.result_type(float))
        return jnp.where(in_support & self._params_ok(), safe._log_prob(value), -jnp.inf)

    @abstractmethod
    def _sample(self, key: Array, shape: Shape) -> Array:
        """Draws of shape ``shape`` (sample shape + batch shape) + event shape."""

    @abstractmethod
    def _log_prob(self, value: Array) -> Array:
        """The log density at valid parameters and ``value`` in the support."""

    @property
    def mean(self) -> Array:
        raise DistributionError(f"{self.name} has no finite mean")

    @property
    def variance(self) -> Array:
        raise DistributionError(f"{self.name} has no finite variance")

    def __repr__(self) -> str:
        shapes = f"batch_shape={tuple(self.batch_shape)}"
        if self.event_shape:
            shapes += f", event_shape={tuple(self.event_shape)}"
        return f"{self.name}({shapes})"
