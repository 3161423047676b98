"""Models written as Python functions, traced to the language's own syntax.

``@model`` runs the function once on stand-ins for its arguments. Each
``sample``, ``observe``, ``deterministic`` and ``factor`` call, each arithmetic operation and
each ``with plate(...)`` block records the statement the language would
have parsed (``w ~ Normal(0, 1)``, ``mu = w * x``, ``for j in range(J) {…}``),
positioned at the user's Python line; the recorded model is then elaborated
by :func:`~catlearn.lang.models.elaborate_model`, exactly as a ``.cat`` file
is. So a model written both ways is the same :class:`Model`, with the same
type and shape checks, and its errors name the Python file and line.

A loop is a plate or a scan as in the language: reading ``x[t - 1]`` of a
site ``x`` the loop defines makes ``x`` the state of a scan.

>>> from catlearn.lang.python import model, sample, plate, Nat
>>> from catlearn.lang.python import Beta, Bernoulli
>>> @model
... def coin(n: Nat):
...     p = sample("p", Beta(1, 1))
...     with plate("i", n):
...         sample("flips", Bernoulli(p))
>>> [(s.site, str(s.cod)) for s in coin.sites()]
[('p', 'Prob'), ('flips', 'Bool')]
"""
from __future__ import annotations

import ast as pyast
import functools
import inspect
import linecache
import os
import re
import textwrap
import dataclasses
from dataclasses import dataclass
from typing import Any, Callable, Optional, Union

from catlearn import distributions
from catlearn.errors import CatlearnError, CatlearnTypeError
from catlearn.lang import ast, bound
from catlearn.lang.models import elaborate_model
from catlearn.syntax.model import Model
from catlearn.syntax.ty import Ty

Real, Pos, Prob, Int, Nat, Bool, Simplex = (Ty(n) for n in (
    "Real", "Pos", "Prob", "Int", "Nat", "Bool", "Simplex"))

_HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _where() -> ast.Pos:
    """The (line, column) of the user's call: the first frame outside catlearn."""
    frame = inspect.currentframe()
    while frame is not None and os.path.abspath(frame.f_code.co_filename).startswith(_HERE):
        frame = frame.f_back
    if frame is None:
        return (1, 1)
    positions = inspect.getframeinfo(frame).positions
    column = positions.col_offset + 1 if positions and positions.col_offset is not None else 1
    return (frame.f_lineno, column)


class _Recording:
    """The statements of the model being traced: one list per open loop.

    The function is traced twice. The first pass counts how often each
    computed value is used; the second writes a value used once inline, as
    the language would read ``Normal(mu + tau * z, s)``, and names a value
    used more than once (``_3 = w * x + b``), so each operation is one box,
    and a value never used makes none.
    """

    def __init__(self, shared: Optional[set] = None):
        self.bodies: list[list] = [[]]
        self.loop_vars: list[str] = []
        self.serial = 0
        self.uses: dict[int, int] = {}
        self.shared = shared

    def emit(self, stmt: Any) -> None:
        self.bodies[-1].append(stmt)

    def operand(self, value: Any) -> Any:
        """The term of ``value`` where it is used, counting the use."""
        value = term(value)
        if value.serial:
            self.uses[value.serial] = self.uses.get(value.serial, 0) + 1
        return _used(value.node, _where())


_RECORDING: list[_Recording] = []


def _recording(what: str) -> _Recording:
    if not _RECORDING:
        raise CatlearnTypeError(f"{what} is used inside a function decorated by @model")
    return _RECORDING[-1]


class Expr:
    """A value of the model being traced: the term that names it."""

    def __init__(self, node: Any, raw: Any = None, site: Optional[str] = None,
                 serial: int = 0):
        self.node = node
        self.raw = node if raw is None else raw   # the term before let-binding, for bounds
        self.site, self.serial = site, serial

    def _op(self, op: str, other: Any, flip: bool = False) -> "Expr":
        pos = _where()
        rec = _recording("arithmetic on a model's values")
        a, b = (term(other), self) if flip else (self, term(other))
        return _let(ast.BinOp(op, rec.operand(a), rec.operand(b), pos),
                    ast.BinOp(op, _used(a.raw, pos), _used(b.raw, pos), pos), pos)

    def __add__(self, o): return self._op("+", o)
    def __radd__(self, o): return self._op("+", o, True)
    def __sub__(self, o): return self._op("-", o)
    def __rsub__(self, o): return self._op("-", o, True)
    def __mul__(self, o): return self._op("*", o)
    def __rmul__(self, o): return self._op("*", o, True)
    def __truediv__(self, o): return self._op("/", o)
    def __rtruediv__(self, o): return self._op("/", o, True)
    def __pow__(self, o): return self._op("**", o)
    def __rpow__(self, o): return self._op("**", o, True)

    def __neg__(self) -> "Expr":
        pos = _where()
        rec = _recording("arithmetic on a model's values")
        return _let(ast.Neg(rec.operand(self), pos), ast.Neg(self.raw, pos), pos)

    def __getitem__(self, index: Any) -> "Expr":
        """``x[j]``; on a site's value, ``x[t - 1]`` reads the site ``x`` there."""
        pos = _where()
        indices = tuple(_used(term(i).raw, pos)
                        for i in (index if isinstance(index, tuple) else (index,)))
        rec = _recording("indexing a model's values")
        target = ast.Name(self.site, pos) if self.site else rec.operand(self)
        return _let(ast.Subscript(target, indices, pos), None, pos)

    def __bool__(self):
        raise CatlearnTypeError("a model's value has no truth value while the model is traced: "
                                "branch with arithmetic (e.g. multiply by a Bool), not with if")

    def __iter__(self):
        raise CatlearnTypeError("a model's value cannot be iterated while the model is traced: "
                                "loop with `with plate(\"i\", n):`")


