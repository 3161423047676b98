"""The protocol a target category implements, and the generic interpretation.

A category object provides the structure of a symmetric monoidal category
with copy and discard:

* ``id(ty)``, ``compose(f, g)``, ``tensor(f, g)``,
* ``swap(a, b)``, ``copy(a)``, ``discard(a)``,

where ``a``, ``b`` are lists of target objects (one per wire). From these
alone :func:`fold` builds the image of any hypergraph, one box at a time:
rewire the wires in flight so the box's inputs come first, then apply
``box ⊗ id``. Categories whose morphisms are programs on values (JAX
functions, samplers, Para) also provide ``evaluate(graph, images, ob)`` and
run the hypergraph as one straight loop instead (see
:func:`catlearn.syntax.hypergraph.evaluate`). A category may also provide
``lift(image, box)`` to turn what a user gives as a box's image (say a plain
function) into one of its morphisms.

What a kind of box means in a category is said once, by the module that owns
the box kind, with :data:`box_meaning`: ``primitives/`` for ``Prim`` and
``Const``, ``distributions/`` for ``Sample``, each category's own module for
the structure it interprets (plates, scans, scores).
"""
from __future__ import annotations

from typing import Any, Callable, Protocol, Sequence, runtime_checkable

from multipledispatch import Dispatcher

from catlearn.errors import UnknownNameError
from catlearn.syntax.diagram import Box
from catlearn.syntax.hypergraph import Hypergraph

box_meaning = Dispatcher("box_meaning")
"""``box_meaning(box, category, functor)``: the default image of a box kind."""


@box_meaning.register(Box, object, object)
def _no_meaning(box: Box, cat: Any, functor: Any) -> Any:
    raise UnknownNameError(
        f"box {box.name!r} ({box.dom} -> {box.cod}) has no meaning in "
        f"{type(cat).__name__}: give one in the functor's `ar`")


@runtime_checkable
class Category(Protocol):
    """What a functor needs of its target."""

    def id(self, ty: Sequence[Any]) -> Any: ...

    def compose(self, f: Any, g: Any) -> Any: ...

    def tensor(self, f: Any, g: Any) -> Any: ...

    def swap(self, left: Sequence[Any], right: Sequence[Any]) -> Any: ...

    def copy(self, ty: Sequence[Any]) -> Any: ...

    def discard(self, ty: Sequence[Any]) -> Any: ...


def fold(cat: Category, graph: Hypergraph, images: Sequence[Any],
         ob: Callable[[Any], Any]) -> Any:
    """The image of ``graph`` built from the category's structure alone."""
    types = [ob(w) for w in graph.wires]
    later_reads: list[int] = [0] * len(graph.wires)
    for ins in graph.inputs:
        for w in ins:
            later_reads[w] += 1
    for w in graph.cod:
        later_reads[w] += 1
    frontier = list(graph.dom)
    result = cat.id([types[w] for w in frontier])
    for image, ins, outs in zip(images, graph.inputs, graph.outputs):
        for w in ins:
            later_reads[w] -= 1
        rest = [w for w in dict.fromkeys(frontier) if later_reads[w] > 0]
        result = cat.compose(result, wiring(cat, types, frontier, list(ins) + rest))
        result = cat.compose(result, cat.tensor(image, cat.id([types[w] for w in rest])))
        frontier = list(outs) + rest
    return cat.compose(result, wiring(cat, types, frontier, list(graph.cod)))


def wiring(cat: Category, types: Sequence[Any], source: Sequence[int],
           target: Sequence[int]) -> Any:
    """The map of copies, discards and swaps taking wires ``source`` to ``target``.

    Every wire of ``target`` must occur in ``source`` (which has no repeats).
    """
    counts = {w: 0 for w in source}
    for w in target:
        counts[w] += 1
    result = cat.id([])
    spread: list[int] = []
    for w in source:
        result = cat.tensor(result, _copies(cat, types[w], counts[w]))
        spread.extend([w] * counts[w])
    # spread holds each wire as often as target does, in source order; sort it
    # into target order by adjacent swaps (a bubble sort, drawn as a braid)
    rank: dict[int, list[int]] = {}
    for i, w in enumerate(target):
        rank.setdefault(w, []).append(i)
    position = [rank[w].pop(0) for w in spread]
    for i in range(len(position)):
        for j in range(len(position) - 1 - i):
            if position[j] > position[j + 1]:
                position[j], position[j + 1] = position[j + 1], position[j]
                spread[j], spread[j + 1] = spread[j + 1], spread[j]
                layer = cat.tensor(cat.tensor(
                    cat.id([types[w] for w in spread[:j]]),
                    cat.swap([types[spread[j + 1]]], [types[spread[j]]])),
                    cat.id([types[w] for w in spread[j + 2:]]))
                result = cat.compose(result, layer)
    return result


def _copies(cat: Category, ty: Any, n: int) -> Any:
    """``n`` copies of one wire: discard for 0, identity for 1, copies after."""
    if n == 0:
        return cat.discard([ty])
    result = cat.id([ty])
    for k in range(1, n):
        result = cat.compose(result, cat.tensor(cat.copy([ty]), cat.id([ty] * (k - 1))))
    return result
