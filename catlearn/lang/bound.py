"""Checks made once a query binds a model's arguments and data: what only they decide.

Elaboration refuses what a model's text alone fixes (a literal index against a
declared shape, ``Normal(0, -1)``). Some mistakes depend on the values a query
binds: ``x[j + 1]`` over ``range(K)`` reads past ``x`` when ``K`` is 3 and ``x``
has 3 elements; an integer column of data holding 7 indexes a site of 3;
``Normal(0, s)`` with the argument ``s = -1``. Run, they would read NaN (the
model's reads fill out-of-range elements so, see
:func:`catlearn.primitives.ops._read`) or give a density of ``-inf``, found only
afterwards by a warning.

Here the model's statements are walked with what the query fixes: arguments
and data exactly, loop variables as the intervals of their ranges, carried
through ``+``, ``-``, ``*`` and reads of known arrays (interval arithmetic,
Cousot & Cousot 1977). An index whose interval leaves its axis at a value it
really takes, or a parameter fixed by the query outside its distribution's
support, is refused where it is written, before anything runs. Expressions
of random values are unknown, and never refused here.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping, Optional

import jax
import numpy as np

from catlearn import distributions
from catlearn.errors import CatlearnError, DataError, DistributionError
from catlearn.lang import ast


@dataclass(frozen=True)
class Known:
    """What a query fixes of an expression: the interval ``[lo, hi]`` holding its
    values, its ``value`` where it is exact, and whether ``lo`` and ``hi`` are
    values it takes (``attained``; ``i - i`` over a range has the interval
    ``[-n, n]`` but takes only 0) and whether it takes every whole number between
    them (``dense``: a loop variable, and it plus or minus a number)."""
    lo: float
    hi: float
    value: Optional[np.ndarray] = None
    attained: bool = True
    dense: bool = False

    @staticmethod
    def exact(value: Any, attained: bool = True) -> Optional["Known"]:
        """A value the query fixes; ``None`` for one it leaves open (a missing value,
        NaN, of partly observed data) and for an infinite one."""
        value = np.asarray(value)
        if value.size == 0 or value.dtype.kind not in "biuf":
            return None
        with np.errstate(over="ignore"):
            # the precision models run in (float64 once a query asks for it)
            finite = np.isfinite(value.astype(jax.dtypes.canonicalize_dtype(float))).all()
        if value.dtype.kind == "f" and not finite:
            return None  # (an argument infinite where the model runs is refused, named)
        return Known(float(np.min(value)), float(np.max(value)), value, attained,
                     dense=value.size == 1)


def _corners(op, a: Known, b: Known) -> tuple[float, float]:
    with np.errstate(all="ignore"):
        values = [op(x, y) for x in (a.lo, a.hi) for y in (b.lo, b.hi)]
    return min(values), max(values)


_INTERVAL = {"+": lambda a, b: (a.lo + b.lo, a.hi + b.hi),
             "-": lambda a, b: (a.lo - b.hi, a.hi - b.lo),
             "*": lambda a, b: _corners(np.multiply, a, b)}
_EXACT = {"+": np.add, "-": np.subtract, "*": np.multiply, "/": np.divide,
          "**": np.power}


def _arithmetic(op: str, a: Optional[Known], b: Optional[Known]) -> Optional[Known]:
    if a is None or b is None or op not in _EXACT:
        return None
    if a.value is not None and b.value is not None:
        try:
            with np.errstate(all="ignore"):
                return Known.exact(_EXACT[op](a.value, b.value))
        except ValueError:  # shapes that do not broadcast: the model's types refuse them
            return None
    if op not in _INTERVAL:
        return None
    lo, hi = _INTERVAL[op](a, b)
    # one interval and one number: a monotone function of the interval, whose ends it takes
    single = (a.value is None) != (b.value is None) and all(
        k.value is None or k.value.ndim == 0 for k in (a, b))
    return Known(lo, hi, None, single and a.attained and b.attained,
                 dense=single and op in "+-" and a.dense and b.dense)


def text(node: Any) -> str:
    """An expression as the user wrote it (up to spacing and parentheses)."""
    def visit(n, kids):
        if isinstance(n, ast.Num):
            return repr(n.value)
        if isinstance(n, ast.Name):
            return n.id
        if isinstance(n, ast.BinOp):
            left, right = (f"({k})" if isinstance(child, ast.BinOp) else k
                           for k, child in zip(kids, (n.left, n.right)))
            return f"{left} {n.op} {right}"
        if isinstance(n, ast.Neg):
            return f"-{kids[0]}"
        if isinstance(n, ast.Subscript):
            return f"{kids[0]}[{', '.join(kids[1:])}]"
        if isinstance(n, ast.Slice):
            return ":".join(kids) if len(kids) == 2 else "…"
        if isinstance(n, ast.Attr):
            return f"{kids[0]}.{n.name}"
        if isinstance(n, ast.Call):
            return f"{n.func}({', '.join(kids)})"
        return "…"
    return ast.postorder(node, visit)


def start(node: Any) -> ast.Pos:
    """Where an expression begins: the first of its nodes' positions."""
    return ast.postorder(node, lambda n, kids: min([n.pos, *kids]))