def _used(node: Any, pos: ast.Pos) -> Any:
    """A name where it is used: a loop variable or an argument is written at ``pos``,
    not where its loop or its model begins, so an error in an index points there."""
    return dataclasses.replace(node, pos=pos) if isinstance(node, ast.Name) else node


def _let(node: Any, raw: Any, pos: ast.Pos) -> Expr:
    """A computed value: inline, or named ``_k = node`` when used more than once."""
    rec = _recording("arithmetic on a model's values")
    rec.serial += 1
    raw = node if raw is None else raw
    if rec.shared is None or rec.serial not in rec.shared:
        return Expr(node, raw, serial=rec.serial)
    name = f"_{rec.serial}"
    rec.emit(ast.Let(ast.Target(name, (), pos), node, pos))
    return Expr(ast.Name(name, pos), raw, serial=rec.serial)


def term(value: Any) -> Expr:
    """A Python number or a traced value as a term of the language."""
    if isinstance(value, Expr):
        return value
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise CatlearnTypeError(f"a model can compute only with numbers and its own values, "
                                f"not the {type(value).__name__} {value!r}: pass data as an "
                                "argument of the model"[:200])
    pos = _where()
    return Expr(ast.Num(value, pos) if value >= 0 else ast.Neg(ast.Num(-value, pos), pos))


@dataclass(frozen=True)
class DistributionCall:
    """``Normal(mu, 1)`` written in a Python model: the family and its arguments."""

    name: str
    args: tuple
    kwargs: tuple

    def __getattr__(self, attribute: str) -> Any:
        # outside a model, a call with numbers is the distribution itself
        return getattr(distributions.get(self.name)(*self.args, **dict(self.kwargs)), attribute)


class Family:
    """A distribution family by its name: ``Normal(0, 1)`` records a call."""

    def __init__(self, name: str):
        self.name = name

    def __call__(self, *args: Any, **kwargs: Any) -> DistributionCall:
        return DistributionCall(self.name, args, tuple(kwargs.items()))

    def __repr__(self) -> str:
        return self.name


FAMILIES = {name: Family(name) for name in distributions.DISTRIBUTIONS}
globals().update(FAMILIES)


def sample(site: str, dist: DistributionCall, at: Union[int, tuple, None] = None) -> Expr:
    """``site ~ dist``; inside loops, the site indexed by the loop variables;
    ``at=0`` samples one element (``x[0] ~ ...``) outside any loop."""
    rec = _recording("sample")
    pos = _where()
    if not isinstance(site, str):
        raise CatlearnTypeError(f"sample: the site is named by a str, as in sample(\"w\", "
                                f"Normal(0, 1)), not {site!r}")
    if not isinstance(dist, DistributionCall):
        raise CatlearnTypeError(f"sample {site!r}: draw from a distribution such as "
                                f"cl.Normal(0, 1), not {dist!r}"[:200])
    if rec.loop_vars:
        indices = tuple(ast.Name(v, pos) for v in rec.loop_vars)
    else:
        indices = tuple(ast.Num(i, pos) for i in ((at,) if isinstance(at, int) else at or ()))
    args = tuple(rec.operand(a) for a in dist.args)
    kwargs = tuple((k, rec.operand(v), pos) for k, v in dist.kwargs)
    rec.emit(ast.Draw(ast.Target(site, indices, pos), dist.name, args, kwargs, pos, pos))
    node = ast.Subscript(ast.Name(site, pos), indices, pos) if indices else ast.Name(site, pos)
    return Expr(node, site=site)


observe = sample
"""``observe("y", dist)``: a site the queries give data for (``given``), the same box."""


def deterministic(name: str, value: Any) -> Expr:
    """``name = value``, reported with the posterior as the language reports an
    assignment (NumPyro's ``deterministic``); other arithmetic stays unnamed."""
    pos = _where()
    rec = _recording("deterministic")
    if not isinstance(name, str) or name.startswith("_"):
        raise CatlearnTypeError(f"deterministic: the value is named by a str not starting "
                                f"with _, as in deterministic(\"mu\", w * x), not {name!r}")
    indices = tuple(ast.Name(v, pos) for v in rec.loop_vars)
    rec.emit(ast.Let(ast.Target(name, indices, pos), rec.operand(value), pos))
    return Expr(ast.Subscript(ast.Name(name, pos), indices, pos) if indices
                else ast.Name(name, pos))


