"""Conditioning by data: binding a model's arguments and observed sites.

A query names values: arguments (``x``, ``T``, ``sigma``) are the inputs of
the model's diagram and fix its symbolic dimensions (``N`` from the length
of ``x``); data bind sample sites, which makes them observed. Everything is
checked here, once, before any inference runs, and every mistake is a
:class:`~catlearn.errors.DataError` naming the user's variable: an unknown
or missing name, a wrong shape or dtype, a value outside a type (``Nat``,
``Pos``) or outside a distribution's support.

>>> import numpy as np
>>> from catlearn.syntax import Ty
>>> bind_args([("x", Ty("Real")[("N")])], {"x": np.zeros(3)}, "m")[1]
{'N': 3}
"""
from __future__ import annotations

import difflib
from typing import Any, Mapping, Sequence

import jax
import jax.numpy as jnp
import numpy as np

from catlearn.categories.traced import covered, slice_at
from catlearn.distributions import constraints
from catlearn.distributions import get as get_distribution
from catlearn.errors import DataError
from catlearn.syntax.model import Model, resolve_dim
from catlearn.syntax.ty import Ty, dim_str

_INTEGRAL = {"Int", "Nat", "Bool"}
_CHECKS = {"Nat": (lambda v: v >= 0, "a natural number"),
           "Pos": (lambda v: v > 0, "positive"),
           "Prob": (lambda v: (v > 0) & (v < 1), "a probability in (0, 1)"),
           "Bool": (lambda v: (v == 0) | (v == 1), "a boolean (0 or 1)")}


def _unknown(kind: str, name: str, known: Sequence[str], model: str) -> DataError:
    close = difflib.get_close_matches(name, known, n=1)
    hint = f"; did you mean '{close[0]}'?" if close else ""
    shown = ", ".join(known) or "none"
    return DataError(f"{model} has no {kind} '{name}' (its {kind}s: {shown}){hint}")


def _as_array(name: str, value: Any, integral: bool, what: str) -> np.ndarray:
    """``value`` as a numeric array, integer-valued where ``integral``."""
    try:
        array = np.asarray(value)
    except (TypeError, ValueError):
        array = np.asarray(value, dtype=object)
    if array.dtype == bool:
        array = array.astype(np.int32)
    if not np.issubdtype(array.dtype, np.number):
        raise DataError(f"{what} '{name}' must be numbers, got {array.dtype} values")
    if np.iscomplexobj(array):
        raise DataError(f"{what} '{name}' must be real numbers")
    if integral:
        if not np.all(np.isfinite(array)) or np.any(array != np.round(array)):
            raise DataError(f"{what} '{name}' must be integers (it is discrete)")
        _within(name, array, np.iinfo(np.int32), what)
        return array.astype(np.int32)
    if np.any(np.isnan(array)):
        raise DataError(f"{what} '{name}' has missing (NA, null) or NaN values: only "
                        "observed variables may miss values, arguments must be complete")
    if not np.all(np.isfinite(array)):
        raise DataError(f"{what} '{name}' contains infinite values")
    _within(name, array, np.finfo(jnp.result_type(float)), what)
    return array.astype(jnp.result_type(float))


def _within(name: str, array: np.ndarray, limits, what: str) -> None:
    """Refuse values the dtype JAX computes in cannot hold (they would wrap or overflow)."""
    outside = (array > limits.max) | (array < limits.min)
    if np.any(outside):
        bad = array[outside].flat[0]
        raise DataError(f"{what} '{name}' holds {bad.item()!r}, beyond the limit "
                        f"{limits.max} of {limits.dtype} (catlearn computes in "
                        f"{limits.dtype})")


def bind_args(signature: Sequence[tuple[str, Ty]], args: Mapping[str, Any],
              model: str) -> tuple[tuple, dict]:
    """The model's inputs and the dimensions they fix, or a :class:`DataError`.

    Integer arguments (``T: Nat``) are dimensions themselves; a symbol in an
    argument's shape (``x: Real[N]``) is fixed by the first argument that has
    it and checked against the others.
    """
    names = [name for name, _ in signature]
    for name in args:
        if name not in names:
            raise _unknown("argument", name, names, model)
    missing = [f"'{name}' ({ty})" for name, ty in signature if name not in args]
    if missing:
        raise DataError(f"{model}: missing argument {', '.join(missing)}")
    values = {}
    for name, ty in signature:
        (atom,) = ty.objects
        value = _as_array(name, args[name], atom.name in _INTEGRAL, "argument")
        if value.ndim != len(atom.shape):
            raise DataError(f"argument '{name}' must have {len(atom.shape)} axes ({ty}), "
                            f"got shape {value.shape}")
        if atom.name in _CHECKS:
            ok, what = _CHECKS[atom.name]
            if not np.all(ok(value)):
                raise DataError(f"argument '{name}' must be {what} ({ty})")
        values[name] = value
    dims = {name: int(value) for name, value in values.items()
            if value.ndim == 0 and value.dtype.kind == "i"}
    for name, ty in signature:
        for axis, (dim, size) in enumerate(zip(ty.objects[0].shape, values[name].shape)):
            if isinstance(dim, str) and dim not in dims:
                dims[dim] = size
            elif resolve_dim(dim, dims) != size:
                raise DataError(f"argument '{name}' must have {dim_str(dim)} = "
                                f"{resolve_dim(dim, dims)} entries along axis {axis}, "
                                f"got {size}")
    return tuple(jax.device_put(values[name]) for name in names), dims


