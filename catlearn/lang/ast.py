"""The abstract syntax of the language: what the parser hands to elaboration.

Every node carries ``pos = (line, column)`` of the token that names it (an
identifier, an operator, a keyword), so errors can point at the user's own
words. Expression and diagram nodes list their sub-terms in ``kids()``;
elaboration walks them with :func:`postorder`, an explicit stack, so the depth
of a program's nesting is bounded by memory, never by Python's recursion
limit.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Iterator, Optional, Union

Pos = tuple[int, int]


class Leaf:
    """A node with no sub-terms."""

    def kids(self) -> tuple:
        return ()


class Pair:
    """A node whose sub-terms are ``left`` and ``right``."""

    def kids(self) -> tuple:
        return (self.left, self.right)


# -- expressions --------------------------------------------------------------

@dataclass(frozen=True)
class Num(Leaf):
    value: Union[int, float]
    pos: Pos


@dataclass(frozen=True)
class Str(Leaf):
    value: str
    pos: Pos


@dataclass(frozen=True)
class Name(Leaf):
    id: str
    pos: Pos


@dataclass(frozen=True)
class BinOp(Pair):
    """``left op right`` with op one of ``+ - * / **``."""

    op: str
    left: Any
    right: Any
    pos: Pos


@dataclass(frozen=True)
class Neg:
    operand: Any
    pos: Pos

    def kids(self) -> tuple:
        return (self.operand,)


@dataclass(frozen=True)
class Call:
    """``func(args, name = value, ...)``."""

    func: str
    args: tuple
    kwargs: tuple  # of (name, expr, pos)
    pos: Pos

    def kids(self) -> tuple:
        return self.args + tuple(value for _, value, _ in self.kwargs)


@dataclass(frozen=True)
class Slice:
    """``start:stop`` inside a subscript; either bound may be absent."""

    start: Optional[Any]
    stop: Optional[Any]
    pos: Pos

    def kids(self) -> tuple:
        return tuple(e for e in (self.start, self.stop) if e is not None)


@dataclass(frozen=True)
class Subscript:
    """``target[i, j:k, ...]``."""

    target: Any
    indices: tuple
    pos: Pos

    def kids(self) -> tuple:
        return (self.target,) + self.indices


@dataclass(frozen=True)
class Attr:
    """``target.name``: a column of a data table."""

    target: Any
    name: str
    pos: Pos

    def kids(self) -> tuple:
        return (self.target,)


@dataclass(frozen=True)
class ListExpr:
    items: tuple
    pos: Pos

    def kids(self) -> tuple:
        return self.items


# -- types and point-free diagrams --------------------------------------------

@dataclass(frozen=True)
class TypeAtom:
    """``Real`` or ``Real[n, 3]``: dims are ints or names."""

    name: str
    dims: tuple
    pos: Pos


@dataclass(frozen=True)
class TypeExpr(Leaf):
    """A product ``A * B * ...`` of atoms; ``I`` is the unit."""

    atoms: tuple
    pos: Pos


@dataclass(frozen=True)
class DName(Leaf):
    id: str
    pos: Pos


@dataclass(frozen=True)
class DCall(Leaf):
    """``id(Real)``, ``swap(A, B)``, ``dense(4, 16)``: args are types or numbers."""

    id: str
    args: tuple
    pos: Pos


@dataclass(frozen=True)
class DThen(Pair):
    left: Any
    right: Any
    pos: Pos


@dataclass(frozen=True)
class DTensor(Pair):
    left: Any
    right: Any
    pos: Pos


# -- statements ---------------------------------------------------------------

@dataclass(frozen=True)
class BoxDecl:
    name: str
    dom: TypeExpr
    cod: TypeExpr
    pos: Pos
    name_pos: Pos


@dataclass(frozen=True)
class DiagramDef:
    name: str
    expr: Any
    pos: Pos
    name_pos: Pos


@dataclass(frozen=True)
class CheckStmt:
    left: Any
    right: Any
    pos: Pos
    eq_pos: Pos


@dataclass(frozen=True)
class Option:
    """``name = value`` after ``with``."""

    name: str
    value: Any
    pos: Pos


@dataclass(frozen=True)
class LearnerDef:
    name: str
    expr: Any
    options: tuple
    pos: Pos
    name_pos: Pos


@dataclass(frozen=True)
class LearnerComposite:
    """``learner c = a >> b``: learners composed in Learn (``expr`` names learners)."""

    name: str
    expr: Any
    pos: Pos
    name_pos: Pos


@dataclass(frozen=True)
class Param:
    name: str
    type: TypeExpr
    pos: Pos


@dataclass(frozen=True)
class Target:
    """The left of ``~`` or ``=``: ``x`` or ``x[i, ...]``."""

    name: str
    indices: tuple
    pos: Pos


@dataclass(frozen=True)
class Draw:
    """``target ~ Dist(args)``."""

    target: Target
    dist: str
    args: tuple
    kwargs: tuple
    pos: Pos
    dist_pos: Pos


@dataclass(frozen=True)
class Declare:
    """``target : Type(lower = a, upper = b)``: a parameter with a flat prior."""

    target: Target
    type: TypeAtom
    kwargs: tuple  # of (name, expr, pos)
    pos: Pos


@dataclass(frozen=True)
class Let:
    target: Target
    expr: Any
    pos: Pos


@dataclass(frozen=True)
class Factor:
    expr: Any
    pos: Pos


@dataclass(frozen=True)
class Return:
    exprs: tuple
    pos: Pos


@dataclass(frozen=True)
class Loop:
    """``for var in range(start, stop) { body }`` (``start`` defaults to 0)."""

    var: str
    start: Any
    stop: Any
    body: tuple
    pos: Pos
    var_pos: Pos


@dataclass(frozen=True)
class ModelDef:
    name: str
    params: tuple
    body: tuple
    pos: Pos
    name_pos: Pos
    #: the Python file of a model written as a Python function (positions are in it)
    file: Optional[str] = None


@dataclass(frozen=True)
class FnDef:
    """``fn name(params) -> type { lets; return e }``: a deterministic function."""

    name: str
    params: tuple
    result: TypeExpr
    body: tuple
    pos: Pos
    name_pos: Pos


@dataclass(frozen=True)
class PrecisionStmt:
    """``precision = "float64"``: the precision of every query of the program."""

    value: str
    pos: Pos
    value_pos: Pos


@dataclass(frozen=True)
class DataDef:
    name: str
    format: str
    path: str
    pos: Pos
    name_pos: Pos
    format_pos: Pos
    path_pos: Pos


@dataclass(frozen=True)
class Method:
    """``nuts(chains = 4, ...)`` or ``adam(0.01)``."""

    name: str
    args: tuple
    kwargs: tuple
    pos: Pos


@dataclass(frozen=True)
class InferStmt:
    model: str
    args: tuple   # of (name, expr, pos)
    given: tuple  # of (name, expr, pos)
    method: Method
    pos: Pos
    model_pos: Pos


@dataclass(frozen=True)
class SampleStmt:
    model: str
    args: tuple
    method: Method
    pos: Pos
    model_pos: Pos


@dataclass(frozen=True)
class TrainStmt:
    learner: str
    table: str
    args: tuple
    options: tuple
    pos: Pos
    learner_pos: Pos
    table_pos: Pos


def postorder(root: Any, visit: Callable[[Any, list], Any],
              kids: Callable[[Any], tuple] = lambda node: node.kids()) -> Any:
    """Fold a term bottom-up without recursion: ``visit(node, kid_values)``.

    ``kids`` chooses the sub-terms to fold first (all of them by default); terms
    are never tuples.

    >>> term = BinOp("+", Num(1, (1, 1)), BinOp("*", Num(2, (1, 5)), Num(3, (1, 9)), (1, 7)), (1, 3))
    >>> postorder(term, lambda n, ks: n.value if isinstance(n, Num) else
    ...           (ks[0] + ks[1] if n.op == "+" else ks[0] * ks[1]))
    7
    """
    values: list = []
    todo: list = [root]  # terms to fold, and (term, n): fold term from its n kids' values
    while todo:
        node = todo.pop()
        if node.__class__ is tuple:
            node, n = node
            args = values[-n:]
            del values[-n:]
            values.append(visit(node, args))
            continue
        below = kids(node)
        if below:
            todo.append((node, len(below)))
            todo.extend(reversed(below))
        else:
            values.append(visit(node, []))
    return values[0]


def walk(root: Any) -> Iterator[Any]:
    """Every sub-term of ``root`` (pre-order, iterative)."""
    todo = [root]
    while todo:
        node = todo.pop()
        yield node
        todo.extend(reversed(node.kids()))


def error_at(cls: type, message: str, pos: Optional[Pos]) -> Exception:
    """An error of class ``cls`` located at ``pos`` (the file is added by the program)."""
    line, column = pos if pos else (None, None)
    return cls(message, line=line, column=column)
