"""Model bodies (do-notation) to diagrams of a Markov category.

A model body is read as a straight-line program over wires: each ``~`` adds
a :class:`~catlearn.syntax.model.Sample` box, each ``=`` the
:class:`~catlearn.syntax.model.Prim` boxes of its expression, ``factor`` a
:class:`~catlearn.syntax.model.Score`. The result is built directly as an
open hypergraph, where a wire read twice is a copy and a wire read by nobody
is a discard, so no explicit copies, swaps or discards are needed.

A ``for`` loop becomes a :class:`~catlearn.syntax.model.Plate` (iterations
independent) or a :class:`~catlearn.syntax.model.Scan` when its body reads
``x[t-1]`` of a variable ``x`` it defines: ``x`` is then the state of a Moore
machine, entering as ``x[start-1]``. Loop bodies are diagrams with the wire
layouts fixed in :mod:`catlearn.syntax.model`; what a body reads from outside
becomes a shared wire.

>>> from catlearn.lang.parser import parse_source
>>> src = '''model m(x: Real[N]) {
...     w ~ Normal(0, 1)
...     y ~ Normal(w * x, 1)
... }'''
>>> model = elaborate_model(parse_source(src)[0])
>>> [(s.site, str(s.cod)) for s in model.sites()]
[('w', 'Real'), ('y', 'Real[N]')]
"""
from __future__ import annotations

import difflib
import functools
import inspect
import math
from dataclasses import dataclass, field
from typing import Any, Iterator, Optional

import jax
import numpy as np

from catlearn import distributions
from catlearn.distributions import constraints, densities
from catlearn.distributions.truncated import TRUNCATED, can_truncate, truncated
from catlearn.errors import (CatlearnError, CatlearnTypeError, DistributionError,
                             NotSupportedError, UnknownNameError)
from catlearn.lang import ast
from catlearn.lang.types import INTEGRAL, elaborate_type
from catlearn.primitives import ode, ops
from catlearn.syntax.diagram import Graph
from catlearn.syntax.hypergraph import Hypergraph
from catlearn.syntax.model import (INT, Const, DimExpr, Deterministic, Model, Plate, Prim,
                                   Sample, Scan, Score, simplify)
from catlearn.syntax.ty import Ob, Ty, dim_str

_DEFINING = (ast.Draw, ast.Declare, ast.Let)
#: the types a parameter may be declared with (a flat prior), and their bounds
_DECLARABLE = {"Real": (None, None), "Pos": (0.0, None), "Prob": (0.0, 1.0)}
_DECLARED_BASE = {"Pos": "Pos", "Prob": "Prob"}
#: the constrained types of vectors and matrices a parameter may be declared with:
#: the flat distribution on the set, the type of its values, and whether ``[K]``
#: means a ``K x K`` matrix
_CONSTRAINED = {"ordered": ("FlatOrdered", "Real", False),
                "positive_ordered": ("FlatPositiveOrdered", "Pos", False),
                "Simplex": ("FlatSimplex", "Simplex", False),
                "cholesky_corr": ("FlatCholeskyCorr", "Real", True),
                "cholesky_cov": ("FlatCholeskyCov", "Real", True)}
_MAX_LOOP_DEPTH = 32
#: primitives the language reaches only through their syntax (x[i], <, normal_lpdf)
_NOT_CALLABLE = ops.NOT_BY_NAME + ("log_density",)


# -- the hypergraph under construction ------------------------------------------

@dataclass
class _Builder:
    """Wires and boxes of one diagram (a model, or a loop body)."""

    wires: list = field(default_factory=list)
    boxes: list = field(default_factory=list)
    inputs: list = field(default_factory=list)
    outputs: list = field(default_factory=list)
    random: set = field(default_factory=set)  # wires that depend on a sample site

    def wire(self, ob: Ob, random: bool = False) -> int:
        self.wires.append(ob)
        if random:
            self.random.add(len(self.wires) - 1)
        return len(self.wires) - 1

    def add(self, box, ins: list[int], draws: bool = False) -> list[int]:
        """Box ``box`` on wires ``ins``; its outputs are random when it is a sample
        site, ``draws`` (a loop whose body samples) or it reads a random wire."""
        random = draws or isinstance(box, Sample) or any(w in self.random for w in ins)
        outs = [self.wire(ob, random) for ob in box.cod.objects]
        self.boxes.append(box)
        self.inputs.append(tuple(ins))
        self.outputs.append(tuple(outs))
        return outs

    def type_of(self, wires: list[int]) -> Ty:
        return Ty.of(self.wires[w] for w in wires)

    def diagram(self, dom: list[int], cod: list[int]) -> Graph:
        return Graph(Hypergraph(tuple(self.wires), tuple(self.boxes), tuple(self.inputs),
                                tuple(self.outputs), tuple(dom), tuple(cod)))


# -- what names are bound to ----------------------------------------------------

@dataclass
class _Value:
    """A whole variable: one wire."""

    wire: int


@dataclass
class _Family:
    """A variable defined piecewise: ``x[0]``, ``x[1:T]`` (a loop's output) and,
    inside the loop that defines it, ``current`` (``x[t]`` this iteration)."""

    elements: dict = field(default_factory=dict)   # static index tuple -> wire
    pieces: list = field(default_factory=list)     # (start, stop, wire)
    current: Optional[int] = None


@dataclass
class _Loop:
    var: str
    index: int                 # the wire of the loop variable
    start: DimExpr
    stop: DimExpr
    families: tuple            # names defined as x[var] in the body, in order
    #: the Moore machine's state, key -> (body wire, outer wire); a key is
    #: ``(name, k)`` for ``name[var-k]`` or a name the body assigns (carried)
    state: dict = field(default_factory=dict)
    carried: frozenset = frozenset()  # names defined outside that the body reassigns
    at: dict = field(default_factory=dict)     # name -> the row it writes, x[0, var]


@dataclass
class _Scope:
    """The names visible in one diagram under construction."""

    builder: _Builder
    parent: Optional["_Scope"] = None
    loop: Optional[_Loop] = None
    names: dict = field(default_factory=dict)
    shared: dict = field(default_factory=dict)  # parent wire -> our dom wire

    def loop_vars(self) -> list[str]:
        out, scope = [], self
        while scope is not None:
            if scope.loop is not None:
                out.append(scope.loop.var)
            scope = scope.parent
        return out[::-1]


def _import(wire: int, owner: _Scope, into: _Scope) -> int:
    """The wire of ``into`` carrying ``wire`` of an enclosing scope ``owner``."""
    chain = []
    scope = into
    while scope is not owner:
        chain.append(scope)
        scope = scope.parent
    for scope in reversed(chain):
        if wire not in scope.shared:
            parent = scope.parent.builder
            scope.shared[wire] = scope.builder.wire(parent.wires[wire], wire in parent.random)
        wire = scope.shared[wire]
    return wire


# -- user functions -------------------------------------------------------------

@dataclass(frozen=True)
class Function:
    """A user function ``fn name(params) -> type { ... return e }``.

    It is deterministic and inlined where it is called: its body becomes the
    primitive boxes of the caller's diagram, on the wires of the call's
    arguments, so a function costs nothing at run time and every functor sees
    ordinary boxes. ``params`` and ``result`` are the declared types; a name in
    their shapes (``N`` of ``Real[N]``) is bound by each call to the argument's
    dimension. ``functions`` are those defined before it, the only ones it may
    call (so no function reaches itself: recursion is refused).
    """

    name: str
    params: tuple   # of (name, Ob)
    result: Ob
    node: ast.FnDef = field(repr=False)
    functions: dict = field(repr=False, default_factory=dict)

    @property
    def signature(self) -> str:
        args = ", ".join(f"{name}: {ob}" for name, ob in self.params)
        return f"{self.name}({args}) -> {self.result}"


