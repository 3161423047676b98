"""String diagrams: boxes composed in sequence (``>>``) and in parallel (``@``).

A :class:`Diagram` is built lazily: ``f >> g`` and ``f @ g`` are O(1) nodes
that only check types. The first question that needs the wiring (equality,
evaluation, drawing) flattens the tree once, without recursion, into a
:class:`~catlearn.syntax.hypergraph.Hypergraph`, which is cached.

>>> R = Ty("Real")
>>> f, g = Box("f", R, R), Box("g", R, R)
>>> merge = Box("merge", R @ R, R)
>>> h = (f @ g) >> merge
>>> print(h.dom, "->", h.cod)
Real * Real -> Real
>>> (f @ Id(R)) >> (Id(R) @ g) == f @ g
True
>>> Copy(R) >> (Id(R) @ Discard(R)) == Id(R)
True
>>> f >> g == g >> f
False
"""
from __future__ import annotations

from functools import cached_property
from typing import Any

import numpy as np

from catlearn.errors import CatlearnTypeError, CompositionError
from catlearn.syntax.hypergraph import Hypergraph
from catlearn.syntax.ty import Ty


_ATOMS = frozenset({str, int, float, bool, type(None)})


def freeze(value: Any) -> Any:
    """A hashable stand-in for box data (lists, dicts and arrays included)."""
    if value.__class__ in _ATOMS:  # most box data: names, sizes, flags
        return value
    if isinstance(value, dict):
        return tuple(sorted((k, freeze(v)) for k, v in value.items()))
    if isinstance(value, (list, tuple)):
        return tuple(freeze(v) for v in value)
    if isinstance(value, np.ndarray) or type(value).__module__.startswith("jax"):
        array = np.asarray(value)
        return ("array", array.shape, str(array.dtype), array.tobytes())
    return value


class Diagram:
    """A morphism of the free Markov category on some boxes."""

    dom: Ty
    cod: Ty

    # -- composition -----------------------------------------------------
    def then(self, other: "Diagram") -> "Diagram":
        """Sequential composition ``self >> other``."""
        if not isinstance(other, Diagram):
            raise not_a_diagram(self, ">>", other)
        if self.cod != other.dom:
            raise CompositionError(
                f"the codomain of {self.label} ({self.cod}) does not match "
                f"the domain of {other.label} ({other.dom})")
        if isinstance(self, Id):
            return other
        if isinstance(other, Id):
            return self
        return _Compose(self, other)

    def tensor(self, other: "Diagram") -> "Diagram":
        """Parallel composition ``self @ other``."""
        if not isinstance(other, Diagram):
            raise not_a_diagram(self, "@", other)
        if isinstance(self, Id) and not self.dom:
            return other
        if isinstance(other, Id) and not other.dom:
            return self
        return _Tensor(self, other)

    def __rshift__(self, other):
        # NotImplemented lets `other` (an activation typed by the wire it meets) answer
        return NotImplemented if _meets_wire(other) else self.then(other)

    def __matmul__(self, other):
        return NotImplemented if _meets_wire(other) else self.tensor(other)

    def __rrshift__(self, other):
        raise not_a_diagram(other, ">>", self)

    def __rmatmul__(self, other):
        raise not_a_diagram(other, "@", self)

    def __lshift__(self, other: "Diagram") -> "Diagram":
        return other.then(self)

    # -- the flat form -----------------------------------------------------
    @cached_property
    def hypergraph(self) -> Hypergraph:
        """The open hypergraph of this diagram (computed once)."""
        return _flatten(self)

    @property
    def boxes(self) -> tuple:
        """The boxes of the diagram, in a topological order."""
        return self.hypergraph.boxes

    def __len__(self) -> int:
        return len(self.hypergraph.boxes)

    @cached_property
    def written(self) -> Hypergraph:
        """The hypergraph of the diagram as it was written: every copy, discard
        and swap is a node of its own (what a drawing shows), not folded into
        the wiring as in :attr:`hypergraph`."""
        return _flatten(self, written=True)

    # -- equality up to the axioms ----------------------------------------
    @cached_property
    def _canonical(self) -> tuple:
        """A canonical form: equal iff the diagrams are equal in a Markov category."""
        from catlearn.syntax.normal_form import normal_form
        return normal_form(self.hypergraph)

    def normal_form(self) -> "Diagram":
        """The simplest diagram equal to this one: copies, discards and swaps
        folded into the wiring, equal deterministic boxes on equal inputs
        shared, discarded discardable boxes removed."""
        from catlearn.syntax.normal_form import simplify
        return Graph(simplify(self.hypergraph))

    def __eq__(self, other) -> bool:
        if not isinstance(other, Diagram):
            return NotImplemented
        if self is other:
            return True
        return (self.dom == other.dom and self.cod == other.cod
                and self._canonical == other._canonical)

    def __hash__(self) -> int:
        return hash(self._canonical)

    # -- display -------------------------------------------------------------
    @property
    def label(self) -> str:
        """How error messages name this diagram."""
        names = [box.name for box in self.boxes]
        if not names:
            return type(self).__name__.lower()
        shown = " >> ".join(names[:3]) + (" >> ..." if len(names) > 3 else "")
        return f"the diagram ({shown})"

    def __repr__(self) -> str:
        return f"<Diagram {self.dom} -> {self.cod} with {len(self)} boxes>"

    def draw(self, path: str | None = None, **options):
        """Draw the string diagram as written (``d.normal_form().draw()`` draws
        its simplest form) with matplotlib; write it to ``path`` if given."""
        from catlearn.syntax.drawing import draw
        return draw(self, path, **options)

    def _repr_svg_(self) -> str:
        from catlearn.syntax.drawing import to_svg
        return to_svg(self)


