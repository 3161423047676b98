"""A model's picture as a student reads it (plate notation on a string diagram).

The model's diagram is redrawn, not re-run: each wire is named by the
variable it carries (the argument, the site, or the expression that computes
it, ``mu + tau * theta_raw[j]``); each site is one box saying what it is,
``mu ~ Normal(0, 5)``, shaded when the query observes it; constants are not
boxes but the values written in the boxes they feed; a size argument (``J``)
read by no box is not a wire; and a loop is a frame round its body with the
index and range on the frame, a scan's state looping from one step back to
the next.

The boxes are told apart by what they hold (a site, an op, a value, a
body), so this module does not import :mod:`catlearn.syntax.model`, which
draws its models with it.

>>> from catlearn.syntax import Ty
>>> from catlearn.syntax.model import Const, Sample
>>> R = Ty("Real")
>>> mu = (Const(0) @ Const(5)) >> Sample("mu", "Normal", R @ R, R)
>>> picture = model_picture(mu, [], observed={"mu"})
>>> [box.label for box in picture.graph.boxes], sorted(picture.shaded)
(['mu ~ Normal(0, 5)'], [0])
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Collection, Sequence

from catlearn.syntax.diagram import Box, Copy, Diagram, Discard
from catlearn.syntax.drawing import Frame, Picture
from catlearn.syntax.hypergraph import Hypergraph
from catlearn.syntax.ty import Ty, dim_str

INFIX = {"add": "+", "sub": "-", "mul": "*", "div": "/", "pow": "**", "lt": "<", "le": "<=",
         "gt": ">", "ge": ">=", "eq": "==", "ne": "!="}
"""The operators the language writes between their operands."""

LONGEST = 28  # characters of an expression shown on a wire before it is cut


def model_picture(diagram: Diagram, args: Sequence[str], observed: Collection[str] = (),
                  sizes: Collection[str] | None = None, returns: Sequence[str] = (),
                  unroll: int = 0) -> Picture:
    """The picture of a model's diagram whose domain wires are the arguments
    ``args`` and whose codomain wires are the ``returns``; sites in
    ``observed`` are shaded. An argument named in ``sizes`` (by default: any
    used as a dimension) is not drawn unless a box reads it. With ``unroll``,
    the first ``unroll`` steps of each top-level scan are drawn one frame
    each (``t = 1``), the state passing from one to the next, and the rest,
    if any, as a loop."""
    sizes = _dimension_names(diagram) if sizes is None else set(sizes)
    graph = _unrolled(diagram.written, unroll) if unroll else diagram.written
    given = _Given(names=dict(zip(graph.dom, args)), observed=set(observed), sizes=sizes)
    picture = _redraw(graph, given, list(graph.dom), var=None)
    # a returned value is named as the program names it (mu, not w * x + b)
    named = {w: name for w, name in zip(picture.graph.cod, returns) if w in picture.names}
    return replace(picture, names={**picture.names, **named})


@dataclass
class _Given:
    """What the redrawing of one (loop body) graph starts from: names of its
    domain wires, the text of those that are constants, the observed sites."""

    names: dict[int, str]
    observed: set[str]
    sizes: set[str]
    consts: dict[int, str] = field(default_factory=dict)


def _redraw(graph: Hypergraph, given: _Given, dom: list[int], var: str | None) -> Picture:
    """The picture of ``graph``, whose domain wires are ``dom`` in the order the
    picture takes them (constants among them are dropped)."""
    names, consts = dict(given.names), dict(given.consts)
    readers = graph.readers()
    kept: list[int] = []                # boxes drawn
    labels: dict[int, str] = {}         # their labels
    frames: dict[int, Frame] = {}
    shaded: set[int] = set()
    for b, (box, ins, outs) in enumerate(zip(graph.boxes, graph.inputs, graph.outputs)):
        shown = [consts.get(w, names.get(w, "·")) for w in ins]
        kind = _kind(box)
        if kind == "const" or (ins and all(w in consts for w in ins) and kind in ("prim", "copy")):
            # a constant, or a sum of constants: a value to write where it is read
            text = box.label if kind == "const" else _expression(box, shown)
            for w in outs:
                consts[w] = names[w] = text
            continue
        if kind == "discard" and all(w in consts for w in ins):
            continue
        kept.append(b)
        if kind == "sample":
            address = _address(box) + (f"[{var}]" if var is not None else "")
            labels[b] = f"{address} ~ {box.dist}({', '.join(shown)})"
            names[outs[0]] = address
            if box.data["site"] in given.observed:
                shaded.add(b)
        elif kind == "prim":
            labels[b] = _operator(box, [w in consts for w in ins], shown)
            names[outs[0]] = _expression(box, [names.get(w, "·") for w in ins])
        elif kind == "score":
            labels[b] = f"factor({', '.join(shown)})"
        elif kind == "loop":
            frames[b] = _loop_frame(box, ins, given, names, consts)
            labels[b] = box.label
            inner = frames[b].body
            for w, v in zip(outs, inner.graph.cod):
                names[w] = _stacked(inner.names.get(v, "·"), box)
        elif kind == "box":
            labels[b] = box.label
            for w in outs:
                names[w] = box.label
        else:  # a copy or a swap passes its names on, a discard ends them
            order = list(ins) * (len(outs) // max(len(ins), 1))
            if hasattr(box, "left"):  # a swap
                k = len(box.left)
                order = list(ins[k:]) + list(ins[:k])
            for w, v in zip(outs, order):
                names[w] = names.get(v, "·")
    drop = set(consts) | {w for w in dom if not readers[w] and names.get(w) in given.sizes}
    return _rebuilt(graph, kept, labels, names, frames, shaded, drop, dom)


def _kind(box: Diagram) -> str:
    """What a box of a model is, by what it holds."""
    if not isinstance(box, Box):
        return "copy" if isinstance(box, Copy) else "discard" if isinstance(box, Discard) \
            else "swap"
    data = box.data
    for kind, key in (("sample", "dist"), ("loop", "body"), ("prim", "op"), ("const", "value")):
        if key in data:
            return kind
    return "score" if box.name == "factor" and not box.discardable else "box"


def _address(sample: Box) -> str:
    """A site and, for one element of it, the index: ``y`` or ``x[0]``."""
    index = sample.data["index"]
    return sample.data["site"] + ("[" + ", ".join(map(str, index)) + "]" if index else "")


def _loop_frame(box: Box, ins: Sequence[int], given: _Given, names: dict, consts: dict) -> Frame:
    """A plate or scan as a frame round the picture of its body; one step of
    an unrolled scan as a frame whose index is that step's number."""
    body, var = box.body.written, box.data["var"]
    n_state = box.data.get("n_state", 0)
    index, carried = body.dom[0], body.dom[1:]
    step = _step(box)
    # an index no box reads is not drawn, as a size is not
    inner = _Given(names={index: var}, observed=given.observed, sizes={var})
    if step is not None:   # the index is a number, written where it is read
        inner.names[index] = inner.consts[index] = str(step)
    for w_outer, w in zip(ins, carried):
        inner.names[w] = names.get(w_outer, "·")
        if w_outer in consts:
            inner.consts[w] = consts[w_outer]
    previous = f"{var}-1" if step is None else str(step - 1)
    for k, w in enumerate(carried[:n_state]):  # the state read is the previous step's
        source = _source(body, body.cod[k])
        if source is not None and _kind(source) == "sample":
            inner.names[w] = f"{_address(source)}[{previous}]"
    picture = _redraw(body, inner, list(carried) + [index], var if step is None else str(step))
    if step is not None:
        return Frame(picture, f"{var} = {step}")
    return Frame(picture, f"{var} in {_range(box)}", n_state=n_state)