class _Checker:
    """The walk over one model's statements with the values a query binds."""

    def __init__(self, shapes: Mapping[str, tuple], values: Mapping[str, np.ndarray]):
        self.shapes = dict(shapes)   # every name whose shape the query fixes
        self.values = {name: Known.exact(v) for name, v in values.items()}

    def known(self, node: Any, env: Mapping[str, Optional[Known]]) -> Optional[Known]:
        """What the query fixes of the expression ``node``; refuses an index out of
        range in it."""
        def visit(n, kids):
            if isinstance(n, ast.Num):
                return Known.exact(n.value)
            if isinstance(n, ast.Name):
                return env[n.id] if n.id in env else self.values.get(n.id)
            if isinstance(n, ast.Neg):
                k = kids[0]
                return k and Known(-k.hi, -k.lo, None if k.value is None else -k.value,
                                   k.attained)
            if isinstance(n, ast.BinOp):
                return _arithmetic(n.op, *kids)
            if isinstance(n, ast.ListExpr):
                values = [k.value if k is not None else None for k in kids]
                if any(v is None or v.ndim for v in values):
                    return None
                return Known.exact(np.array(values))
            if isinstance(n, ast.Subscript):
                return self.read(n, n.target, n.indices, kids[0], kids[1:])
            return None
        return ast.postorder(node, visit)

    def read(self, node: Any, target: Any, indices: tuple, array: Optional[Known],
             known: list) -> Optional[Known]:
        """``target[indices]``: each index checked against its axis where both are
        known; the values read, where the array is known."""
        name = target.id if isinstance(target, ast.Name) else getattr(target, "name", None)
        shape = self.shapes.get(name) if name is not None else None
        if shape is None and array is not None and array.value is not None:
            shape = array.value.shape
        if shape is None:
            return None
        axes = []
        for axis, (index, k) in enumerate(zip(indices, known)):
            if axis >= len(shape) or isinstance(index, ast.Slice):
                axes = None
                continue
            size = shape[axis]
            if k is not None and k.attained and (k.hi >= size or k.lo < -size):
                bad = k.hi if k.hi >= size else k.lo
                values = ("" if k.value is not None and k.value.size == 1 else
                          f" (its values run from {_number(k.lo)} to {_number(k.hi)})")
                raise ast.error_at(
                    DataError, f"the index {text(index)} of {name} reaches {_number(bad)}"
                    f"{values}, beyond axis {axis} of {name}, of length {size} (valid: 0 to "
                    f"{size - 1}, or {-size} to -1 from the end)", start(index))
            if axes is not None:
                axes.append(k)
        if array is None or array.value is None or axes is None or None in axes:
            return None
        if all(k.value is not None for k in axes):
            try:
                return Known.exact(array.value[tuple(k.value.astype(int) for k in axes)])
            except (IndexError, ValueError):
                return None
        # an index over a range: the values read lie between the least and the greatest
        # of the elements it covers, which it reads all of where it is dense along one
        # axis (x[i, i] over a range reads a diagonal, not the square it covers)
        ranges = tuple(slice(int(k.lo), int(k.hi) + 1) if k.lo >= 0 else slice(None)
                       for k in axes)
        along = [k for k in axes if k.value is None]
        covered = Known.exact(array.value[ranges],
                              attained=len(along) == 1 and along[0].dense)
        return covered and Known(covered.lo, covered.hi, None, covered.attained)

    def statements(self, body: tuple, env: dict) -> None:
        for stmt in body:
            if isinstance(stmt, ast.Loop):
                first = (Known.exact(0) if stmt.start is None
                         else self.known(stmt.start, env))
                stop = self.known(stmt.stop, env)
                inner = dict(env)
                if (first is not None and stop is not None and first.value is not None
                        and stop.value is not None and first.value.ndim == stop.value.ndim == 0):
                    if stop.value <= first.value:
                        continue  # a loop that never runs reads nothing
                    inner[stmt.var] = Known(float(first.value), float(stop.value) - 1,
                                            dense=True)
                else:
                    inner[stmt.var] = None
                self.statements(stmt.body, inner)
                continue
            target = getattr(stmt, "target", None)
            if target is not None and target.indices:
                known = [self.known(i, env) for i in target.indices]
                self.read(stmt, target, target.indices, None, known)
            if isinstance(stmt, ast.Draw):
                self.draw(stmt, env)
            elif isinstance(stmt, ast.Let):
                value = self.known(stmt.expr, env)
                env[target.name] = value if not target.indices else None
            elif isinstance(stmt, ast.Factor):
                self.known(stmt.expr, env)
            elif isinstance(stmt, ast.Return):
                for e in stmt.exprs:
                    self.known(e, env)
            if target is not None and not isinstance(stmt, ast.Let):
                env[target.name] = self.values.get(target.name)

    def draw(self, stmt: ast.Draw, env: dict) -> None:
        """Refuse a parameter the query fixes outside its support, where it is written."""
        written = [*stmt.args, *(e for _, e, _ in stmt.kwargs)]
        known = {id(e): self.known(e, env) for e in written}  # (its indices checked)
        cls = distributions.DISTRIBUTIONS.get(stmt.dist)
        if cls is None:
            return
        try:
            bound = cls.bind_args(stmt.args, {k: v for k, v, _ in stmt.kwargs})
        except CatlearnError:
            return  # elaboration has refused it already
        params = {}
        for name, e in bound.items():
            k = known[id(e)] if id(e) in known else self.known(e, env)
            if k is None or (k.value is None and not k.attained):
                continue
            # a value over a range is checked at the ends it reaches (supports of
            # one number are intervals)
            for value in [k.value] if k.value is not None else [k.lo, k.hi]:
                try:
                    cls.check_param(name, value)
                except DistributionError as err:
                    reach = "" if k.value is not None else f", which reaches {_number(value)}"
                    raise ast.error_at(DistributionError, f"{err.message} (from {text(e)}"
                                       f"{reach})", start(e)) from None
            if k.value is not None:
                params[name] = k.value
        if len(params) == len(bound):  # every parameter fixed: the checks between them too
            try:
                cls(**params)
            except DistributionError as err:
                raise ast.error_at(DistributionError, err.message, stmt.dist_pos) from None
            except (TypeError, ValueError):
                return  # shapes that do not broadcast: the model's types refuse them


def _number(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else repr(x)


def check(source: ast.ModelDef, args: Mapping[str, Any], data: Mapping[str, Any],
          site_shapes: Optional[Mapping[str, tuple]] = None) -> None:
    """Refuse, where it is written in ``source`` (a model's definition), an index the
    query's ``args`` and ``data`` put out of range or a parameter they put outside its
    support; with the shapes of the model's sites (``site_shapes``) also the indices of
    sites. A model's ``check_binding`` (see :class:`catlearn.syntax.model.Model`)."""
    given = {**data, **args}
    shapes = {name: np.shape(v) for name, v in args.items()}
    if site_shapes is not None:
        shapes = {**shapes, **site_shapes}
    _Checker(shapes, given).statements(source.body, {})