class Box(Diagram):
    """A generator: an opaque box ``name : dom -> cod``.

    ``deterministic`` boxes commute with copying (``f >> copy == copy >> f @ f``);
    boxes that are not ``discardable`` (scores, effects) survive discarding.
    Extra keyword data is kept on the box and is part of its identity.
    """

    drawn_as = "box"

    def __init__(self, name: str, dom: Ty, cod: Ty, *, deterministic: bool = False,
                 discardable: bool = True, **data: Any):
        if not (isinstance(dom, Ty) and isinstance(cod, Ty)):
            _refuse_box(name, dom, cod)
        self.name, self.dom, self.cod = name, dom, cod
        self.deterministic, self.discardable = deterministic, discardable
        self.data = data
        self._key = (type(self).__name__, name, dom, cod, deterministic, discardable,
                     freeze(data))

    @property
    def key(self) -> tuple:
        """The identity of a box: two boxes with equal keys are the same generator."""
        return self._key

    @property
    def label(self) -> str:
        return self.name

    def __eq__(self, other) -> bool:
        if isinstance(other, Box):
            return self._key == other._key
        return Diagram.__eq__(self, other)

    def __hash__(self) -> int:
        # agree with Diagram.__eq__, under which a box may equal a composite
        return hash(self._canonical)

    def __repr__(self) -> str:
        return f"Box({self.name!r}, {self.dom!r}, {self.cod!r})"

    def __getattr__(self, name: str) -> Any:
        data = self.__dict__.get("data", {})
        if name in data:
            return data[name]
        raise AttributeError(name)


def _refuse_box(name: Any, dom: Any, cod: Any) -> None:
    for side, ty in (("domain", dom), ("codomain", cod)):
        if not isinstance(ty, Ty):
            hint = f"; write Ty({ty!r})" if isinstance(ty, str) else ""
            raise CatlearnTypeError(f"Box {name!r}: its {side} must be a Ty, got the "
                                    f"{type(ty).__name__} {ty!r}{hint}")


class _Structural(Diagram):
    """Identities, swaps, copies and discards: pure wiring, no boxes.

    ``drawn_as`` (here and on :class:`Box`) names the kind of node a picture
    draws, so the drawing module reads nodes without importing their classes."""

    def __eq__(self, other) -> bool:
        return Diagram.__eq__(self, other)

    __hash__ = Diagram.__hash__


class Id(_Structural):
    """The identity on a type."""

    drawn_as = "id"

    def __init__(self, ty: Ty = Ty()):
        self.dom = self.cod = ty

    def __repr__(self) -> str:
        return f"Id({self.dom!r})"


class Swap(_Structural):
    """The symmetry ``a @ b -> b @ a``."""

    drawn_as = "swap"

    def __init__(self, left: Ty, right: Ty):
        self.left, self.right = left, right
        self.dom, self.cod = left @ right, right @ left

    def __repr__(self) -> str:
        return f"Swap({self.left!r}, {self.right!r})"


class Copy(_Structural):
    """Copying ``ty -> ty @ ... @ ty`` (``n`` copies, two by default)."""

    drawn_as = "copy"

    def __init__(self, ty: Ty, n: int = 2):
        self.n = n
        self.dom, self.cod = ty, ty ** n

    def __repr__(self) -> str:
        return f"Copy({self.dom!r}, {self.n})"