def _step(box: Box) -> int | None:
    """The one iteration a scan over ``range(t, t + 1)`` runs (an unrolled step)."""
    start, stop = box.data["start"], box.data["stop"]
    if "n_state" in box.data and isinstance(start, int) and stop == start + 1:
        return start
    return None


def _unrolled(graph: Hypergraph, steps: int) -> Hypergraph:
    """``graph`` with each scan over ``range(a, b)`` replaced by scans over
    ``range(a, a + 1)``, …, ``range(a + steps - 1, a + steps)`` chained by their
    state, then one over the rest (none when nothing is left)."""
    wires = list(graph.wires)
    boxes, inputs, outputs = [], [], []
    for box, ins, outs in zip(graph.boxes, graph.inputs, graph.outputs):
        if _kind(box) != "loop" or "n_state" not in box.data:
            boxes.append(box), inputs.append(ins), outputs.append(outs)
            continue
        n, var, start, stop = (box.data[k] for k in ("n_state", "var", "start", "stop"))
        state, shared = tuple(ins[:n]), tuple(ins[n:])
        last = start + steps if not isinstance(stop, int) else min(start + steps, stop)
        for t in range(start, last):
            one = type(box)(box.body, var, t, t + 1, n)
            final = t == last - 1 and last == stop
            fresh = outs if final else tuple(range(len(wires), len(wires) + len(outs)))
            if not final:
                wires.extend(one.cod.objects)
            boxes.append(one), inputs.append(state + shared), outputs.append(fresh)
            state = fresh[:n]
        if last != stop:
            boxes.append(type(box)(box.body, var, last, stop, n))
            inputs.append(state + shared), outputs.append(outs)
    return Hypergraph(tuple(wires), tuple(boxes), tuple(inputs), tuple(outputs),
                      graph.dom, graph.cod)


