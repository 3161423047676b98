"""Point-free diagram expressions to :class:`~catlearn.syntax.diagram.Diagram`.

``>>`` composes in sequence and ``@`` in parallel; names are boxes, diagrams
and models defined earlier in the program, or registered primitives. An
elementwise primitive written bare (``relu``) takes its type from its
neighbour in ``>>``.

>>> from catlearn.lang.parser import parse_source
>>> from catlearn.syntax import Box, Ty
>>> R = Ty("Real")
>>> stmt = parse_source("diagram d = copy(Real) >> (f @ id(Real))")[0]
>>> elaborate_diagram(stmt.expr, {"f": Box("f", R, R)}).cod
Ty('Real', 'Real')
"""
from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Any, Mapping

from catlearn.errors import CatlearnError, CatlearnTypeError, UnknownNameError
from catlearn.lang import ast
from catlearn.lang.registry import DIAGRAM_PRIMITIVES, DiagramPrimitive
from catlearn.lang.types import elaborate_type
from catlearn.syntax.diagram import Diagram
from catlearn.syntax.ty import Ty


@dataclass(frozen=True)
class _Poly:
    """Elementwise primitives waiting for their type: ``make(ty)`` in sequence."""

    prims: tuple[DiagramPrimitive, ...]
    pos: ast.Pos

    def at(self, ty: Ty) -> Diagram:
        diagram = self.prims[0].make(ty)
        for prim in self.prims[1:]:
            diagram = diagram >> prim.make(ty)
        return diagram

    def untyped(self) -> CatlearnError:
        name = self.prims[0].name
        return ast.error_at(CatlearnTypeError, f"cannot tell the type of {name} here; "
                            f"give it, as in {name}(Real[16])", self.pos)


def elaborate_diagram(node: Any, env: Mapping[str, Any]) -> Diagram:
    """The diagram of a point-free expression; ``env`` maps names to diagrams."""
    result = ast.postorder(node, lambda n, kids: _visit(n, kids, env))
    if isinstance(result, _Poly):
        raise result.untyped()
    return result


def _visit(node: Any, kids: list, env: Mapping[str, Any]) -> Any:
    if isinstance(node, ast.DName):
        return _name(node, env)
    if isinstance(node, ast.DCall):
        return _call(node, env)
    left, right = kids
    if isinstance(node, ast.DThen):
        if isinstance(left, _Poly) and isinstance(right, _Poly):
            return _Poly(left.prims + right.prims, left.pos)
        if isinstance(left, _Poly):
            left = left.at(right.dom)
        if isinstance(right, _Poly):
            right = right.at(left.cod)
        try:
            return left >> right
        except CatlearnError as err:
            raise err.at(line=node.pos[0], column=node.pos[1]) from None
    for side in (left, right):
        if isinstance(side, _Poly):
            raise side.untyped()
    return left @ right


def _name(node: ast.DName, env: Mapping[str, Any]) -> Any:
    value = env.get(node.id)
    if isinstance(value, Diagram):
        return value
    diagram = getattr(value, "diagram", None)  # a model
    if isinstance(diagram, Diagram):
        return diagram
    if value is not None:
        raise ast.error_at(CatlearnTypeError, f"{node.id} is {_kind(value)}, not a diagram",
                           node.pos)
    prim = DIAGRAM_PRIMITIVES.get(node.id)
    if prim is not None and prim.elementwise:
        return _Poly((prim,), node.pos)
    if prim is not None:
        raise ast.error_at(CatlearnTypeError, f"{node.id} needs its arguments: "
                           f"{prim.signature}", node.pos)
    raise _unknown(node.id, node.pos, env)


def _call(node: ast.DCall, env: Mapping[str, Any]) -> Diagram:
    prim = DIAGRAM_PRIMITIVES.get(node.id)
    if prim is None:
        if node.id in env:
            raise ast.error_at(CatlearnTypeError, f"{node.id} is {_kind(env[node.id])} and "
                               f"takes no arguments: write {node.id}", node.pos)
        raise _unknown(node.id, node.pos, env)
    n_max, n_min = len(prim.params), len(prim.params) - prim.optional
    if not n_min <= len(node.args) <= n_max:
        wanted = str(n_max) if n_min == n_max else f"{n_min} to {n_max}"
        raise ast.error_at(CatlearnTypeError, f"{prim.signature} takes {wanted} arguments, "
                           f"got {len(node.args)}", node.pos)
    args = []
    for (param, kind), arg in zip(prim.params.items(), node.args):
        if kind is Ty and isinstance(arg, ast.TypeExpr):
            args.append(elaborate_type(arg))
        elif kind is int and isinstance(arg, ast.Num) and isinstance(arg.value, int):
            args.append(arg.value)
        elif kind is float and isinstance(arg, ast.Num):
            args.append(float(arg.value))
        else:
            wanted = {Ty: "a type", int: "a whole number", float: "a number"}[kind]
            raise ast.error_at(CatlearnTypeError, f"{prim.signature}: {param} must be "
                               f"{wanted}", arg.pos)
    try:
        return prim.make(*args)
    except CatlearnError as err:
        raise err.at(line=node.pos[0], column=node.pos[1]) from None


def _kind(value: Any) -> str:
    return {"LearnerSpec": "a learner", "DataTable": "a data table"}.get(
        type(value).__name__, f"a {type(value).__name__.lower()}")


def _unknown(name: str, pos: ast.Pos, env: Mapping[str, Any]) -> CatlearnError:
    known = [k for k, v in env.items() if isinstance(v, Diagram) or hasattr(v, "diagram")]
    close = difflib.get_close_matches(name, known + list(DIAGRAM_PRIMITIVES), n=1)
    hint = f"; did you mean '{close[0]}'?" if close else ""
    return ast.error_at(UnknownNameError, f"unknown name '{name}'{hint}", pos)