def elaborate_function(node: ast.FnDef, functions: dict) -> Function:
    """The :class:`Function` of a ``fn`` definition, its body checked once on
    arguments of the declared types."""
    for what, table in (("distribution", distributions.DISTRIBUTIONS),
                        ("built-in function", ops.PRIMITIVES)):
        if node.name in table:
            raise ast.error_at(UnknownNameError, f"fn {node.name}: {node.name} is a {what} "
                               "already; choose another name", node.name_pos)
    params = []
    for param in node.params:
        params.append((param.name, _one_atom(elaborate_type(param.type), param.name,
                                             param.type.pos)))
    result = _one_atom(elaborate_type(node.result), "the result", node.result.pos)
    bound = {d for _, ob in params for d in ob.shape if isinstance(d, str)}
    for d in result.shape:
        if isinstance(d, str) and d not in bound:
            raise ast.error_at(UnknownNameError, f"fn {node.name}: the dimension {d} of the "
                               "result is not a dimension of any argument", node.result.pos)
    if not node.body or not isinstance(node.body[-1], ast.Return):
        raise ast.error_at(CatlearnTypeError, f"fn {node.name} must end with return, as in "
                           "return e", node.pos)
    fn = Function(node.name, tuple(params), result, node, dict(functions))
    builder = _Builder()
    wires = [builder.wire(ob) for _, ob in params]
    _ModelElaborator(node, functions).inline(fn, wires, [p.pos for p in node.params],
                                             node.name_pos, _Scope(builder))
    return fn


def _one_atom(ty: Ty, what: str, pos: ast.Pos) -> Ob:
    if len(ty) != 1:
        raise ast.error_at(CatlearnTypeError, f"{what} must have one type, not the product "
                           f"{ty}", pos)
    return ty.objects[0]


def _fit(declared: Ob, actual: Ob, binding: dict, what: str, pos: ast.Pos) -> None:
    """Check a value of type ``actual`` where ``declared`` is expected, binding the
    declared shape's names; integer types need integers, a real type takes any number."""
    if declared.name in INTEGRAL and actual.name not in INTEGRAL:
        raise ast.error_at(CatlearnTypeError, f"{what} must be {declared}, got {actual}", pos)
    fits = len(declared.shape) == len(actual.shape)
    shown = Ob(declared.name, tuple(binding.get(d, d) for d in declared.shape))
    for d, a in zip(declared.shape, actual.shape):
        if isinstance(d, str) and d not in binding:
            binding[d] = a
        fits = fits and binding.get(d, d) == a
    if not fits:
        raise ast.error_at(CatlearnTypeError, f"{what} must be {shown}, got {actual}", pos)


# -- models ---------------------------------------------------------------------

def elaborate_model(node: ast.ModelDef, functions: Optional[dict] = None) -> Model:
    """The :class:`Model` of a ``model`` definition; ``functions`` are the user
    functions it may call.

    Elaborated twice: the first pass finds the assigned names whose value
    depends on a sample site somewhere (``theta = mu + tau * z``, Stan's
    transformed parameters), the second reports every piece of those
    (:class:`~catlearn.syntax.model.Deterministic`), so that ``x[0] = 0``
    before a loop computing ``x[t]`` from a parameter is reported with it.
    Assignments of data alone are constants, not reported."""
    first = _ModelElaborator(node, functions or {}, reported=None)
    first.run()
    return _ModelElaborator(node, functions or {}, reported=first.random_lets).run()


