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
from typing import Any, Optional

from catlearn import distributions
from catlearn.distributions import constraints
from catlearn.errors import (CatlearnError, CatlearnTypeError, NotSupportedError,
                             UnknownNameError)
from catlearn.lang import ast
from catlearn.lang.types import INTEGRAL, elaborate_type
from catlearn.primitives import ops
from catlearn.syntax.diagram import Graph
from catlearn.syntax.hypergraph import Hypergraph
from catlearn.syntax.model import (INT, Const, DimExpr, Model, Plate, Prim, Sample, Scan, Score,
                                   simplify)
from catlearn.syntax.ty import Ob, Ty

_DEFINING = (ast.Draw, ast.Declare, ast.Let)
#: the types a parameter may be declared with (a flat prior), and their bounds
_DECLARABLE = {"Real": (None, None), "Pos": (0.0, None), "Prob": (0.0, 1.0)}
_DECLARED_BASE = {"Pos": "Pos", "Prob": "Prob"}
_MAX_LOOP_DEPTH = 32


# -- the hypergraph under construction ------------------------------------------

@dataclass
class _Builder:
    """Wires and boxes of one diagram (a model, or a loop body)."""

    wires: list = field(default_factory=list)
    boxes: list = field(default_factory=list)
    inputs: list = field(default_factory=list)
    outputs: list = field(default_factory=list)

    def wire(self, ob: Ob) -> int:
        self.wires.append(ob)
        return len(self.wires) - 1

    def add(self, box, ins: list[int]) -> list[int]:
        outs = [self.wire(ob) for ob in box.cod.objects]
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
    state: dict = field(default_factory=dict)  # name -> (body wire, outer wire)
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
            ob = scope.parent.builder.wires[wire]
            scope.shared[wire] = scope.builder.wire(ob)
        wire = scope.shared[wire]
    return wire


# -- models ---------------------------------------------------------------------

def elaborate_model(node: ast.ModelDef) -> Model:
    """The :class:`Model` of a ``model`` definition."""
    return _ModelElaborator(node).run()