def _source(graph: Hypergraph, wire: int):
    """The box that writes ``wire`` (None for a domain wire)."""
    return next((box for box, outs in zip(graph.boxes, graph.outputs) if wire in outs), None)


def _range(box: Box) -> str:
    """``0..J-1``: the first and last value of the loop's index."""
    start, stop = box.data["start"], box.data["stop"]
    last = stop - 1 if isinstance(stop, int) else f"{dim_str(stop)}-1".replace(" ", "")
    return f"{dim_str(start)}..{last}"


def _stacked(name: str, box: Box) -> str:
    """The name of a loop's output: the body's ``y[j]`` is the loop's ``y``."""
    suffix = f"[{box.data['var']}]"
    if name.endswith(suffix):
        return name[:-len(suffix)]
    return name if "n_state" in box.data else f"[{name} for {box.data['var']}]"


def _operator(box: Box, constant: list[bool], shown: list[str]) -> str:
    """A primitive's label: its operator, with the constants it reads in place."""
    op = box.data["op"]
    if not any(constant):
        return INFIX.get(op, op)
    return _expression(box, [s if c else "·" for s, c in zip(shown, constant)])


def _expression(box: Diagram, args: list[str]) -> str:
    """What a primitive computes, written in terms of ``args``."""
    op = box.data.get("op", box.label) if isinstance(box, Box) else "copy"
    if op in INFIX and len(args) == 2:
        text = f"{args[0]} {INFIX[op]} {args[1]}"
    elif op == "neg" and len(args) == 1:
        text = f"-{args[0]}"
    elif op == "index" and args:
        static = [str(i) for i in box.data.get("static", ())]
        text = f"{args[0]}[{', '.join(static + args[1:])}]"
    elif op == "copy":
        text = args[0]
    else:
        text = f"{op}({', '.join(args)})"
    return text if len(text) <= LONGEST else text[:LONGEST - 1] + "…"


def _rebuilt(graph: Hypergraph, kept: list[int], labels: dict[int, str], names: dict[int, str],
             frames: dict[int, Frame], shaded: set[int], drop: set[int],
             dom: list[int]) -> Picture:
    """The hypergraph of the kept boxes, without the dropped wires, renumbered."""
    number: dict[int, int] = {}
    wires = []

    def wire(w: int) -> int:
        if w not in number:
            number[w] = len(wires)
            wires.append(graph.wires[w])
        return number[w]

    new_dom = tuple(wire(w) for w in dom if w not in drop)
    boxes, inputs, outputs = [], [], []
    for b in kept:
        ins = tuple(wire(w) for w in graph.inputs[b] if w not in drop)
        outs = tuple(wire(w) for w in graph.outputs[b])
        box = graph.boxes[b]
        if isinstance(box, Box):
            box = Box(labels[b], Ty.of(wires[w] for w in ins), Ty.of(wires[w] for w in outs))
        boxes.append(box)
        inputs.append(ins)
        outputs.append(outs)
    cod = tuple(wire(w) for w in graph.cod if w not in drop)
    structural = {number[w] for b in kept if not isinstance(graph.boxes[b], Box)
                  for w in graph.outputs[b]}
    shown = {number[w]: names[w] for w in number if w in names and number[w] not in structural}
    where = {b: k for k, b in enumerate(kept)}
    return Picture(Hypergraph(tuple(wires), tuple(boxes), tuple(inputs), tuple(outputs),
                              new_dom, cod),
                   names=shown, shaded=frozenset(where[b] for b in shaded),
                   frames={where[b]: frame for b, frame in frames.items()})


def _dimension_names(diagram: Diagram) -> set[str]:
    """Every name used as a dimension: in a wire's shape or a loop's range."""
    out: set[str] = set()
    todo = [diagram.hypergraph]
    while todo:
        graph = todo.pop()
        for ob in graph.wires:
            for d in ob.shape:
                out |= _names_in(d)
        for box in graph.boxes:
            if _kind(box) == "loop":
                out |= _names_in(box.data["start"]) | _names_in(box.data["stop"])
                todo.append(box.body.hypergraph)
    return out


def _names_in(dim) -> frozenset:
    if isinstance(dim, tuple):
        return _names_in(dim[1]) | _names_in(dim[2])
    return frozenset([dim]) if isinstance(dim, str) else frozenset()
