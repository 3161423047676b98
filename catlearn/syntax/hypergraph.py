"""Open hypergraphs: the flat representation of a string diagram.

A diagram is stored as integer arrays (after P. Wilson's open hypergraphs,
specialised to Markov categories): a list of wires, each with one type and
exactly one *source* (a domain port or a box output), and a list of boxes in
topological order, each reading a tuple of wires and writing fresh ones. The
codomain is a tuple of wires. A wire read by several ports is a copy; a wire
read by none is a discard; swaps and identities are just reorderings of the
wire indices, so they cost nothing.

Evaluation in any function-like category is one straight loop over the boxes
(:func:`evaluate`), never nested closures.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

from catlearn.syntax.ty import Ob, Ty


@dataclass(frozen=True, eq=False)
class Hypergraph:
    """Wires, boxes over wire indices, and an ordered boundary."""

    wires: tuple[Ob, ...]
    boxes: tuple[Any, ...]
    inputs: tuple[tuple[int, ...], ...]
    outputs: tuple[tuple[int, ...], ...]
    dom: tuple[int, ...]
    cod: tuple[int, ...]
    _key: tuple = field(init=False, repr=False)

    def __post_init__(self):
        object.__setattr__(self, "_key", (self.wires, self.boxes, self.inputs,
                                          self.outputs, self.dom, self.cod))

    def __eq__(self, other) -> bool:
        """Equality as data (same arrays), not up to the axioms."""
        return isinstance(other, Hypergraph) and self._key == other._key

    def __hash__(self) -> int:
        return hash(self._key)

    @property
    def dom_type(self) -> Ty:
        return Ty.of(self.wires[w] for w in self.dom)

    @property
    def cod_type(self) -> Ty:
        return Ty.of(self.wires[w] for w in self.cod)

    def readers(self) -> list[list[tuple[int, int]]]:
        """For each wire, the (box, port) pairs that read it; box -1 is the codomain."""
        out: list[list[tuple[int, int]]] = [[] for _ in self.wires]
        for b, ins in enumerate(self.inputs):
            for port, w in enumerate(ins):
                out[w].append((b, port))
        for port, w in enumerate(self.cod):
            out[w].append((-1, port))
        return out

    def layers(self) -> list[int]:
        """The layer of each box: one more than the deepest box it reads from."""
        depth = [0] * len(self.wires)
        layer = []
        for ins, outs in zip(self.inputs, self.outputs):
            d = max((depth[w] for w in ins), default=0)
            layer.append(d)
            for w in outs:
                depth[w] = d + 1
        return layer


def evaluate(graph: Hypergraph, call: Callable[[int, Sequence[Any]], Sequence[Any]],
             inputs: Sequence[Any]) -> tuple:
    """Run ``graph`` as a straight-line program.

    ``call(i, args)`` computes the outputs of box ``i`` from the values on its
    input wires; the result is the tuple of values on the codomain wires.

    >>> from catlearn.syntax.diagram import Box
    >>> R = Ty("Real")
    >>> g = (Box("inc", R, R) >> Box("inc", R, R)).hypergraph
    >>> evaluate(g, lambda i, args: (args[0] + 1,), [40])
    (42,)
    """
    env: list[Any] = [None] * len(graph.wires)
    for w, x in zip(graph.dom, inputs):
        env[w] = x
    for i, (ins, outs) in enumerate(zip(graph.inputs, graph.outputs)):
        results = call(i, [env[w] for w in ins])
        for w, y in zip(outs, results):
            env[w] = y
    return tuple(env[w] for w in graph.cod)