class Discard(_Structural):
    """Discarding ``ty -> I``."""

    drawn_as = "discard"

    def __init__(self, ty: Ty):
        self.dom, self.cod = ty, Ty()

    def __repr__(self) -> str:
        return f"Discard({self.dom!r})"


class _Compose(_Structural):
    def __init__(self, left: Diagram, right: Diagram):
        self.left, self.right = left, right
        self.dom, self.cod = left.dom, right.cod

    def __repr__(self) -> str:
        return Diagram.__repr__(self)


class _Tensor(_Structural):
    def __init__(self, left: Diagram, right: Diagram):
        self.left, self.right = left, right
        self.dom, self.cod = left.dom @ right.dom, left.cod @ right.cod

    def __repr__(self) -> str:
        return Diagram.__repr__(self)


class Graph(_Structural):
    """A diagram given directly by its hypergraph (e.g. the image of a functor)."""

    def __init__(self, graph: Hypergraph):
        self.dom, self.cod = graph.dom_type, graph.cod_type
        self.__dict__["hypergraph"] = graph

    def __repr__(self) -> str:
        return Diagram.__repr__(self)


def _meets_wire(value: Any) -> bool:
    """Whether ``value`` takes its type from the diagram it meets (``relu``)."""
    return getattr(value, "meets_wire", False)


def not_a_diagram(left: Any, op: str, right: Any) -> CompositionError:
    """``left op right`` where one side is not a diagram: name what it is."""
    def shown(v):
        return v.label if isinstance(v, Diagram) else f"the {type(v).__name__} {v!r}"[:80]
    hint = ""
    if getattr(left, "n_in", None) is not None or getattr(right, "n_in", None) is not None:
        hint = "; a learner composes with learners: learn(...) the diagram first"
    return CompositionError(f"cannot compose {shown(left)} {op} {shown(right)}: both sides "
                            f"must be diagrams{hint}")


def _flatten(diagram: Diagram, written: bool = False) -> Hypergraph:
    """Flatten a diagram tree into a hypergraph, with an explicit stack.

    Each node is run on the list of wires feeding it and pushes the list of
    wires it produces, so depth is bounded by memory, not by Python's
    recursion limit. ``written`` keeps every swap, copy and discard as a node
    reading its inputs and writing fresh wires, as a box would.
    """
    wires = list(diagram.dom.objects)
    boxes, inputs, outputs = [], [], []
    results: list[list[int]] = []
    todo: list[tuple] = [("run", diagram, list(range(len(wires))))]
    while todo:
        op, node, ins = todo.pop()
        if op == "then":  # the left factor has finished: feed its outputs right
            todo.append(("run", node, results.pop()))
        elif op == "join":  # both factors of a tensor have finished
            right = results.pop()
            results[-1] = results[-1] + right
        elif op == "right":  # the left factor of a tensor has finished
            todo.append(("join", None, None))
            todo.append(("run", node, ins))
        elif isinstance(node, _Compose):
            todo.append(("then", node.right, None))
            todo.append(("run", node.left, ins))
        elif isinstance(node, _Tensor):
            k = len(node.left.dom)
            todo.append(("right", node.right, ins[k:]))
            todo.append(("run", node.left, ins[:k]))
        elif isinstance(node, Box) or (written and isinstance(node, (Swap, Copy, Discard))):
            outs = list(range(len(wires), len(wires) + len(node.cod)))
            wires.extend(node.cod.objects)
            boxes.append(node)
            inputs.append(tuple(ins))
            outputs.append(tuple(outs))
            results.append(outs)
        elif isinstance(node, Id):
            results.append(ins)
        elif isinstance(node, Swap):
            k = len(node.left)
            results.append(ins[k:] + ins[:k])
        elif isinstance(node, Copy):
            results.append(ins * node.n)
        elif isinstance(node, Discard):
            results.append([])
        elif isinstance(node, Graph):
            g = node.hypergraph
            rename = {}
            for w, x in zip(g.dom, ins):
                rename[w] = x
            for ins_b, outs_b, box in zip(g.inputs, g.outputs, g.boxes):
                fresh = list(range(len(wires), len(wires) + len(outs_b)))
                wires.extend(g.wires[w] for w in outs_b)
                rename.update(zip(outs_b, fresh))
                boxes.append(box)
                inputs.append(tuple(rename[w] for w in ins_b))
                outputs.append(tuple(fresh))
            results.append([rename[w] for w in g.cod])
        else:
            raise TypeError(f"not a diagram: {node!r}")
    (cod,) = results
    return Hypergraph(tuple(wires), tuple(boxes), tuple(inputs), tuple(outputs),
                      tuple(range(len(diagram.dom))), tuple(cod))