def factor(value: Any) -> None:
    """``factor(expr)``: adds ``sum(expr)`` to the log weight."""
    pos = _where()
    rec = _recording("factor")
    rec.emit(ast.Factor(rec.operand(value), pos))


class plate:
    """``with plate("j", J) as j:`` — the language's ``for j in range(J) { … }``;
    ``plate("t", 1, T)`` starts at 1. A body reading ``x[t - 1]`` is a scan."""

    def __init__(self, var: str, start: Any, stop: Any = None):
        self.var = var
        self.start, self.stop = (None, start) if stop is None else (start, stop)

    def __enter__(self) -> Expr:
        rec = _recording("plate")
        self.pos = _where()
        rec.bodies.append([])
        rec.loop_vars.append(self.var)
        return Expr(ast.Name(self.var, self.pos))

    def __exit__(self, kind, value, traceback) -> None:
        rec = _recording("plate")
        body = rec.bodies.pop()
        rec.loop_vars.pop()
        if kind is None:
            start = None if self.start is None else term(self.start).raw
            rec.emit(ast.Loop(self.var, start, term(self.stop).raw, tuple(body), self.pos,
                              self.pos))

    def __iter__(self):
        with self as index:
            yield index


scan = plate
"""A loop whose body reads ``x[t - 1]``: the same block, recognised as the language does."""


def _type(name: str, annotation: Any) -> ast.TypeExpr:
    if isinstance(annotation, Ty) and len(annotation) == 1:
        ob = annotation.objects[0]
        atom = ast.TypeAtom(ob.name, tuple(ob.shape), (1, 1))
    elif isinstance(annotation, str) and re.fullmatch(r"\w+(\[[\w, ]*\])?", annotation.strip()):
        base, _, dims = annotation.strip().partition("[")
        atom = ast.TypeAtom(base, tuple(int(d) if d.strip().isdigit() else d.strip()
                                        for d in dims.rstrip("]").split(",") if d.strip()),
                            (1, 1))
    else:
        raise CatlearnTypeError(f"@model: the argument {name} needs a type, as in {name}: "
                                f"cl.Real or {name}: cl.Real[\"N\"], not {annotation!r}")
    return ast.TypeExpr((atom,), (1, 1))


def _return_names(fn: Callable) -> Optional[list[str]]:
    """The names the function's ``return`` statement gives, read from its source."""
    try:
        tree = pyast.parse(textwrap.dedent(inspect.getsource(fn)))
    except (OSError, TypeError, SyntaxError):
        return None
    returns = [n for n in pyast.walk(tree) if isinstance(n, pyast.Return) and n.value]
    if len(returns) != 1:
        return None
    value = returns[0].value
    items = value.elts if isinstance(value, pyast.Tuple) else [value]
    names = [i.id if isinstance(i, pyast.Name) else None for i in items]
    return names if all(names) else None


def _trace(fn: Callable, params: list, rec: _Recording) -> _Recording:
    """Run ``fn`` on its arguments' names, recording into ``rec``; returns
    ``rec`` (its statements, on the second pass)."""
    _RECORDING.append(rec)
    try:
        result = fn(*(Expr(ast.Name(p.name, (1, 1))) for p in params))
        body = rec.bodies[0]
        if result is not None:
            results = result if isinstance(result, tuple) else (result,)
            names = _return_names(fn)
            exprs = []
            for k, value in enumerate(results):
                node = rec.operand(value)
                if names and len(names) == len(results) and not (
                        isinstance(node, ast.Name) and node.id == names[k]):
                    body.append(ast.Let(ast.Target(names[k], (), node.pos), node, node.pos))
                    node = ast.Name(names[k], node.pos)
                exprs.append(node)
            body.append(ast.Return(tuple(exprs), (1, 1)))
    finally:
        _RECORDING.pop()
    return rec


def model(fn: Callable) -> Model:
    """The :class:`Model` a Python function describes (see the module's text)."""
    signature = inspect.signature(fn)
    params = [ast.Param(name, _type(name, p.annotation), (1, 1))
              for name, p in signature.parameters.items()]
    counting = _trace(fn, params, _Recording())
    body = _trace(fn, params, _Recording({k for k, n in counting.uses.items() if n > 1}))
    node = ast.ModelDef(fn.__name__, tuple(params), tuple(body.bodies[0]), (1, 1), (1, 1))
    in_file = _in_file(fn.__code__.co_filename)
    built = in_file(elaborate_model)(node)
    built.check_binding = in_file(functools.partial(bound.check, node))
    return built


def _in_file(filename: str) -> Callable[[Callable], Callable]:
    """``fn`` with its errors located in the Python file ``filename``."""
    def located(fn: Callable) -> Callable:
        def call(*args):
            try:
                return fn(*args)
            except CatlearnError as err:
                source = "".join(linecache.getlines(filename)) or None
                raise err.at(file=filename, source=source) from None
        return call
    return located