class _ModelElaborator:
    def __init__(self, node: Any, functions: dict, reported: Optional[set] = None):
        self.node = node
        self.functions = functions
        self.reported = reported          # names to report; None: find them
        self.random_lets: set[str] = set()
        self.definitions: dict[str, ast.Pos] = {}
        for stmt in _walk_statements(node.body):
            if isinstance(stmt, _DEFINING):
                self.definitions.setdefault(stmt.target.name, stmt.target.pos)
        self.top = _Scope(_Builder())
        self.dims: set[str] = set()
        self.shape_dims: set[str] = set()  # symbols of the arguments' shapes (x: Real[N])
        self.family_reads: dict[int, int] = {}  # subscript node -> its wire, between passes
        self.declared: dict[str, _Scope] = {}  # parameters declared whole, and where

    def run(self) -> Model:
        args, dom = [], []
        for param in self.node.params:
            ty = elaborate_type(param.type)
            if len(ty) != 1:
                raise ast.error_at(CatlearnTypeError, f"argument {param.name} must have one "
                                   f"type, not the product {ty}", param.type.pos)
            self._define(self.top, param.name, param.pos, _Value(self.top.builder.wire(ty.objects[0])))
            if ty.objects[0].name in INTEGRAL and not ty.objects[0].shape:
                self.dims.add(param.name)
            self.shape_dims.update(d for d in ty.objects[0].shape if isinstance(d, str))
            args.append((param.name, ty))
            dom.append(self.top.names[param.name].wire)
        returns, cod = [], []
        for i, stmt in enumerate(self.node.body):
            if isinstance(stmt, ast.Return):
                if i != len(self.node.body) - 1:
                    raise ast.error_at(CatlearnTypeError, "return must be the last statement "
                                       "of the model", stmt.pos)
                cod = [self.expr(e, self.top) for e in stmt.exprs]
                returns = [e.id if isinstance(e, ast.Name) else f"return_{k}"
                           for k, e in enumerate(stmt.exprs)]
            else:
                self.statement(stmt, self.top, 0)
        return Model(self.node.name, args, self.top.builder.diagram(dom, cod), returns)

    # -- statements
    def statement(self, stmt: Any, scope: _Scope, depth: int) -> None:
        if isinstance(stmt, ast.Draw):
            self.draw(stmt, scope)
        elif isinstance(stmt, ast.Declare):
            self.declare(stmt, scope)
        elif isinstance(stmt, ast.Let):
            wire = self.expr(stmt.expr, scope)
            self.report(stmt.target, wire, scope)
            self.bind(stmt.target, wire, scope, sampled=False)
        elif isinstance(stmt, ast.Factor):
            wire = self.expr(stmt.expr, scope)
            scope.builder.add(Score(scope.builder.type_of([wire])), [wire])
        elif isinstance(stmt, ast.Loop):
            self.loop(stmt, scope, depth + 1)
        else:  # a return inside a loop
            raise ast.error_at(CatlearnTypeError, "return must be the last statement of the "
                               "model, outside any loop", stmt.pos)

    def draw(self, stmt: ast.Draw, scope: _Scope) -> None:
        if self.on_declared(stmt.target, scope):
            return self.draw_on_declared(stmt, scope)
        if stmt.dist == TRUNCATED:
            return self.draw_truncated(stmt, scope)
        cls = _distribution(stmt)
        try:
            bound = cls.bind_args(stmt.args, {k: v for k, v, _ in stmt.kwargs})
        except CatlearnError as err:
            raise ast.error_at(CatlearnTypeError, err.message, stmt.dist_pos) from None
        for name, e in bound.items():  # numbers written here are refused here
            literal = _literal(e)
            if literal is not None:
                try:
                    cls.check_param(name, literal)
                except DistributionError as err:
                    raise ast.error_at(DistributionError, err.message, e.pos) from None
        wires = [self.expr(e, scope) for e in bound.values()]
        value = _sample_type(cls, list(bound), scope.builder.type_of(wires), stmt.dist_pos)
        target = stmt.target
        static = self.target_index(target, scope)
        box = Sample(target.name, stmt.dist, scope.builder.type_of(wires), Ty.of([value]),
                     index=static)
        (out,) = scope.builder.add(box, wires)
        self.bind(target, out, scope, sampled=True)

    def draw_truncated(self, stmt: ast.Draw, scope: _Scope) -> None:
        """``y ~ Truncated(Normal(mu, s), lower = a, upper = b)``: Stan's
        ``normal(mu, s) T[a, b]``, a site of the family ``Truncated(Normal)``
        whose parameters are the base's, then the bounds (infinite if absent)."""
        usage = f"write {stmt.target.name} ~ Truncated(Normal(...), lower = ..., upper = ...)"
        if len(stmt.args) != 1 or not isinstance(stmt.args[0], ast.Call) \
                or stmt.args[0].func not in distributions.DISTRIBUTIONS:
            raise ast.error_at(CatlearnTypeError, f"Truncated takes one distribution and its "
                               f"bounds by name: {usage}", stmt.dist_pos)
        inner = stmt.args[0]
        base = distributions.DISTRIBUTIONS[inner.func]
        if not can_truncate(base):
            why = "discrete" if base.is_discrete else "without a cumulative distribution " \
                                                      "function in catlearn"
            raise ast.error_at(NotSupportedError, f"not supported yet: truncating "
                               f"{inner.func}, {why}", inner.pos)
        bounds = {"lower": None, "upper": None}
        for key, value, pos in stmt.kwargs:
            _known_bound(key, bounds, "Truncated", pos)
            bounds[key] = value
        if bounds == {"lower": None, "upper": None}:
            raise ast.error_at(CatlearnTypeError, f"Truncated needs a bound: {usage}",
                               stmt.dist_pos)
        try:
            bound = base.bind_args(inner.args, {k: v for k, v, _ in inner.kwargs})
        except CatlearnError as err:
            raise ast.error_at(CatlearnTypeError, err.message, inner.pos) from None
        b = scope.builder
        wires = [self.expr(e, scope) for e in bound.values()]
        for value, infinite in zip(bounds.values(), (-math.inf, math.inf)):
            wires.append(b.add(Const(infinite), [])[0] if value is None
                         else self.expr(value, scope))
        cls = truncated(base)
        value = _sample_type(cls, list(cls.arg_names), b.type_of(wires), stmt.dist_pos)
        box = Sample(stmt.target.name, cls.name, b.type_of(wires), Ty.of([value]),
                     index=self.target_index(stmt.target, scope))
        (out,) = b.add(box, wires)
        self.bind(stmt.target, out, scope, sampled=True)

    def on_declared(self, target: ast.Target, scope: _Scope) -> bool:
        """Whether ``target`` (``c`` or ``c[k]``) names a parameter declared whole
        before (``c : ordered[K]``), the one the scope sees."""
        owner = self.declared.get(target.name)
        return owner is not None and self._lookup(target.name, scope)[0] is owner

    def draw_on_declared(self, stmt: ast.Draw, scope: _Scope) -> None:
        """Stan's ``ordered[K] c; c ~ normal(0, 5);``: a draw on a declared parameter
        adds the distribution's log density at it to the model's (``factor(
        normal_lpdf(c, 0, 5))``), as Stan's ``~`` adds to ``target``; ``c[k] ~ ...``
        adds it at one element."""
        target = stmt.target
        if stmt.dist == TRUNCATED:
            raise ast.error_at(NotSupportedError, f"not supported yet: a truncated "
                               f"distribution on the declared parameter {target.name}",
                               stmt.dist_pos)
        cls = _distribution(stmt)
        if cls.is_discrete or not cls.is_proper:
            raise ast.error_at(CatlearnTypeError, f"{target.name} is a declared parameter: "
                               "the distribution put on it must be a proper one of "
                               f"continuous values, not {stmt.dist}", stmt.dist_pos)
        try:
            bound = cls.bind_args(stmt.args, {k: v for k, v, _ in stmt.kwargs})
        except CatlearnError as err:
            raise ast.error_at(CatlearnTypeError, err.message, stmt.dist_pos) from None
        value = ast.Name(target.name, target.pos)
        if target.indices:
            value = ast.Subscript(value, target.indices, target.pos)
        density = ast.Call(densities.function_name(stmt.dist), (value, *bound.values()), (),
                           stmt.dist_pos)
        self.statement(ast.Factor(density, stmt.pos), scope, 0)

    def declare(self, stmt: ast.Declare, scope: _Scope) -> None:
        """``x : Real[K](lower = a, upper = b)``: a site with the flat prior on the
        declared set, as a parameter declared in Stan with no statement about it."""
        atom, name = stmt.type, stmt.target.name
        if not stmt.target.indices:
            self.declared[name] = scope
        for d in atom.dims:
            if isinstance(d, str) and d not in self.dims | self.shape_dims:
                raise ast.error_at(UnknownNameError, f"{name} : {atom.name}[...]: the "
                                   f"dimension {d} is neither a number nor a dimension of "
                                   "the model's arguments", atom.pos)
        if atom.name in _CONSTRAINED:
            self.declare_constrained(stmt, scope)
            return
        if atom.name not in _DECLARABLE:
            if atom.name in INTEGRAL:
                raise ast.error_at(CatlearnTypeError, f"{name} : {atom.name}: only continuous "
                                   "parameters (Real, Pos, Prob) can be declared without a "
                                   f"distribution; draw a discrete one, as in {name} ~ "
                                   "Poisson(...)", atom.pos)
            known = [*_DECLARABLE, *_CONSTRAINED]
            close = difflib.get_close_matches(atom.name, known, n=1)
            hint = f"; did you mean '{close[0]}'?" if close else ""
            raise ast.error_at(UnknownNameError, f"{name} : {atom.name}: unknown type"
                               f"{hint} (a parameter is declared {', '.join(known)})",
                               atom.pos)
        bounds = dict(zip(("lower", "upper"), _DECLARABLE[atom.name]))
        for key, value, pos in stmt.kwargs:
            _known_bound(key, bounds, "a declaration", pos)
            if atom.name != "Real":
                raise ast.error_at(CatlearnTypeError, f"{atom.name} has its bounds already; "
                                   f"bounds go on Real, as in {name} : Real({key} = ...)", pos)
            bounds[key] = value
        shape = tuple(atom.dims)
        b = scope.builder
        wires = []
        for key, default in zip(("lower", "upper"), (-math.inf, math.inf)):
            bound = default if bounds[key] is None else bounds[key]
            written = not isinstance(bound, float)  # an expression of the program
            wire = self.expr(bound, scope) if written else b.add(Const(bound), [])[0]
            if b.wires[wire].shape != shape:
                wire = self.prim("broadcast_to", [wire], {"shape": shape},
                                 bound.pos if written else atom.pos, scope)
            wires.append(wire)
        value = Ob(_DECLARED_BASE.get(atom.name, "Real"), shape)
        box = Sample(name, "Flat", b.type_of(wires), Ty.of([value]),
                     index=self.target_index(stmt.target, scope))
        (out,) = b.add(box, wires)
        self.bind(stmt.target, out, scope, sampled=True)

    def declare_constrained(self, stmt: ast.Declare, scope: _Scope) -> None:
        """``x : ordered[K]`` (``positive_ordered``, ``Simplex``, ``cholesky_corr``,
        ``cholesky_cov``): a site with the flat prior on that set, moved in the
        chart of the set's bijector."""
        atom, name = stmt.type, stmt.target.name
        dist, base, square = _CONSTRAINED[atom.name]
        if stmt.kwargs:
            raise ast.error_at(CatlearnTypeError, f"{atom.name} takes no bounds",
                               stmt.kwargs[0][2])
        if len(atom.dims) != 1:
            raise ast.error_at(CatlearnTypeError, f"{name} : {atom.name}[K]: give one size K"
                               f"{' (a K x K matrix)' if square else ''}, not "
                               f"{len(atom.dims)}", atom.pos)
        shape = tuple(atom.dims) * (2 if square else 1)
        b = scope.builder
        template = self.prim("broadcast_to", b.add(Const(0.0), []), {"shape": shape},
                             atom.pos, scope)
        box = Sample(name, dist, b.type_of([template]), Ty.of([Ob(base, shape)]),
                     index=self.target_index(stmt.target, scope))
        (out,) = b.add(box, [template])
        self.bind(stmt.target, out, scope, sampled=True)

    def report(self, target: ast.Target, wire: int, scope: _Scope) -> None:
        """``name = expr`` as a reported value: assignments at the top level and
        ones in loops indexed by every loop variable (``theta[j] = ...``). A name
        in a loop indexed by fewer (or none) is local to one iteration of an outer
        loop, as a Stan local variable; a name starting with ``_`` is never reported."""
        if target.name.startswith("_"):
            return  # a name the writer keeps to the model (and the Python tracer's _k)
        if scope.loop is not None:
            names = [i.id if isinstance(i, ast.Name) else None for i in target.indices]
            if names != scope.loop_vars():
                return
        index = self.target_index(target, scope)
        if self.reported is None:
            if wire in scope.builder.random:
                self.random_lets.add(target.name)
        elif target.name in self.reported:
            scope.builder.add(Deterministic(target.name, scope.builder.type_of([wire]), index),
                              [wire])

    def target_index(self, target: ast.Target, scope: _Scope) -> tuple:
        """The static index of a top-level ``x[0]``; ``()`` otherwise (checked)."""
        loop_vars = scope.loop_vars()
        if not loop_vars:
            if not all(isinstance(i, ast.Num) and isinstance(i.value, int)
                       for i in target.indices):
                raise ast.error_at(CatlearnTypeError, f"outside a loop, {target.name} can "
                                   "only be indexed by whole numbers, as in "
                                   f"{target.name}[0]", target.pos)
            return tuple(i.value for i in target.indices)
        names = [i.id if isinstance(i, ast.Name) else None for i in target.indices]
        row = len(names) - len(loop_vars)
        prefix = tuple(_static_int(i) for i in target.indices[:max(row, 0)])
        if target.indices and (names[max(row, 0):] != loop_vars or None in prefix):
            raise ast.error_at(CatlearnTypeError, f"inside the loop over {loop_vars[-1]}, "
                               f"define {target.name}[{', '.join(loop_vars)}] (indexed by "
                               "the loop variables, after whole numbers for one row, as in "
                               f"{target.name}[0, {', '.join(loop_vars)}])", target.pos)
        if prefix:
            self.write_row(target, prefix, scope)
        return ()

    def write_row(self, target: ast.Target, prefix: tuple, scope: _Scope) -> None:
        """``y[0, k]``: the outermost loop writes its family ``y`` at ``y[0]``."""
        while scope.parent.loop is not None:
            scope = scope.parent
        if scope.loop.at.setdefault(target.name, prefix) != prefix:
            shown = ", ".join(map(str, scope.loop.at[target.name]))
            raise ast.error_at(CatlearnTypeError, f"the loop over {scope.loop.var} writes "
                               f"{target.name}[{shown}, ...] already; one loop writes one "
                               "row of a family", target.pos)

    def bind(self, target: ast.Target, wire: int, scope: _Scope, sampled: bool) -> None:
        if not target.indices:
            if scope.loop is not None and sampled:
                var = scope.loop.var
                raise ast.error_at(CatlearnTypeError, f"a sample site inside the loop over "
                                   f"{var} needs the loop's index: write "
                                   f"{target.name}[{var}] ~ ...", target.pos)
            if scope.loop is not None and target.name in scope.loop.carried:
                scope.names[target.name] = _Value(wire)  # the state's new value
                return
            self._define(scope, target.name, target.pos, _Value(wire))
            return
        if scope.loop is not None:
            family = scope.names[target.name]
            if family.current is not None:
                raise ast.error_at(UnknownNameError, f"{target.name}[{scope.loop.var}] is "
                                   "defined twice", target.pos)
            family.current = wire
            return
        key = tuple(i.value for i in target.indices)
        family = scope.names.setdefault(target.name, _Family())
        if not isinstance(family, _Family) or key in family.elements:
            raise ast.error_at(UnknownNameError, f"{target.name} is defined twice", target.pos)
        family.elements[key] = wire

    def _define(self, scope: _Scope, name: str, pos: ast.Pos, binding: Any) -> None:
        if name in scope.names:
            raise ast.error_at(UnknownNameError, f"{name} is defined twice", pos)
        scope.names[name] = binding

    # -- loops
    def loop(self, stmt: ast.Loop, outer: _Scope, depth: int) -> None:
        if depth > _MAX_LOOP_DEPTH:
            raise ast.error_at(NotSupportedError, f"not supported yet: loops nested more "
                               f"than {_MAX_LOOP_DEPTH} deep", stmt.pos)
        if stmt.var in outer.loop_vars() or self._lookup(stmt.var, outer)[1] is not None:
            raise ast.error_at(UnknownNameError, f"the loop variable {stmt.var} is already "
                               "defined", stmt.var_pos)
        start = 0 if stmt.start is None else self.dim(stmt.start)
        stop = self.dim(stmt.stop)
        families = []
        for inner in _walk_statements(stmt.body):
            if isinstance(inner, _DEFINING) and inner.target.indices \
                    and inner.target.name not in families \
                    and not (isinstance(inner, ast.Draw) and self.on_declared(inner.target, outer)):
                families.append(inner.target.name)
        body = _Builder()
        index = body.wire(INT.objects[0])
        carried = self.carried(stmt, outer)
        scope = _Scope(body, outer, _Loop(stmt.var, index, start, stop, tuple(families),
                                          carried=frozenset(carried)))
        scope.names[stmt.var] = _Value(index)
        for name in families:
            scope.names[name] = _Family()
        for name, outer_wire in carried.items():  # enters as its value before the loop
            inner = body.wire(outer.builder.wires[outer_wire], random=True)
            scope.loop.state[name] = (inner, outer_wire)
            scope.names[name] = _Value(inner)
        for inner in stmt.body:
            self.statement(inner, scope, depth)
        outputs = [scope.names[name].current for name in families]
        missing = [n for n, w in zip(families, outputs) if w is None]
        if missing:  # defined only in a loop nested inside that never ran: impossible
            raise ast.error_at(CatlearnTypeError, f"{missing[0]} is not defined in the loop "
                               f"over {stmt.var}", stmt.pos)
        state = scope.loop.state
        shared_outer, shared_inner = list(scope.shared), list(scope.shared.values())
        state_in = [inner for inner, _ in state.values()]
        state_out = [_next_state(key, scope) for key in state]
        for key, (inner, _), out in zip(state, state.values(), state_out):
            if body.wires[inner] != body.wires[out]:
                shown = key if isinstance(key, str) else f"{key[0]}[{stmt.var}]"
                hint = " (write its first value as a real number, as in 0.0)" if \
                    body.wires[inner].name in INTEGRAL else ""
                raise ast.error_at(CatlearnTypeError, f"the state {_show_key(key, stmt.var)} of the "
                                   f"loop over {stmt.var} changes type: it enters as "
                                   f"{body.wires[inner]} and {shown} is {body.wires[out]}"
                                   f"{hint}", stmt.pos)
        diagram = body.diagram([index] + state_in + shared_inner, state_out + outputs)
        at = tuple(scope.loop.at.items())
        if state:
            box = Scan(diagram, stmt.var, start, stop, len(state), at)
        else:
            box = Plate(diagram, stmt.var, start, stop, at)
        draws = any(isinstance(inner, (ast.Draw, ast.Declare))
                    for inner in _walk_statements(stmt.body))
        outs = outer.builder.add(box, [outer_wire for _, outer_wire in state.values()]
                                 + shared_outer, draws=draws)
        for key, final in zip(state, outs):
            if isinstance(key, str):  # a carried name: its value after the last iteration
                outer.names[key] = _Value(final)
        for name, wire in zip(families, outs[len(state):]):
            if outer.loop is not None:
                outer.names[name].current = wire
            else:
                family = outer.names.setdefault(name, _Family())
                if not isinstance(family, _Family):
                    raise ast.error_at(UnknownNameError, f"{name} is defined twice",
                                       self.definitions.get(name, stmt.pos))
                row = scope.loop.at.get(name)
                if row in family.elements:
                    raise ast.error_at(UnknownNameError, f"{name}[{', '.join(map(str, row))}]"
                                       " is defined twice", stmt.pos)
                if row:
                    family.elements[row] = wire
                else:
                    family.pieces.append((start, stop, wire))

    def carried(self, stmt: ast.Loop, outer: _Scope) -> dict:
        """The names defined before the loop that its body (or a loop inside it)
        reassigns, as Stan's ``acc = acc + x[t]``: each is a state of the loop,
        entering with its value before it; the wires of those values."""
        carried = {}
        for inner in _walk_statements(stmt.body):
            if isinstance(inner, ast.Let) and not inner.target.indices:
                owner, binding = self._lookup(inner.target.name, outer)
                if isinstance(binding, _Value) and inner.target.name != stmt.var:
                    carried[inner.target.name] = _import(binding.wire, owner, outer)
        return carried

    def dim(self, node: Any) -> DimExpr:
        """A loop bound: a whole number, an integer argument, or ``+ - *`` of those."""
        def visit(n, kids):
            if isinstance(n, ast.Num) and isinstance(n.value, int):
                return n.value
            if isinstance(n, ast.Name) and n.id in self.dims:
                return n.id
            if isinstance(n, ast.BinOp) and n.op in "+-*" and len(n.op) == 1:
                a, b = kids
                if isinstance(a, int) and isinstance(b, int):
                    return {"+": a + b, "-": a - b, "*": a * b}[n.op]
                return (n.op, a, b)
            raise ast.error_at(CatlearnTypeError, "a range bound must be a whole number or "
                               "an integer argument of the model (Nat or Int)", n.pos)
        return ast.postorder(node, visit,
                             lambda n: n.kids() if isinstance(n, ast.BinOp) else ())

    # -- expressions
    def expr(self, node: Any, scope: _Scope) -> int:
        """Elaborate an expression; the result is the wire carrying its value."""
        return ast.postorder(node, lambda n, kids: self.visit(n, kids, scope),
                             lambda n: self.kids(n, scope))

    def kids(self, node: Any, scope: _Scope) -> tuple:
        if isinstance(node, ast.Subscript):
            wire = self._family_read(node, scope)
            if wire is not None:
                self.family_reads[id(node)] = wire
                return ()
        if isinstance(node, ast.Call) and node.func in ode.SOLVERS:
            return node.args[1:]  # the first names the function
        if isinstance(node, ast.Call):
            return node.args  # keyword arguments are static options
        if isinstance(node, ast.Neg) and isinstance(node.operand, ast.Num):
            return ()  # a negative literal
        if isinstance(node, ast.Subscript):  # slices and whole numbers are static
            return (node.target,) + tuple(i for i in node.indices
                                          if not isinstance(i, ast.Slice)
                                          and _static_int(i) is None)
        return node.kids()

    def visit(self, node: Any, kids: list, scope: _Scope) -> int:
        b = scope.builder
        if isinstance(node, ast.Num):
            base = "Int" if isinstance(node.value, int) else "Real"
            return b.add(Const(node.value, Ty(base)), [])[0]
        if isinstance(node, ast.Name):
            return self.name(node, scope)
        if isinstance(node, ast.BinOp):
            return self.prim(ops.OPERATORS[node.op], kids, {}, node.pos, scope)
        if isinstance(node, ast.Neg) and not kids:
            value = -node.operand.value
            return b.add(Const(value, Ty("Int" if isinstance(value, int) else "Real")), [])[0]
        if isinstance(node, ast.Neg):
            return self.prim("neg", kids, {}, node.pos, scope)
        if isinstance(node, ast.Call):
            return self.call(node, kids, scope)
        if isinstance(node, ast.Subscript):
            return self.subscript(node, kids, scope)
        if isinstance(node, ast.Attr):
            raise ast.error_at(CatlearnTypeError, f"'.{node.name}': a model cannot read "
                               "attributes; pass data columns such as d.x as arguments",
                               node.pos)
        if isinstance(node, ast.ListExpr):  # [a, b, ...]: a vector (or a stack of arrays)
            return self.prim("stack", kids, {}, node.pos, scope)
        what = {ast.Str: "a string", ast.Slice: "a slice"}[type(node)]
        raise ast.error_at(CatlearnTypeError, f"{what} cannot be used inside a model; "
                           "pass it as an argument", node.pos)

    def prim(self, op: str, wires: list[int], options: dict, pos: ast.Pos,
             scope: _Scope) -> int:
        b = scope.builder
        obs = [b.wires[w] for w in wires]
        prim = ops.PRIMITIVES[op]
        try:
            shape = prim.shape([ob.shape for ob in obs], options)
        except CatlearnError as err:
            raise ast.error_at(type(err), err.message, pos) from None
        except (IndexError, ValueError, TypeError):
            shown = ", ".join(str(ob) for ob in obs)
            raise ast.error_at(CatlearnTypeError, f"{op} cannot take {shown}", pos) from None
        integral = obs and all(ob.name in INTEGRAL for ob in obs)
        if op in ops.INDEXING:
            base = obs[0].name
        elif op in ops.COMPARISONS:
            base = "Bool"
        elif op == "where":  # the type of its two branches
            base = "Int" if all(ob.name in INTEGRAL for ob in obs[1:]) else "Real"
        elif op in ("add", "sub", "mul", "neg") and integral:
            base = "Int"
        else:
            base = "Real"
        cod = Ty.of([Ob(base, tuple(shape))])
        return b.add(Prim(op, b.type_of(wires), cod, **options), wires)[0]

    def call(self, node: ast.Call, wires: list[int], scope: _Scope) -> int:
        if node.func in ode.SOLVERS:
            return self.ode(node, wires, scope)
        if node.func in self.functions:
            if node.kwargs:
                raise ast.error_at(CatlearnTypeError, f"{node.func} takes its arguments by "
                                   "position, not by name", node.kwargs[0][2])
            return self.inline(self.functions[node.func], wires,
                               [a.pos for a in node.args], node.pos, scope)
        if isinstance(self.node, ast.FnDef) and node.func == self.node.name:
            raise ast.error_at(NotSupportedError, f"not supported: {node.func} calls itself; "
                               "a function cannot be recursive (functions are inlined where "
                               "they are called)", node.pos)
        try:
            dist = densities.density_of(node.func)
        except CatlearnError as err:
            raise ast.error_at(type(err), err.message, node.pos) from None
        if dist is not None:
            return self.log_density(node, dist, wires, scope)
        if node.func not in ops.PRIMITIVES or node.func in _NOT_CALLABLE:
            if node.func in distributions.DISTRIBUTIONS:
                raise ast.error_at(CatlearnTypeError, f"{node.func} is a distribution: draw "
                                   f"from it with ~, as in x ~ {node.func}(...)", node.pos)
            callable_ = [k for k in ops.PRIMITIVES if k not in _NOT_CALLABLE] + list(
                self.functions)
            close = difflib.get_close_matches(node.func, callable_, n=1)
            hint = f"; did you mean '{close[0]}'?" if close else ""
            raise ast.error_at(UnknownNameError, f"unknown function '{node.func}'{hint}",
                               node.pos)
        prim = ops.PRIMITIVES[node.func]
        options = {}
        for name, value, pos in node.kwargs:
            if not (isinstance(value, ast.Num) and isinstance(value.value, int)):
                raise ast.error_at(CatlearnTypeError, f"{node.func}: the option {name} must "
                                   "be a whole number", pos)
            options[name] = value.value
        if prim.arity == 0 and len(wires) == 1:  # eye(n): the size is static
            options["n"] = self.dim(node.args[0])
            wires = []
        if prim.arity is not None and len(wires) != prim.arity:
            raise ast.error_at(CatlearnTypeError, f"{node.func} takes {prim.arity} "
                               f"argument{'s' if prim.arity != 1 else ''}, got {len(wires)}",
                               node.pos)
        return self.prim(node.func, wires, options, node.pos, scope)

    def ode(self, node: ast.Call, wires: list[int], scope: _Scope) -> int:
        """``ode(f, y0, t0, ts, args…)``: the solution of ``y' = f(t, y, args…)``,
        a primitive box carrying ``f``'s body as a diagram ``t, y, args -> y'``."""
        usage = f"{node.func}(f, y0, t0, ts, args...)"
        first = node.args[0] if node.args else None
        if not isinstance(first, ast.Name) or first.id not in self.functions:
            close = difflib.get_close_matches(first.id, self.functions, n=1) \
                if isinstance(first, ast.Name) else []
            hint = f"; did you mean '{close[0]}'?" if close else ""
            raise ast.error_at(UnknownNameError, f"{usage}: f must name a fn defined before, "
                               f"as in fn f(t: Real, y: Real[N], theta: Real[K]) -> "
                               f"Real[N]{hint}", first.pos if first else node.pos)
        if len(wires) < 3:
            raise ast.error_at(CatlearnTypeError, f"{usage} takes at least 4 arguments, got "
                               f"{len(node.args)}", node.pos)
        try:
            ode.require_solver()
        except CatlearnError as err:
            raise ast.error_at(type(err), err.message, node.pos) from None
        fn, b = self.functions[first.id], scope.builder
        y0, args = b.wires[wires[0]], [b.wires[w] for w in wires[3:]]
        rhs = _Builder()
        inputs = [rhs.wire(Ob("Real")), rhs.wire(Ob("Real", y0.shape))]
        inputs += [rhs.wire(ob) for ob in args]
        at = [first.pos, node.args[1].pos] + [a.pos for a in node.args[4:]]
        out = self.inline(fn, inputs, at, first.pos, _Scope(rhs))
        if rhs.wires[out].shape != y0.shape:
            raise ast.error_at(CatlearnTypeError, f"{usage}: {fn.name} gives "
                               f"{rhs.wires[out]}, the derivative of y0 must be of y0's "
                               f"shape {y0}", first.pos)
        options = {"rhs": rhs.diagram(inputs, [out])}
        for name, value, pos in node.kwargs:  # rtol = 1e-5, …: static numbers
            number = value.value if isinstance(value, ast.Num) else None
            problem = ode.check_option(name, number) if number is not None else \
                f"the option {name} must be a number written out, as in {name} = 1e-6"
            if problem:
                raise ast.error_at(CatlearnTypeError, f"{usage}: {problem}", pos)
            options[name] = number
        return self.prim(node.func, wires, options, node.pos, scope)

    def inline(self, fn: Function, wires: list[int], at: list, pos: ast.Pos,
               scope: _Scope) -> int:
        """The wire of ``fn``'s result on the argument ``wires`` of ``scope``: its
        body elaborated in a scope that sees its arguments only."""
        if len(wires) != len(fn.params):
            raise ast.error_at(CatlearnTypeError, f"{fn.name} takes {len(fn.params)} "
                               f"argument{'s' if len(fn.params) != 1 else ''}, got "
                               f"{len(wires)} ({fn.signature})", pos)
        binding: dict = {}
        inner = _Scope(scope.builder)
        for (name, declared), wire, where in zip(fn.params, wires, at):
            _fit(declared, scope.builder.wires[wire], binding,
                 f"{fn.name}: the argument {name}", where)
            inner.names[name] = _Value(wire)
        body = _ModelElaborator(fn.node, fn.functions)
        *stmts, ret = fn.node.body
        for stmt in stmts:
            if isinstance(stmt, (ast.Draw, ast.Declare, ast.Factor)):
                raise ast.error_at(CatlearnTypeError, f"fn {fn.name} is deterministic: draw "
                                   "and factor belong in the model, which can pass the value "
                                   "as an argument", stmt.pos)
            if not isinstance(stmt, ast.Let):
                raise ast.error_at(NotSupportedError, f"not supported yet: "
                                   f"{'a loop' if isinstance(stmt, ast.Loop) else 'return'} "
                                   f"inside fn {fn.name} before its last statement", stmt.pos)
            body.statement(stmt, inner, 0)
        if len(ret.exprs) != 1:
            raise ast.error_at(CatlearnTypeError, f"fn {fn.name} returns one value",
                               ret.exprs[1].pos)
        out = body.expr(ret.exprs[0], inner)
        _fit(fn.result, scope.builder.wires[out], binding, f"{fn.name}: the result",
             ret.pos)
        return out

    def log_density(self, node: ast.Call, dist: str, wires: list[int], scope: _Scope) -> int:
        """``normal_lpdf(y, mu, sigma)``: the parameters must broadcast as in a
        draw from the distribution, and ``y`` with the value such a draw has."""
        cls = distributions.DISTRIBUTIONS[dist]
        if len(wires) != 1 + len(cls.arg_names) or node.kwargs:
            raise ast.error_at(CatlearnTypeError, f"{node.func} takes {1 + len(cls.arg_names)} "
                               f"arguments ({', '.join(('y',) + cls.arg_names)}), got "
                               f"{len(wires)}{' and keywords' if node.kwargs else ''}",
                               node.pos)
        b = scope.builder
        params = b.type_of(wires[1:])
        value = _sample_type(cls, list(cls.arg_names), params, node.pos)
        y = b.wires[wires[0]]
        try:
            ops.broadcast([tuple(y.shape), tuple(value.shape)], node.func)
        except CatlearnError:
            raise ast.error_at(CatlearnTypeError, f"{node.func}: y of type {y} does not "
                               f"match the values of {dist} with these parameters ({value})",
                               node.args[0].pos) from None
        return b.add(Prim("log_density", b.type_of(wires), Ty("Real"), dist=dist), wires)[0]

    def subscript(self, node: ast.Subscript, kids: list, scope: _Scope) -> int:
        if id(node) in self.family_reads:
            return self.family_reads.pop(id(node))
        array, *indices = kids
        self.check_loop_indices(node, scope.builder.wires[array], scope)
        dynamic = [i for i in node.indices if not isinstance(i, ast.Slice)
                   and _static_int(i) is None]
        for wire, index in zip(indices, dynamic):
            ob = scope.builder.wires[wire]
            if ob.name not in INTEGRAL:
                raise ast.error_at(CatlearnTypeError, f"an index must be an integer or an "
                                   f"array of integers, not {ob}", index.pos)
        if not any(isinstance(i, ast.Slice) for i in node.indices) and not any(
                scope.builder.wires[w].shape for w in indices):
            static = tuple(_static_int(i) for i in node.indices if _static_int(i) is not None)
            if len(static) == len(node.indices) or not static:
                return self.prim("index", kids, {"static": static} if static else {},
                                 node.pos, scope)
        axes = tuple((self.slice_bound(i.start), self.slice_bound(i.stop))
                     if isinstance(i, ast.Slice) else _static_int(i) for i in node.indices)
        return self.prim("subscript", kids, {"axes": axes}, node.pos, scope)

    def check_loop_indices(self, node: ast.Subscript, array: Ob, scope: _Scope) -> None:
        """Refuse ``x[j + c]`` that leaves ``x`` at the first or last ``j`` of its loop,
        where that follows from the shapes whatever the model's arguments (JAX would
        read a neighbour instead; an index only the data decide reads NaN)."""
        for axis, index in enumerate(node.indices[:len(array.shape)]):
            offset = _loop_offset(index)
            loop = offset and next((s.loop for s in _scopes(scope) if s.loop is not None
                                    and s.loop.var == offset[0]), None)
            if not loop:
                continue
            var, c = offset
            first, last = ("+", loop.start, c), ("+", ("-", loop.stop, 1), c)
            length = array.shape[axis]
            where = node.target.id if isinstance(node.target, ast.Name) else "the array"
            if _always_negative(("-", first, 0)):
                reach, at = first, "first"
            elif _always_negative(("-", ("-", length, 1), last)):
                reach, at = last, "last"
            else:
                continue
            raise ast.error_at(CatlearnTypeError, f"index {_written(index)} is "
                               f"{_linear_str(reach)} at the loop's {at} {var}, out of "
                               f"range for axis {axis} of {where} (length {dim_str(length)})",
                               index.pos)

    def slice_bound(self, bound: Any) -> Optional[DimExpr]:
        """A bound of ``a[i:j]``: absent, a whole number, or a dimension (``a[0:K]``)."""
        if bound is None:
            return None
        try:
            return simplify(self.dim(bound))
        except CatlearnTypeError:
            raise ast.error_at(CatlearnTypeError, "slice bounds must be whole numbers or "
                               "integer arguments of the model (Nat or Int), or + - * of "
                               "those", bound.pos) from None

    # -- names
    def _lookup(self, name: str, scope: _Scope) -> tuple[Optional[_Scope], Any]:
        while scope is not None:
            if name in scope.names:
                return scope, scope.names[name]
            scope = scope.parent
        return None, None

    def name(self, node: ast.Name, scope: _Scope) -> int:
        owner, binding = self._lookup(node.id, scope)
        if isinstance(binding, _Value):
            return _import(binding.wire, owner, scope)
        if isinstance(binding, _Family):
            if _whole(binding):
                return _import(binding.pieces[0][2], owner, scope)
            parts = _parts(binding)
            if parts is not None:  # x[0], x[1:T]: joined along the first axis
                wires = [wire for wire, _, _ in parts]
                options = {"single": tuple(single for _, single, _ in parts),
                           "length": parts[-1][2]}
                whole = self.prim("concat", wires, options, node.pos, owner)
                return _import(whole, owner, scope)
            raise ast.error_at(NotSupportedError, f"not supported yet: using {node.id} as a "
                               f"whole, since it is defined piece by piece and its pieces "
                               f"do not cover 0, 1, ... in order; index it, as in "
                               f"{node.id}[0]", node.pos)
        raise self.unknown(node.id, node.pos, scope)

    def unknown(self, name: str, pos: ast.Pos, scope: _Scope) -> CatlearnError:
        if name in self.definitions:
            line = self.definitions[name][0]
            if line < pos[0]:
                return ast.error_at(UnknownNameError, f"{name} (defined on line {line}) is "
                                    "local to a loop and not visible here", pos)
            return ast.error_at(UnknownNameError, f"{name} is used before it is defined "
                                f"(on line {line})", pos)
        visible = set()
        s = scope
        while s is not None:
            visible.update(s.names)
            s = s.parent
        close = difflib.get_close_matches(name, sorted(visible), n=1)
        hint = f"; did you mean '{close[0]}'?" if close else ""
        return ast.error_at(UnknownNameError, f"unknown name '{name}'{hint}", pos)

    def _family_read(self, node: ast.Subscript, scope: _Scope) -> Optional[int]:
        """``x[t]``, ``x[t-1]`` or ``x[0]`` of a piecewise ``x``: its wire, else None."""
        if not isinstance(node.target, ast.Name):
            return None
        name = node.target.id
        owner, binding = self._lookup(name, scope)
        if not isinstance(binding, _Family):
            if binding is None and name in self.definitions:
                raise self.unknown(name, node.target.pos, scope)
            return None
        shown = f"{name}[{', '.join(_show(i) for i in node.indices)}]"
        # x[i, ...] indexed by loop variables: this iteration's value
        names = [i.id if isinstance(i, ast.Name) else None for i in node.indices]
        s = owner
        if owner.loop is not None and names == owner.loop_vars():
            if binding.current is None:
                raise ast.error_at(UnknownNameError, f"{shown} is used before it is defined",
                                   node.pos)
            return _import(binding.current, owner, scope)
        # x[t-1] of a family the loop over t defines: the state
        lag = _lag(node.indices)
        if lag is not None and owner.loop is not None and lag[0] == owner.loop.var:
            var, k = lag
            if k < 1:
                raise ast.error_at(CatlearnTypeError, f"{shown} reads ahead of the loop; "
                                   f"the past of {name} is {name}[{var}-k] with k >= 1",
                                   node.pos)
            for back in range(1, k + 1):  # x[t-k] needs x[t-1] ... x[t-k] carried
                wire = self.state(name, owner, node, back)
            return _import(wire, owner, scope)
        if _whole(binding):
            return None  # indexed like any array
        last = self._last_piece(binding, node)
        if last is not None:  # x[T-k]: the piece indexed by (T - k) - start, a wire
            wire, start = last
            index = self.expr(node.indices[0], scope)
            if start:
                offset = scope.builder.add(Const(start, Ty("Int")), [])[0]
                index = self.prim("sub", [index, offset], {}, node.pos, scope)
            return self.prim("index", [_import(wire, owner, scope), index], {}, node.pos,
                             scope)
        static = tuple(_static_int(i) for i in node.indices)
        if None not in static:
            s = owner
            while s is not None:
                fam = s.names.get(name)
                if isinstance(fam, _Family):
                    wire = _element(fam, static)
                    if wire is not None:
                        return _import(wire, s, scope) if not isinstance(wire, tuple) else \
                            self._index_piece(wire, s, scope, node)
                s = s.parent
            raise ast.error_at(UnknownNameError, f"{shown} is used before it is defined",
                               node.pos)
        if _parts(binding) is not None:
            return None  # the pieces joined, indexed like any array
        raise ast.error_at(CatlearnTypeError, f"{shown}: {name} is defined piece by piece; "
                           "index it by the loop variable, by the loop variable minus k, or "
                           "by a whole number", node.pos)

    def _index_piece(self, found: tuple, owner: _Scope, scope: _Scope, node) -> int:
        wire, offset = found
        wire = _import(wire, owner, scope)
        return self.prim("index", [wire], {"static": offset}, node.pos, scope)

    def state(self, name: str, owner: _Scope, node: ast.Subscript, k: int) -> int:
        """The body wire of ``name[var-k]`` in the loop of ``owner``, a state of its
        Moore machine (made on first read), entering as ``name[start-k]``."""
        loop = owner.loop
        if (name, k) not in loop.state:
            if not isinstance(loop.start, int):
                raise ast.error_at(NotSupportedError, f"not supported yet: reading "
                                   f"{name}[{loop.var}-{k}] in a loop whose start is not a "
                                   "number", node.pos)
            first = loop.start - k
            parent = owner.parent
            outer_wire = None
            s = parent
            while s is not None and outer_wire is None:
                fam = s.names.get(name)
                found = _element(fam, (first,)) if isinstance(fam, _Family) else None
                if isinstance(found, tuple):  # inside an earlier loop's output
                    outer_wire = self._index_piece(found, s, parent, node)
                elif found is not None:
                    outer_wire = _import(found, s, parent)
                s = s.parent
            if outer_wire is None:
                raise ast.error_at(UnknownNameError, f"{name}[{loop.var}-{k}] at the first "
                                   f"iteration reads {name}[{first}], which is not defined "
                                   "before the loop", node.pos)
            # random, to be safe: the state may come to depend on a sample in a later
            # iteration even when it enters as a constant
            inner = owner.builder.wire(parent.builder.wires[outer_wire], random=True)
            loop.state[(name, k)] = (inner, outer_wire)
        return loop.state[(name, k)][0]

    def _last_piece(self, family: _Family, node: ast.Subscript) -> Optional[tuple]:
        """For ``x[T-k]`` after a loop over ``range(start, T)`` that defines ``x``
        (``start`` a number, ``k >= 1``), ``(the loop's output, start)``; else None."""
        if len(node.indices) != 1:
            return None
        try:
            index = simplify(self.dim(node.indices[0]))
        except CatlearnError:
            return None
        for start, stop, wire in family.pieces:
            if isinstance(index, tuple) and index[0] == "-" and index[1] == stop \
                    and isinstance(index[2], int) and index[2] >= 1 and isinstance(start, int):
                return wire, start
        return None


