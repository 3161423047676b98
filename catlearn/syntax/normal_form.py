"""Deciding equality of diagrams in a Markov category, in linear time.

Two diagrams are equal up to the axioms of symmetric monoidal categories with
a commutative comonoid on every wire (copy, discard), discard natural for all
boxes and copy natural for deterministic boxes, exactly when their normal
forms below are equal. The normal form of a hypergraph is computed in three
passes:

1. *share*: deterministic boxes with the same label reading the same wires
   are one box (naturality of copy, ``f ; copy = copy ; f ⊗ f``);
2. *prune*: boxes none of whose outputs is read, and that are discardable,
   are removed (naturality of discard, ``f ; del = del``);
3. *number*: boxes are numbered by a depth-first walk from the ordered
   codomain, each box after the boxes it reads from, in port order.

Swaps, identities, copies and discards are already invisible in a hypergraph,
so the symmetric monoidal and comonoid axioms hold by construction; the walk
is determined by the ordered boundary and ports, so isomorphic hypergraphs get
the same numbering. Boxes that are not discardable but whose outputs reach no
codomain port (scores) are walked after the codomain, ordered by a structural
hash; ties between such sinks with equal hashes are broken by their order of
construction, which may leave two equal diagrams with different normal forms
(never two different diagrams with equal ones).
"""
from __future__ import annotations

from catlearn.syntax.hypergraph import Hypergraph


def normal_form(graph: Hypergraph) -> tuple:
    """The canonical form of ``graph`` (see the module docstring)."""
    rename, keep = _share(graph)
    keep = _prune(graph, rename, keep)
    return _number(graph, rename, keep)


def _share(graph: Hypergraph) -> tuple[list[int], list[bool]]:
    """Merge deterministic boxes with equal labels and equal inputs."""
    rename = list(range(len(graph.wires)))
    keep = [True] * len(graph.boxes)
    seen: dict = {}
    for b, (box, ins, outs) in enumerate(zip(graph.boxes, graph.inputs, graph.outputs)):
        if not box.deterministic:
            continue
        key = (box.key, tuple(rename[w] for w in ins))
        first = seen.setdefault(key, b)
        if first != b:
            keep[b] = False
            for w, v in zip(outs, graph.outputs[first]):
                rename[w] = v
    return rename, keep


def _prune(graph: Hypergraph, rename: list[int], keep: list[bool]) -> list[bool]:
    """Remove discardable boxes whose outputs are never read."""
    live = [False] * len(graph.wires)
    for w in graph.cod:
        live[rename[w]] = True
    alive = [False] * len(graph.boxes)
    for b in range(len(graph.boxes) - 1, -1, -1):
        if not keep[b]:
            continue
        box = graph.boxes[b]
        if not box.discardable or any(live[w] for w in graph.outputs[b]):
            alive[b] = True
            for w in graph.inputs[b]:
                live[rename[w]] = True
    return alive


def _number(graph: Hypergraph, rename: list[int], alive: list[bool]) -> tuple:
    source = {}
    for b, outs in enumerate(graph.outputs):
        if alive[b]:
            for port, w in enumerate(outs):
                source[w] = (b, port)
    order: list[int] = []
    visited = [False] * len(graph.boxes)

    def walk(wire: int) -> None:
        stack = [(source[wire][0], 0)] if wire in source else []
        while stack:
            b, i = stack.pop()
            if i == 0 and visited[b]:
                continue
            visited[b] = True
            ins = graph.inputs[b]
            while i < len(ins) and (rename[ins[i]] not in source
                                    or visited[source[rename[ins[i]]][0]]):
                i += 1
            if i == len(ins):
                order.append(b)
            else:
                stack.append((b, i + 1))
                stack.append((source[rename[ins[i]]][0], 0))

    for w in graph.cod:
        walk(rename[w])
    sinks = [b for b in range(len(graph.boxes)) if alive[b] and not visited[b]]
    if sinks:
        hashes = _structural_hashes(graph, rename, alive)
        for b in sorted(sinks, key=lambda b: hashes[b]):
            if not visited[b]:
                walk(graph.outputs[b][0]) if graph.outputs[b] else _walk_sink(b, walk, source)
    number = {w: i for i, w in enumerate(graph.dom)}
    body = []
    for b in order:
        body.append((graph.boxes[b].key, tuple(number[rename[w]] for w in graph.inputs[b])))
        for w in graph.outputs[b]:
            number[w] = len(number)
    cod = tuple(number[rename[w]] for w in graph.cod)
    return (tuple(graph.wires[w] for w in graph.dom), tuple(body), cod)


def _walk_sink(b: int, walk, source: dict) -> None:
    """Walk a box with no outputs by pretending it writes one wire."""
    fake = -1 - b
    source[fake] = (b, 0)
    walk(fake)


def _structural_hashes(graph: Hypergraph, rename: list[int], alive: list[bool]) -> list[int]:
    """A hash of the term below each box (its label and its inputs' terms)."""
    wire_hash = {w: hash(("dom", i)) for i, w in enumerate(graph.dom)}
    box_hash = [0] * len(graph.boxes)
    for b in range(len(graph.boxes)):
        if not alive[b]:
            continue
        h = hash((graph.boxes[b].key, tuple(wire_hash[rename[w]] for w in graph.inputs[b])))
        box_hash[b] = h
        for port, w in enumerate(graph.outputs[b]):
            wire_hash[w] = hash((h, port))
    return box_hash
