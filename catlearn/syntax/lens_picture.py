"""The picture of a lens: a diagram's forward pass, then its backward pass.

A diagram sent through the reverse derivative is a lens; its backward pass
is the diagram read upside down. Each box ``f : A -> B`` gets a reverse box
``R[f] : A ⊗ B' -> A'`` (it reads the forward input again, a copy, and the
cotangent of its output), placed in reverse order; cotangents of a wire read
twice are added (the reverse of a copy is a sum), and a wire read by nobody
has cotangent zero (the reverse of a discard). The picture's domain is the
input and the codomain's cotangents, its codomain the output and the
input's cotangents: ``A ⊗ B' -> B ⊗ A'``.

>>> from catlearn.syntax import Box, Ty
>>> R = Ty("Real")
>>> both = backward_picture(Box("f", R, R) >> Box("g", R, R))
>>> [box.label for box in both.boxes], str(both.dom), str(both.cod)
(['f', 'g', 'R[g]', 'R[f]'], "Real * Real'", "Real * Real'")
"""
from __future__ import annotations

from catlearn.syntax.diagram import Box, Diagram, Graph
from catlearn.syntax.hypergraph import Hypergraph
from catlearn.syntax.ty import Ob, Ty


def cotangent(ob: Ob) -> Ob:
    """The type of the cotangent of a wire of type ``ob``: ``Real'``."""
    return Ob(f"{ob.name}'", ob.shape)


def backward_picture(diagram: Diagram) -> Diagram:
    """The forward pass of ``diagram`` and, under it, its backward pass."""
    graph = diagram.hypergraph
    wires = list(graph.wires)
    boxes, inputs, outputs = list(graph.boxes), list(graph.inputs), list(graph.outputs)
    # the cotangents reaching each forward wire, from its readers
    reaching: list[list[int]] = [[] for _ in graph.wires]

    def fresh(ob: Ob) -> int:
        wires.append(ob)
        return len(wires) - 1

    def add(name: str, ins: tuple, cod: Ob) -> int:
        out = fresh(cod)
        boxes.append(Box(name, Ty.of(wires[w] for w in ins), Ty.of([cod])))
        inputs.append(ins)
        outputs.append((out,))
        return out

    def total(w: int) -> int:
        """One wire carrying the sum of the cotangents reaching ``w``."""
        parts = reaching[w]
        if len(parts) == 1:
            return parts[0]
        return add("+" if parts else "0", tuple(parts), cotangent(graph.wires[w]))

    dom = list(graph.dom)
    for w in graph.cod:
        reaching[w].append(fresh(cotangent(graph.wires[w])))
        dom.append(reaching[w][-1])
    for box, ins, outs in reversed(list(zip(graph.boxes, graph.inputs, graph.outputs))):
        back = tuple(total(w) for w in outs)
        grads = tuple(fresh(cotangent(graph.wires[w])) for w in ins)
        label = box.label if isinstance(box, Box) else type(box).__name__.lower()
        boxes.append(Box(f"R[{label}]", Ty.of(wires[w] for w in ins + back),
                         Ty.of(wires[w] for w in grads)))
        inputs.append(ins + back)
        outputs.append(grads)
        for w, g in zip(ins, grads):
            reaching[w].append(g)
    cod = tuple(graph.cod) + tuple(total(w) for w in graph.dom)
    return Graph(Hypergraph(tuple(wires), tuple(boxes), tuple(inputs), tuple(outputs),
                            tuple(dom), cod))