def _parts(family: _Family) -> Optional[list]:
    """The wires of a family defined along its first axis from 0 without a gap
    (``x[0]``, ``x[1]``, a loop's ``x[2:T]`` …) in order, each with whether it is
    one element and where it stops; None when they do not cover ``0, 1, …`` so."""
    if any(len(key) != 1 for key in family.elements):
        return None
    parts = sorted([(key[0], key[0] + 1, wire, True) for key, wire in family.elements.items()]
                   + [(start, stop, wire, False) for start, stop, wire in family.pieces],
                   key=lambda part: part[0] if isinstance(part[0], int) else math.inf)
    end = 0
    for start, stop, _, _ in parts:
        if start != end:
            return None
        end = stop
    return [(wire, single, stop) for _, stop, wire, single in parts] if parts else None


def _next_state(key: Any, scope: _Scope) -> int:
    """The body wire a state leaves with: a carried name's last value; for
    ``x[t-1]`` this iteration's ``x[t]``; for ``x[t-k]``, the ``x[t-(k-1)]`` it read."""
    if isinstance(key, str):
        return scope.names[key].wire
    name, k = key
    return scope.names[name].current if k == 1 else scope.loop.state[(name, k - 1)][0]


def _show_key(key: Any, var: str) -> str:
    return key if isinstance(key, str) else f"{key[0]}[{var}-{key[1]}]"


