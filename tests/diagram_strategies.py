"""Hypothesis strategies for random diagrams over a small signature, and for
pairs of diagrams equal by one axiom of Markov categories placed in a random
context. Shared by the diagram-law and functor-law tests."""
from __future__ import annotations

from dataclasses import dataclass

from hypothesis import strategies as st

from catlearn import Box, Copy, Discard, Graph, Hypergraph, Id, Swap, Ty

R, P = Ty("R"), Ty("P")
I = Ty()
ATOMS = [R, P]

SIGNATURE = [
    Box("f", R, R),                                  # random
    Box("g", R, R, deterministic=True),
    Box("m", R @ R, R),
    Box("d", R, R @ P, deterministic=True),
    Box("k", P, R),
    Box("c", I, R),                                  # a random constant
    Box("e", I, P, deterministic=True),
    Box("s", R, I, discardable=False),               # a score
    Box("u", R @ P, I),                              # discardable, no outputs
]


def structural(cur: Ty, k: int) -> list:
    """The structural generators that fit at wire ``k`` of ``cur``."""
    out = []
    if k < len(cur):
        a = cur[k:k + 1]
        out += [Copy(a), Copy(a, 3), Discard(a), Id(a)]
        if k + 1 < len(cur):
            out.append(Swap(a, cur[k + 1:k + 2]))
    return out


def fits(gen, cur: Ty, k: int) -> bool:
    return cur[k:k + len(gen.dom)] == gen.dom


def generators(cur: Ty, k: int, discards: bool = True, test=lambda g: True,
               signature: list = SIGNATURE) -> list:
    """The generators whose domain occurs in ``cur`` at wire ``k`` and that
    pass ``test``; without ``discards``, none that discards a wire."""
    return [g for g in signature + structural(cur, k) if fits(g, cur, k) and test(g)
            and (discards or not (isinstance(g, Discard)
                                  or isinstance(g, Box) and not g.cod and g.discardable))]


@dataclass(frozen=True)
class Slice:
    """``gen`` acting on the wires of a type from wire ``k``: Id @ gen @ Id."""

    left: Ty
    gen: object
    right: Ty

    @property
    def diagram(self):
        return Id(self.left) @ self.gen @ Id(self.right)

    @property
    def dom(self) -> Ty:
        return self.left @ self.gen.dom @ self.right

    @property
    def cod(self) -> Ty:
        return self.left @ self.gen.cod @ self.right


def whisker(gen, cur: Ty, k: int) -> Slice:
    return Slice(cur[:k], gen, cur[k + len(gen.dom):])


@st.composite
def slices(draw, dom: Ty, length: int = 8, discards: bool = True,
           signature: list = SIGNATURE) -> list:
    """A random list of composable slices ``Id @ generator @ Id`` from ``dom``."""
    out, cur = [], dom
    for _ in range(draw(st.integers(0, length))):
        k = draw(st.integers(0, len(cur)))
        gens = generators(cur, k, discards, signature=signature)
        if not gens:
            continue
        gen = draw(st.sampled_from(gens))
        out.append(whisker(gen, cur, k))
        cur = out[-1].cod
    return out


@st.composite
def bracketed(draw, parts: list, dom: Ty):
    """The composite of ``parts`` with a random bracketing."""
    if not parts:
        return Id(dom)
    if len(parts) == 1:
        return parts[0].diagram
    cut = draw(st.integers(1, len(parts) - 1))
    return draw(bracketed(parts[:cut], dom)) >> draw(bracketed(parts[cut:], parts[cut].dom))


def interchange(parts: list, i: int) -> list:
    """Slide slice ``i + 1`` past slice ``i`` when they touch disjoint wires."""
    a, b = parts[i], parts[i + 1]
    (ka, ga), (kb, gb) = (len(a.left), a.gen), (len(b.left), b.gen)
    if kb >= ka + len(ga.cod):      # b acts to the right of a
        first = whisker(gb, a.dom, kb - len(ga.cod) + len(ga.dom))
        second = whisker(ga, first.cod, ka)
    elif kb + len(gb.dom) <= ka:    # b acts to the left of a
        first = whisker(gb, a.dom, kb)
        second = whisker(ga, first.cod, ka - len(gb.dom) + len(gb.cod))
    else:
        return parts
    return parts[:i] + [first, second] + parts[i + 2:]


@st.composite
def shuffled(draw, parts: list) -> list:
    """``parts`` after a few random interchanges."""
    for _ in range(draw(st.integers(0, 2 * len(parts)))):
        if len(parts) < 2:
            break
        parts = interchange(parts, draw(st.integers(0, len(parts) - 2)))
    return parts