class _ModelElaborator:
    def __init__(self, node: ast.ModelDef):
        self.node = node
        self.definitions: dict[str, ast.Pos] = {}
        for stmt in _walk_statements(node.body):
            if isinstance(stmt, _DEFINING):
                self.definitions.setdefault(stmt.target.name, stmt.target.pos)
        self.top = _Scope(_Builder())
        self.dims: set[str] = set()
        self.shape_dims: set[str] = set()  # symbols of the arguments' shapes (x: Real[N])
        self.family_reads: dict[int, int] = {}  # subscript node -> its wire, between passes

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
            self.bind(stmt.target, self.expr(stmt.expr, scope), scope, sampled=False)
        elif isinstance(stmt, ast.Factor):
            wire = self.expr(stmt.expr, scope)
            scope.builder.add(Score(scope.builder.type_of([wire])), [wire])
        elif isinstance(stmt, ast.Loop):
            self.loop(stmt, scope, depth + 1)
        else:  # a return inside a loop
            raise ast.error_at(CatlearnTypeError, "return must be the last statement of the "
                               "model, outside any loop", stmt.pos)

    def draw(self, stmt: ast.Draw, scope: _Scope) -> None:
        if stmt.dist not in distributions.DISTRIBUTIONS:
            if stmt.dist in ops.PRIMITIVES:
                raise ast.error_at(CatlearnTypeError, f"{stmt.dist} is a function, not a "
                                   f"distribution: write {stmt.target.name} = "
                                   f"{stmt.dist}(...)", stmt.dist_pos)
            close = difflib.get_close_matches(stmt.dist, distributions.DISTRIBUTIONS, n=1)
            hint = f"; did you mean '{close[0]}'?" if close else ""
            raise ast.error_at(UnknownNameError, f"unknown distribution '{stmt.dist}'{hint}",
                               stmt.dist_pos)
        cls = distributions.DISTRIBUTIONS[stmt.dist]
        try:
            bound = cls.bind_args(stmt.args, {k: v for k, v, _ in stmt.kwargs})
        except CatlearnError as err:
            raise ast.error_at(CatlearnTypeError, err.message, stmt.dist_pos) from None
        wires = [self.expr(e, scope) for e in bound.values()]
        value = _sample_type(cls, list(bound), scope.builder.type_of(wires), stmt.dist_pos)
        target = stmt.target
        static = self.target_index(target, scope)
        box = Sample(target.name, stmt.dist, scope.builder.type_of(wires), Ty.of([value]),
                     index=static)
        (out,) = scope.builder.add(box, wires)
        self.bind(target, out, scope, sampled=True)

    def declare(self, stmt: ast.Declare, scope: _Scope) -> None:
        """``x : Real[K](lower = a, upper = b)``: a site with the flat prior on the
        declared set, as a parameter declared in Stan with no statement about it."""
        atom, name = stmt.type, stmt.target.name
        if atom.name not in _DECLARABLE:
            if atom.name == "Simplex":
                raise ast.error_at(NotSupportedError, f"not supported yet: a flat prior on a "
                                   f"simplex; write {name} ~ Dirichlet(...) (Dirichlet of "
                                   "ones is the flat one)", atom.pos)
            if atom.name in INTEGRAL:
                raise ast.error_at(CatlearnTypeError, f"{name} : {atom.name}: only continuous "
                                   "parameters (Real, Pos, Prob) can be declared without a "
                                   f"distribution; draw a discrete one, as in {name} ~ "
                                   "Poisson(...)", atom.pos)
            elaborate_type(ast.TypeExpr((atom,), atom.pos))  # an unknown type: its error
        bounds = dict(zip(("lower", "upper"), _DECLARABLE[atom.name]))
        for key, value, pos in stmt.kwargs:
            if key not in bounds:
                close = difflib.get_close_matches(key, bounds, n=1)
                hint = f"; did you mean '{close[0]}'?" if close else ""
                raise ast.error_at(UnknownNameError, f"a declaration takes the bounds lower "
                                   f"and upper, not '{key}'{hint}", pos)
            if atom.name != "Real":
                raise ast.error_at(CatlearnTypeError, f"{atom.name} has its bounds already; "
                                   f"bounds go on Real, as in {name} : Real({key} = ...)", pos)
            bounds[key] = value
        for d in atom.dims:
            if isinstance(d, str) and d not in self.dims | self.shape_dims:
                raise ast.error_at(UnknownNameError, f"{name} : {atom.name}[...]: the "
                                   f"dimension {d} is neither a number nor a dimension of "
                                   "the model's arguments", atom.pos)
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
                    and inner.target.name not in families:
                families.append(inner.target.name)
        body = _Builder()
        index = body.wire(INT.objects[0])
        scope = _Scope(body, outer, _Loop(stmt.var, index, start, stop, tuple(families)))
        scope.names[stmt.var] = _Value(index)
        for name in families:
            scope.names[name] = _Family()
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
        state_out = [scope.names[name].current for name in state]
        for name, (inner, _), out in zip(state, state.values(), state_out):
            if body.wires[inner] != body.wires[out]:
                raise ast.error_at(CatlearnTypeError, f"the state {name} of the loop over "
                                   f"{stmt.var} changes type: it enters as {body.wires[inner]} "
                                   f"and {name}[{stmt.var}] is {body.wires[out]}", stmt.pos)
        diagram = body.diagram([index] + state_in + shared_inner, state_out + outputs)
        at = tuple(scope.loop.at.items())
        if state:
            box = Scan(diagram, stmt.var, start, stop, len(state), at)
        else:
            box = Plate(diagram, stmt.var, start, stop, at)
        outs = outer.builder.add(box, [outer_wire for _, outer_wire in state.values()]
                                 + shared_outer)
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
        what = {ast.Str: "a string", ast.ListExpr: "a list", ast.Slice: "a slice"}[type(node)]
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
        if node.func not in ops.PRIMITIVES or node.func in ops.NOT_BY_NAME:
            if node.func in distributions.DISTRIBUTIONS:
                raise ast.error_at(CatlearnTypeError, f"{node.func} is a distribution: draw "
                                   f"from it with ~, as in x ~ {node.func}(...)", node.pos)
            callable_ = [k for k in ops.PRIMITIVES if k not in ops.NOT_BY_NAME]
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

    def subscript(self, node: ast.Subscript, kids: list, scope: _Scope) -> int:
        if id(node) in self.family_reads:
            return self.family_reads.pop(id(node))
        array, *indices = kids
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
            raise ast.error_at(NotSupportedError, f"not supported yet: using {node.id} as a "
                               f"whole, since it is defined piece by piece; index it, as in "
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
            if k != 1:
                raise ast.error_at(NotSupportedError, f"not supported yet: {shown} reads "
                                   f"{k} steps back; only {name}[{var}-1] is", node.pos)
            return _import(self.state(name, owner, node), owner, scope)
        if _whole(binding):
            return None  # indexed like any array
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
        raise ast.error_at(CatlearnTypeError, f"{shown}: {name} is defined piece by piece; "
                           "index it by the loop variable, by the loop variable minus 1, or "
                           "by a whole number", node.pos)

    def _index_piece(self, found: tuple, owner: _Scope, scope: _Scope, node) -> int:
        wire, offset = found
        wire = _import(wire, owner, scope)
        return self.prim("index", [wire], {"static": offset}, node.pos, scope)

    def state(self, name: str, owner: _Scope, node: ast.Subscript) -> int:
        """The body wire of the state ``name`` of the loop of ``owner`` (made on first read)."""
        loop = owner.loop
        if name not in loop.state:
            if not isinstance(loop.start, int):
                raise ast.error_at(NotSupportedError, f"not supported yet: reading "
                                   f"{name}[{loop.var}-1] in a loop whose start is not a "
                                   "number", node.pos)
            first = loop.start - 1
            parent = owner.parent
            outer_wire = None
            s = parent
            while s is not None and outer_wire is None:
                fam = s.names.get(name)
                if isinstance(fam, _Family) and (first,) in fam.elements:
                    outer_wire = _import(fam.elements[(first,)], s, parent)
                s = s.parent
            if outer_wire is None:
                raise ast.error_at(UnknownNameError, f"{name}[{loop.var}-1] at the first "
                                   f"iteration reads {name}[{first}], which is not defined "
                                   "before the loop", node.pos)
            inner = owner.builder.wire(parent.builder.wires[outer_wire])
            loop.state[name] = (inner, outer_wire)
        return loop.state[name][0]


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