def _known_bound(key: str, bounds: dict, what: str, pos: ast.Pos) -> None:
    """Refuse a keyword other than the bounds ``lower`` and ``upper``, suggesting one."""
    if key not in bounds:
        close = difflib.get_close_matches(key, bounds, n=1)
        hint = f"; did you mean '{close[0]}'?" if close else ""
        raise ast.error_at(UnknownNameError, f"{what} takes the bounds lower and upper, "
                           f"not '{key}'{hint}", pos)


def _whole(family: _Family) -> bool:
    """Whether a family is one loop's output over ``range(0, stop)``: an array."""
    return not family.elements and len(family.pieces) == 1 and family.pieces[0][0] == 0


def _element(family: _Family, key: tuple) -> Any:
    """A wire for ``x[key]``, or ``(piece wire, offset)`` to index a loop's output."""
    if key in family.elements:
        return family.elements[key]
    for row, wire in family.elements.items():  # y[0, 2] of a row y[0] a loop wrote
        if key[:len(row)] == row:
            return (wire, key[len(row):])
    for start, stop, wire in family.pieces:
        if isinstance(start, int) and key[0] >= start and (
                not isinstance(stop, int) or key[0] < stop):
            return (wire, (key[0] - start,) + key[1:])
    return None


def _walk_statements(body: tuple):
    todo = list(reversed(body))
    while todo:
        stmt = todo.pop()
        yield stmt
        if isinstance(stmt, ast.Loop):
            todo.extend(reversed(stmt.body))


