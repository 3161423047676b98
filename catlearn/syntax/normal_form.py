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
the same numbering. Boxes kept alive only by boxes that are not discardable
(scores) are walked after the codomain, from those roots, in the order of a
hash of each root's context (the term below it, relative to what is already
numbered, and how its ancestors are shared); after walking one of several
roots with equal hashes, the rest are hashed again, now relative to it. This
is exact whenever roots that stay tied are exchanged by a symmetry of the
diagram, which is the case for any diagram short of contrived, highly
symmetric webs of scores sharing random boxes; where it is not, two equal
diagrams could get different normal forms, never two different diagrams
equal ones (the normal form lists every box and wire, hashes only order it).
"""
from __future__ import annotations

from catlearn.syntax.hypergraph import Hypergraph


def normal_form(graph: Hypergraph) -> tuple:
    """The canonical form of ``graph`` (see the module docstring)."""
    rename, keep = _share(graph)
    keep = _prune(graph, rename, keep)
    return _number(graph, rename, keep)


def simplify(graph: Hypergraph) -> Hypergraph:
    """The hypergraph that the normal form numbers: shared and pruned, with
    the boxes in their original order and only the wires still in use."""
    rename, keep = _share(graph)
    alive = _prune(graph, rename, keep)
    boxes = [b for b in range(len(graph.boxes)) if alive[b]]
    used = list(graph.dom) + [w for b in boxes for w in graph.outputs[b]]
    fresh = {w: i for i, w in enumerate(used)}
    return Hypergraph(tuple(graph.wires[w] for w in used),
                      tuple(graph.boxes[b] for b in boxes),
                      tuple(tuple(fresh[rename[w]] for w in graph.inputs[b]) for b in boxes),
                      tuple(tuple(fresh[w] for w in graph.outputs[b]) for b in boxes),
                      tuple(range(len(graph.dom))),
                      tuple(fresh[rename[w]] for w in graph.cod))


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
    """Number the live boxes by depth-first walks, from the codomain first."""
    source = {}
    for b, outs in enumerate(graph.outputs):
        if alive[b]:
            for port, w in enumerate(outs):
                source[w] = (b, port)
    number = {w: i for i, w in enumerate(graph.dom)}
    body: list[tuple] = []
    visited = [False] * len(graph.boxes)

    def walk(start: int) -> None:
        """Number ``start`` after its unnumbered ancestors, inputs in port order."""
        stack = [(start, 0)]
        visited[start] = True
        while stack:
            b, i = stack.pop()
            ins = [rename[w] for w in graph.inputs[b]]
            while i < len(ins) and (ins[i] not in source or visited[source[ins[i]][0]]):
                i += 1
            if i < len(ins):
                stack.append((b, i + 1))
                above = source[ins[i]][0]
                visited[above] = True
                stack.append((above, 0))
                continue
            body.append((graph.boxes[b].key, tuple(number[w] for w in ins)))
            for w in graph.outputs[b]:
                number[w] = len(number)

    for w in graph.cod:
        w = rename[w]
        if w in source and not visited[source[w][0]]:
            walk(source[w][0])
    # what is left is kept alive by boxes that are not discardable (scores);
    # walk those roots in the order of a hash of their context, and hash
    # again after each tie, so that the choice among tied roots is remembered
    read = [False] * len(graph.boxes)
    for b, ins in enumerate(graph.inputs):
        if alive[b]:
            for w in ins:
                if rename[w] in source:
                    read[source[rename[w]][0]] = True
    roots = [b for b in range(len(graph.boxes)) if alive[b] and not visited[b] and not read[b]]
    while roots:
        context = _context_hashes(graph, rename, alive, visited, number, source)
        roots.sort(key=context.__getitem__)
        i = 0
        while i < len(roots):
            walk(roots[i])
            i += 1
            if i < len(roots) and context[roots[i]] == context[roots[i - 1]]:
                break
        roots = roots[i:]
    cod = tuple(number[rename[w]] for w in graph.cod)
    return (tuple(graph.wires[w] for w in graph.dom), tuple(body), cod)


def _context_hashes(graph: Hypergraph, rename: list[int], alive: list[bool],
                    visited: list[bool], number: dict, source: dict) -> dict[int, int]:
    """A hash of each unnumbered live box that sees the term below it (up to
    numbered wires), how its ancestors are shared (who reads them), and the
    same of its ancestors: one round of refinement up, down and up again."""
    todo = [b for b in range(len(graph.boxes)) if alive[b] and not visited[b]]

    def up(label: dict[int, int]) -> dict[int, int]:
        wire: dict[int, int] = {}
        out: dict[int, int] = {}
        for b in todo:
            ins = [rename[w] for w in graph.inputs[b]]
            out[b] = hash((label[b], tuple(hash(("n", number[w])) if w in number else wire[w]
                                           for w in ins)))
            for port, w in enumerate(graph.outputs[b]):
                wire[w] = hash((out[b], port))
        return out

    term = up({b: hash(graph.boxes[b].key) for b in todo})
    readers: dict[int, list] = {b: [] for b in todo}
    for b in todo:
        for port, w in enumerate(graph.inputs[b]):
            w = rename[w]
            if w not in number:
                above, out_port = source[w]
                readers[above].append((b, port, out_port))
    shared: dict[int, int] = {}
    for b in reversed(todo):
        shared[b] = hash((term[b], tuple(sorted((shared[r], p, q) for r, p, q in readers[b]))))
    return up(shared)