def bind_data(model: Model, data: Mapping[str, Any], shapes: Mapping[str, Any],
              pieces: Mapping[str, Sequence]) -> tuple[dict[str, jax.Array], dict[str, np.ndarray]]:
    """Validated observed values by site, and the missing elements of each
    site observed in part.

    ``shapes`` gives each site's whole value (a ``jax.ShapeDtypeStruct``) and
    ``pieces`` its parts with their distributions, from an abstract prior run.
    A site is observed in part by data with NaN where a value is missing, or
    element by element (``{"y[3]": 1.2}``).
    """
    arg_names = [name for name, _ in model.args]
    bound, missing = {}, {}
    for name, value in _whole_sites(data, shapes, model.name).items():
        if name not in shapes:
            if name in arg_names:
                raise DataError(f"'{name}' is an argument of {model.name}, not a sampled "
                                "variable: bind it as an argument, not as data")
            raise _unknown("sampled variable", name, list(shapes), model.name)
        discrete = any(get_distribution(p.dist).is_discrete for p in pieces[name])
        gaps = _gaps(name, value, pieces[name], model.name)
        array = _as_array(name, np.where(gaps, _filler(pieces[name]), value) if gaps.any()
                          else value, discrete, "data")
        if array.shape != shapes[name].shape:
            raise DataError(f"data '{name}' must have shape {shapes[name].shape}, "
                            f"got {array.shape}")
        defined = covered(gaps.shape, pieces[name])
        if defined is not None:
            gaps &= defined   # no statement reads the others
        for piece in pieces[name]:
            support = getattr(get_distribution(piece.dist), "support", None)
            if isinstance(support, constraints.Constraint):
                part = slice_at(array, piece.index)
                ok = np.asarray(support.check(np.asarray(part))) | slice_at(gaps, piece.index)
                if not ok.all():
                    bad = np.asarray(part)[~ok][0]
                    raise DataError(f"data '{name}' is outside the support of "
                                    f"{piece.dist}: got {bad.tolist()}, must be {support}")
        bound[name] = jax.device_put(array)   # (jnp.asarray would compile a program)
        if gaps.size and gaps.all():
            raise DataError(f"data '{name}' holds no values (every element is missing): "
                            "leave it out of the data to sample it")
        if gaps.any():
            missing[name] = gaps
    return bound, missing


def _whole_sites(data: Mapping[str, Any], shapes: Mapping[str, Any], model: str) -> dict:
    """``data`` with element keys (``"y[3]"``) gathered into whole sites, NaN elsewhere."""
    whole = {name: value for name, value in data.items() if "[" not in name}
    gathered: dict[str, np.ndarray] = {}
    for name, value in data.items():
        if "[" not in name:
            continue
        site, _, rest = name.partition("[")
        try:
            index = tuple(int(i) for i in rest.rstrip("]").split(","))
        except ValueError:
            raise DataError(f"data '{name}': an element is named by integers, "
                            f"as in '{site}[3]'") from None
        if site in whole:
            raise DataError(f"data names '{site}' both whole and element by element")
        if site not in shapes:
            raise _unknown("sampled variable", site, list(shapes), model)
        shape = shapes[site].shape
        if len(index) != len(shape) or any(not 0 <= i < n for i, n in zip(index, shape)):
            raise DataError(f"data '{name}': {site} has shape {shape}, so the index "
                            f"{list(index)} is outside it")
        gathered.setdefault(site, np.full(shape, np.nan))[index] = value
    return {**whole, **gathered}


def _gaps(name: str, value: Any, pieces: Sequence, model: str) -> np.ndarray:
    """Where ``value`` is missing (NaN); only sites of scalar families may miss elements."""
    try:
        array = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        return np.zeros(np.shape(value), bool)
    gaps = np.isnan(array)
    if gaps.any() and any(_event_dims(p.dist) for p in pieces):
        raise DataError(f"data '{name}' has missing values, but {model} draws it from "
                        "a multivariate distribution: only sites of scalar distributions "
                        "can be observed in part")
    return gaps


def _filler(pieces: Sequence) -> float:
    """A value to hold a missing element's place in checks: one on every support used."""
    return 1.0 if any(get_distribution(p.dist).is_discrete for p in pieces) else 0.5


def _event_dims(dist: str) -> int:
    support = getattr(get_distribution(dist), "support", None)
    return getattr(support, "event_dim", 0)