def _static_int(node: Any) -> Optional[int]:
    if isinstance(node, ast.Num) and isinstance(node.value, int):
        return node.value
    if isinstance(node, ast.Neg) and isinstance(node.operand, ast.Num) \
            and isinstance(node.operand.value, int):
        return -node.operand.value
    return None


def _lag(indices: tuple) -> Optional[tuple[str, int]]:
    """``(t, k)`` for a subscript ``[t - k]``."""
    if len(indices) == 1 and isinstance(indices[0], ast.BinOp) and indices[0].op == "-":
        left, right = indices[0].left, indices[0].right
        if isinstance(left, ast.Name) and _static_int(right) is not None:
            return left.id, _static_int(right)
    return None


def _scopes(scope: Optional[_Scope]) -> Iterator[_Scope]:
    while scope is not None:
        yield scope
        scope = scope.parent


def _loop_offset(node: Any) -> Optional[tuple[str, int]]:
    """``(j, c)`` for an index ``j``, ``j + c``, ``c + j`` or ``j - c``."""
    if isinstance(node, ast.Name):
        return node.id, 0
    if isinstance(node, ast.BinOp) and node.op in "+-" and len(node.op) == 1:
        left, right = node.left, node.right
        if isinstance(left, ast.Name) and _static_int(right) is not None:
            return left.id, _static_int(right) * (1 if node.op == "+" else -1)
        if node.op == "+" and isinstance(right, ast.Name) and _static_int(left) is not None:
            return right.id, _static_int(left)
    return None