@st.composite
def axiom(draw, cur: Ty, discards: bool = True) -> tuple:
    """Two diagrams equal by one axiom, with domain ``cur[k:...]`` for a drawn
    ``k``; returns ``(k, left, right)`` or ``None`` if nothing fits."""
    k = draw(st.integers(0, len(cur)))
    a, rest = cur[k:k + 1], cur[k:]
    gens = generators(cur, k, discards)
    instances = []
    if gens:
        f = draw(st.sampled_from(gens))
        after = generators(cur, k + len(f.dom), discards)
        if after:
            g = draw(st.sampled_from(after))
            instances += [
                ((f @ Id(g.dom)) >> (Id(f.cod) @ g), f @ g),                       # interchange
                ((Id(f.dom) @ g) >> (f @ Id(g.cod)), f @ g),
                ((f @ g) >> Swap(f.cod, g.cod), Swap(f.dom, g.dom) >> (g @ f)),    # naturality
                ((f @ g) @ Id(I), f @ (g @ Id(I))),                                # units
            ]
        instances += [(Id(f.dom) >> f >> Id(f.cod), f)]
        det = generators(cur, k, discards, lambda g: not isinstance(g, Box) or g.deterministic)
        if det:
            h = draw(st.sampled_from(det))
            instances.append((h >> Copy(h.cod), Copy(h.dom) >> (h @ h)))          # copy natural
        if discards:
            dis = generators(cur, k, test=lambda g: not isinstance(g, Box) or g.discardable)
            if dis:
                h = draw(st.sampled_from(dis))
                instances.append((h >> Discard(h.cod), Discard(h.dom)))           # discard natural
    if a:
        instances += [
            (Copy(a) >> Swap(a, a), Copy(a)),                                      # commutative
            (Copy(a) >> (Copy(a) @ Id(a)), Copy(a) >> (Id(a) @ Copy(a))),          # associative
            (Copy(a) >> (Id(a) @ Copy(a)), Copy(a, 3)),
        ]
        if discards:
            instances += [(Copy(a) >> (Discard(a) @ Id(a)), Id(a))]               # counit
    if len(rest) >= 2:
        a, b = rest[:1], rest[1:2]
        instances += [
            (Swap(a, b) >> Swap(b, a), Id(a @ b)),                                 # involution
            (Copy(a @ b), (Copy(a) @ Copy(b)) >> (Id(a) @ Swap(a, b) @ Id(b))),
        ]
        if discards:
            instances += [(Discard(a @ b), Discard(a) @ Discard(b))]
    if not instances:
        return None
    left, right = draw(st.sampled_from(instances))
    if draw(st.booleans()):
        left, right = right, left
    return k, left, right


@st.composite
def equal_pair(draw, discards: bool = True) -> tuple:
    """Two diagrams equal by the axioms: a random prefix, one axiom at a
    random place, a random suffix, each side interchanged and bracketed
    independently. Returns ``(left, right, parts_of_right)``."""
    dom = Ty.of(atom for ty in draw(st.lists(st.sampled_from(ATOMS), max_size=3))
                for atom in ty.objects)
    prefix = draw(slices(dom, discards=discards))
    cur = prefix[-1].cod if prefix else dom
    found = draw(axiom(cur, discards))
    if found is None:
        return Id(dom), Id(dom), []
    k, left, right = found
    middle_l, middle_r = whisker(left, cur, k), whisker(right, cur, k)
    suffix = draw(slices(middle_l.cod, discards=discards))
    sides = []
    for middle in (middle_l, middle_r):
        parts = draw(shuffled(prefix + [middle] + suffix))
        sides.append((draw(bracketed(parts, dom)), parts))
    (left, _), (right, parts) = sides
    return left, right, parts


@st.composite
def reordered(draw, diagram):
    """The same diagram with its boxes in another topological order and its
    wires renumbered at random: an isomorphic hypergraph, as a diagram."""
    graph = diagram.hypergraph
    source = {w: b for b, outs in enumerate(graph.outputs) for w in outs}
    waiting = [sum(w in source for w in ins) for ins in graph.inputs]
    readers: dict = {}
    for b, ins in enumerate(graph.inputs):
        for w in ins:
            if w in source:
                readers.setdefault(source[w], []).append(b)
    ready, order = [b for b, n in enumerate(waiting) if n == 0], []
    while ready:
        b = ready.pop(draw(st.integers(0, len(ready) - 1)))
        order.append(b)
        for r in readers.get(b, []):
            waiting[r] -= 1
            if waiting[r] == 0:
                ready.append(r)
    perm = draw(st.permutations(range(len(graph.wires))))
    wires = [None] * len(graph.wires)
    for w, v in enumerate(perm):
        wires[v] = graph.wires[w]
    return Graph(Hypergraph(
        tuple(wires), tuple(graph.boxes[b] for b in order),
        tuple(tuple(perm[w] for w in graph.inputs[b]) for b in order),
        tuple(tuple(perm[w] for w in graph.outputs[b]) for b in order),
        tuple(perm[w] for w in graph.dom), tuple(perm[w] for w in graph.cod)))