def _linear(dim: DimExpr) -> Optional[dict]:
    """A dimension as ``{name: coefficient, 1: constant}``; None when not linear."""
    if isinstance(dim, int):
        return {1: dim}
    if isinstance(dim, str):
        return {dim: 1}
    op, a, b = dim[0], _linear(dim[1]), _linear(dim[2])
    if a is None or b is None:
        return None
    if op in "+-":
        sign = 1 if op == "+" else -1
        return {k: a.get(k, 0) + sign * b.get(k, 0) for k in {**a, **b}}
    constant = a if set(a) == {1} else b if set(b) == {1} else None
    if constant is None:  # a product of two dimensions
        return None
    other = b if constant is a else a
    return {k: constant[1] * v for k, v in other.items()}


def _linear_str(dim: DimExpr) -> str:
    """A linear dimension in its simplest form: ``N``, ``N + 1``, ``-1``."""
    terms = _linear(dim) or {}
    parts = [(f"{v} * " if v != 1 else "") + k for k, v in terms.items() if k != 1 and v]
    constant = terms.get(1, 0)
    text = " + ".join(parts)
    if constant or not parts:
        text += (f" {'+' if constant > 0 else '-'} {abs(constant)}" if parts else str(constant))
    return text if terms else dim_str(dim)


def _always_negative(dim: DimExpr) -> bool:
    """Whether ``dim`` is negative for every value of the dimensions in it."""
    terms = _linear(dim)
    return terms is not None and all(v == 0 for k, v in terms.items() if k != 1) \
        and terms.get(1, 0) < 0


def _written(node: Any) -> str:
    """An index as written: ``j``, ``j + 1``, ``j - 1``."""
    if isinstance(node, ast.BinOp):
        return f"{_written(node.left)} {node.op} {_written(node.right)}"
    return _show(node)


def _show(node: Any) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Num):
        return str(node.value)
    lag = _lag((node,))
    return f"{lag[0]}-{lag[1]}" if lag else "..."


# -- the type of a sample ------------------------------------------------------

_SUPPORT_TYPES = ((constraints.real, "Real"), (constraints.real_vector, "Real"),
                  (constraints.positive, "Pos"), (constraints.nonnegative, "Pos"),
                  (constraints.positive_vector, "Pos"), (constraints.unit_interval, "Prob"),
                  (constraints.boolean, "Bool"), (constraints.nonnegative_integer, "Nat"),
                  (constraints.simplex, "Simplex"))


@functools.lru_cache(maxsize=None)
def _distribution(stmt: ast.Draw) -> type:
    """The distribution class a draw names, or an error where the name is written."""
    if stmt.dist not in distributions.DISTRIBUTIONS:
        if stmt.dist in ops.PRIMITIVES:
            raise ast.error_at(CatlearnTypeError, f"{stmt.dist} is a function, not a "
                               f"distribution: write {stmt.target.name} = "
                               f"{stmt.dist}(...)", stmt.dist_pos)
        close = difflib.get_close_matches(stmt.dist, distributions.DISTRIBUTIONS, n=1)
        hint = f"; did you mean '{close[0]}'?" if close else ""
        raise ast.error_at(UnknownNameError, f"unknown distribution '{stmt.dist}'{hint}",
                           stmt.dist_pos)
    return distributions.DISTRIBUTIONS[stmt.dist]


def _support_type(cls: type) -> tuple[str, int]:
    """The base type of a distribution's values, and the rank of one event."""
    support = inspect.getattr_static(cls, "support", None)
    base = next((name for c, name in _SUPPORT_TYPES if c is support),
                "Nat" if cls.is_discrete else "Real")
    return base, support.event_dim if isinstance(support, constraints.Constraint) else 0


def _sample_type(cls: type, params: list[str], dom: Ty, pos: ast.Pos) -> Ob:
    """The type of a draw: its support's base type, with the parameters' batch
    shape (NumPy broadcasting) followed by the event shape."""
    base, event_rank = _support_type(cls)
    batch, event = [], None
    for name, ob in zip(params, dom.objects):
        rank = cls.arg_constraints[name].event_dim if name in cls.arg_constraints else 0
        shape = tuple(ob.shape)
        batch.append(shape[:max(len(shape) - rank, 0)])
        if event is None and event_rank and rank >= event_rank and len(shape) >= rank:
            event = shape[len(shape) - rank:len(shape) - rank + event_rank]
    try:
        shape = ops.broadcast(batch, cls.name)
    except CatlearnError as err:
        raise ast.error_at(CatlearnTypeError, f"the parameters of {cls.name} do not "
                           f"broadcast: {err.message.split(': ', 1)[-1]}", pos) from None
    return Ob(base, tuple(shape) + tuple(event or ()))


_ARITHMETIC = {"+": np.add, "-": np.subtract, "*": np.multiply, "/": np.divide,
               "**": np.power}


def _literal(node: Any) -> Optional[np.ndarray]:
    """The value of an expression of number literals alone (``-1``, ``1/0``), in the
    precision the model runs in; ``None`` for any other expression."""
    real = jax.dtypes.canonicalize_dtype(np.float64)
    if isinstance(node, ast.Num):
        return np.asarray(node.value, real)
    if isinstance(node, ast.Neg):
        operand = _literal(node.operand)
        return None if operand is None else -operand
    if isinstance(node, ast.BinOp) and node.op in _ARITHMETIC:
        left, right = _literal(node.left), _literal(node.right)
        if left is None or right is None:
            return None
        with np.errstate(all="ignore"):  # 1/0 is inf, as it is when the model runs
            return np.asarray(_ARITHMETIC[node.op](left, right), real)
    return None
