"""Drawing string diagrams with matplotlib.

The picture is read off the flat hypergraph, never off the nested tree: each
box sits in the row of its layer (one more than the deepest box it reads
from), the domain on top and the codomain at the bottom. Within a row, boxes
are ordered and placed at the barycentre of the wires they read, then pushed
apart so they do not overlap; a second sweep averages that with the
barycentre of where their outputs are read, which untangles most crossings.
A wire is a line from its source to each of its readers, labelled with its
type; a wire read twice or more splits at a dot (a copy), a wire read by
nobody ends in a ground symbol (a discard).

Every box is one ``Rectangle`` patch with gid ``"box:<i>"``, every copy one
dot with gid ``"copy:<wire>"``, every discard one line with gid
``"discard:<wire>"``, so a figure can be inspected as well as looked at.

>>> from catlearn.syntax import Ty, Box, Copy, Discard
>>> R = Ty("Real")
>>> fig = draw(Copy(R) >> (Box("f", R, R) @ Discard(R)))
>>> sorted(p.get_gid().split(":")[0] for p in fig.axes[0].patches)
['box']
>>> to_svg(Box("f", R, R)).lstrip().startswith("<?xml")
True
"""
from __future__ import annotations

import io
from dataclasses import dataclass, field
from typing import Any, Mapping, Union

from catlearn.syntax.hypergraph import Hypergraph

BOX_HEIGHT = 0.5   # in rows; a row is one unit of height
PORT_GAP = 1.0     # horizontal distance between neighbouring ports
BOX_GAP = 0.4      # horizontal space kept between boxes of one row
BEND_WIDTH = 0.3   # the room a wire takes in a row it crosses
STUB = 0.18        # length of the straight end of a wire at a port
INCHES = 0.75      # inches per unit at natural size
MAX_INCHES = 60.0  # beyond this the picture is scaled down, text included


@dataclass(frozen=True)
class Frame:
    """A box drawn as a frame around the picture of its body (a plate, a scan).

    The body's domain is the frame's inputs, in order, then the wires that
    start inside it (the loop index); its codomain is the frame's outputs. The
    first ``n_state`` inputs and outputs are a state carried from one
    iteration to the next, drawn as a wire looping round the frame.
    """

    body: "Picture"
    label: str
    n_state: int = 0


@dataclass(frozen=True)
class Picture:
    """A hypergraph with what its drawing shows beyond it: wire ``names``
    (drawn instead of types), ``shaded`` boxes (observed sites) and boxes
    drawn as ``frames`` around their bodies."""

    graph: Hypergraph
    names: Mapping[int, str] = field(default_factory=dict)
    shaded: frozenset = frozenset()
    frames: Mapping[int, Frame] = field(default_factory=dict)



@dataclass
class Layout:
    """Positions, in data units, of everything the picture shows.

    A wire runs from its source down through one *bend* per row it crosses
    (so long wires make room for themselves instead of crossing boxes); in
    ``route[w]`` each row it leaves from maps to the point it leaves at, and
    ``readers[w]`` lists the ports that read it with the row above them. A
    frame spans several rows; ``inner[b]`` is the layout of its body with the
    offset of the body's origin from the frame's centre.
    """

    box_xy: list[tuple[float, float]]
    box_width: list[float]
    route: list[dict[int, tuple[float, float]]]
    readers: list[list[tuple[int, tuple[float, float]]]]
    bottom: float
    box_height: list[float] = field(default_factory=list)
    inner: dict[int, tuple["Layout", float, float]] = field(default_factory=dict)
    dom_x: list[float] = field(default_factory=list)
    cod_x: list[float] = field(default_factory=list)


def layout(graph: Hypergraph, picture: Picture | None = None) -> Layout:
    """Place boxes by layer (rows) and barycentre (columns); a frame takes as
    many rows as its body needs."""
    frames = {} if picture is None else picture.frames
    inner = {b: _frame_inside(frame) for b, frame in frames.items()}
    span = [1 if b not in inner else _frame_rows(inner[b][0]) for b in range(len(graph.boxes))]
    layers = _layers(graph, span)
    n_rows = max((row + s for row, s in zip(layers, span)), default=0)
    cod_row = n_rows + 1
    source_row = [0] * len(graph.wires)
    last_row = [0] * len(graph.wires)
    for b, row in enumerate(layers):
        for w in graph.outputs[b]:
            source_row[w] = row + span[b]
        for w in graph.inputs[b]:
            last_row[w] = max(last_row[w], row + 1)
    for w in graph.cod:
        last_row[w] = cod_row
    rows: list[list[tuple[int, int]]] = [[] for _ in range(cod_row)]
    for b, row in enumerate(layers):
        rows[row + 1].append((0, b))
        for below in range(row + 2, row + span[b] + 1):
            rows[below].append((2, b))   # the frame keeps its room in every row
    for w in range(len(graph.wires)):
        for row in range(source_row[w] + 1, last_row[w]):
            rows[row].append((1, w))

    out = _place(graph, rows, {}, span, inner)
    # a second sweep pulls each box and bend towards what reads it as well
    pull: dict[tuple[int, int, int], float] = {}
    for row, items in enumerate(rows):
        for kind, i in items:
            if kind == 2:
                continue
            leaves = row + span[i] - 1 if kind == 0 else row
            ends = [x for w in (graph.outputs[i] if kind == 0 else (i,))
                    for r, (x, _) in out.readers[w] if r == leaves]
            if ends:
                pull[kind, i, row] = sum(ends) / len(ends)
    return _place(graph, rows, pull, span, inner)


def _layers(graph: Hypergraph, span: list[int]) -> list[int]:
    """The first row of each box: the row below the last row of what it reads."""
    depth = [0] * len(graph.wires)
    layer = []
    for b, (ins, outs) in enumerate(zip(graph.inputs, graph.outputs)):
        d = max((depth[w] for w in ins), default=0)
        layer.append(d)
        for w in outs:
            depth[w] = d + span[b]
    return layer


FRAME_PAD = 0.35   # room between a frame and what it holds


def _frame_inside(frame: Frame) -> tuple[Layout, float]:
    """The body's layout, its codomain stretched to the frame's bottom edge,
    and the width of the frame's label."""
    body = layout(frame.body.graph, frame.body)
    stretch(body, body.bottom - BOX_HEIGHT / 2)
    return body, 0.11 * len(frame.label) + 0.2


def _frame_rows(body: Layout) -> int:
    """The rows a frame spans: its height, ``rows - 1 + BOX_HEIGHT``, is the body's."""
    return round(-body.bottom + 1 - BOX_HEIGHT)


def stretch(place: Layout, bottom: float) -> None:
    """Move the codomain of a layout down to ``bottom``."""
    place.readers = [[(row, (px, bottom if py == place.bottom else py))
                      for row, (px, py) in readers] for readers in place.readers]
    place.bottom = bottom


def _place(graph: Hypergraph, rows: list[list[tuple[int, int]]],
           pull: dict[tuple[int, int, int], float], span: list[int],
           inner: dict[int, tuple[Layout, float]]) -> Layout:
    """One sweep down the rows: each item at the mean of where its wires come
    from and where ``pull`` says they go."""
    cod_row = len(rows)
    out = Layout(box_xy=[(0.0, 0.0)] * len(graph.boxes),
                 box_width=[_width(box) for box in graph.boxes],
                 route=[{} for _ in graph.wires], readers=[[] for _ in graph.wires],
                 bottom=-float(cod_row),
                 box_height=[s - 1 + BOX_HEIGHT for s in span])
    ports: dict[int, tuple[list[float], list[float]]] = {}
    for b, (body, label_width) in inner.items():
        lo, hi = _extent(body)
        out.box_width[b] = hi - lo + 2 * FRAME_PAD + label_width
        dx = -out.box_width[b] / 2 + FRAME_PAD - lo
        out.inner[b] = (body, dx, out.box_height[b] / 2)
        n_in = len(graph.inputs[b])
        ports[b] = ([x + dx for x in body.dom_x[:n_in]], [x + dx for x in body.cod_x])
    at = [0.0] * len(graph.wires)  # where each wire is, horizontally, so far
    for i, w in enumerate(graph.dom):
        at[w] = i * PORT_GAP
        out.route[w][0] = (at[w], 0.0)
    out.dom_x = [at[w] for w in graph.dom]
    for row in range(1, cod_row):
        y = -float(row)
        items = rows[row]
        wanted = [_barycentre([at[w] for w in graph.inputs[i]] if kind == 0 else [at[i]],
                              pull.get((kind, i, row))) if kind < 2 else out.box_xy[i][0]
                  for kind, i in items]
        # boxes with no inputs want nothing: keep them leftmost, in their order
        order = sorted(range(len(items)), key=lambda k: (
            float("-inf") if wanted[k] is None else wanted[k]))
        items = [items[k] for k in order]
        widths = [BEND_WIDTH if kind == 1 else out.box_width[i] for kind, i in items]
        centres = _spread([wanted[k] for k in order], widths, BOX_GAP)
        held = [(x, out.box_xy[i][0]) for (kind, i), x in zip(items, centres) if kind == 2]
        if held:  # a frame started above: the row moves so the frame stays put
            centres = [x + held[0][1] - held[0][0] for x in centres]
        for (kind, i), x in zip(items, centres):
            if kind == 2:
                continue
            if kind == 1:  # a bend of wire i
                at[i] = x
                out.route[i][row] = (x, y - BOX_HEIGHT / 2)
                out.readers[i].append((row - 1, (x, y + BOX_HEIGHT / 2)))
                continue
            top, height = y + BOX_HEIGHT / 2, out.box_height[i]
            out.box_xy[i] = (x, top - height / 2)
            ins, outs = ports.get(i) or (
                _ports(0.0, out.box_width[i], len(graph.inputs[i])),
                _ports(0.0, out.box_width[i], len(graph.outputs[i])))
            for w, px in zip(graph.inputs[i], ins):
                out.readers[w].append((row - 1, (x + px, top)))
            for w, px in zip(graph.outputs[i], outs):
                at[w] = x + px
                out.route[w][row + span[i] - 1] = (x + px, top - height)
    cod_x = _spread([at[w] for w in graph.cod], [PORT_GAP / 2] * len(graph.cod),
                    PORT_GAP / 2)
    for w, x in zip(graph.cod, cod_x):
        out.readers[w].append((cod_row - 1, (x, out.bottom)))
    out.cod_x = cod_x
    return out


def _width(box) -> float:
    ports = max(len(box.dom), len(box.cod), 1) * PORT_GAP
    if box.drawn_as != "box":  # a copy, discard or swap: room for its ports
        return ports - 0.3
    return max(ports - 0.3, 0.12 * len(box.label) + 0.3)


def _barycentre(sources: list[float], pull: float | None) -> float | None:
    """The mean of where the inputs come from, averaged with the pull."""
    here = sum(sources) / len(sources) if sources else None
    if pull is None or here is None:
        return pull if here is None else here
    return (here + pull) / 2


def _ports(centre: float, width: float, n: int) -> list[float]:
    step = width / n if n else 0.0
    return [centre - width / 2 + (i + 0.5) * step for i in range(n)]


def _spread(wanted: list[float | None], widths: list[float], gap: float) -> list[float]:
    """Centres, in the given order, as close to ``wanted`` as they can be
    without overlapping (``None`` wants nothing).

    Items are pushed right until they fit, then the whole row is shifted back
    by the mean displacement so it stays centred on what was wanted.
    """
    placed: list[float] = []
    right = None
    for x, width in zip(wanted, widths):
        left = x - width / 2 if x is not None else 0.0
        if right is not None:
            left = max(left, right + gap) if x is not None else right + gap
        placed.append(left + width / 2)
        right = left + width
    moves = [x - p for p, x in zip(placed, wanted) if x is not None]
    shift = sum(moves) / len(moves) if moves else 0.0
    return [p + shift for p in placed]


SIDE_GAP = 1.6     # horizontal room between the sides of an equation
LOOP_GAP = 0.25    # room between a frame and the state wire looping round it
SHADE = "0.85"     # the fill of a shaded box (an observed site)

Drawable = Union["Diagram", Picture]


def draw(diagram: Drawable, path: str | None = None, **options: Any) -> Any:
    """Draw ``diagram`` as written (or a :class:`Picture`); write it to ``path``
    (format from its suffix) if given. Options: ``wire_labels``, ``figsize``,
    ``fontsize``, ``dpi``.

    Returns the matplotlib ``Figure``. The figure has its own Agg canvas and
    never touches pyplot's global state, so drawing works headless and does
    not change the backend of a notebook.
    """
    return draw_sides([diagram], path, **options)


def picture_of(drawable: Drawable) -> Picture:
    """A diagram's picture as written: every wire labelled by its type."""
    return drawable if isinstance(drawable, Picture) else Picture(drawable.written)


def draw_sides(diagrams: list[Drawable], path: str | None = None, *,
               separator: str = "=", wire_labels: bool = True,
               figsize: tuple[float, float] | None = None, fontsize: float = 10.0,
               dpi: int = 100) -> Any:
    """Draw several diagrams side by side, ``separator`` between neighbours
    (an equation); with more than one side every gid is prefixed ``side<k>/``."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.text import Text

    pictures = [picture_of(d) for d in diagrams]
    places = [layout(p.graph, p) for p in pictures]
    offsets, spans, x = [], [], 0.0
    for place in places:
        lo, hi = _extent(place)
        offsets.append(x - lo)
        spans.append((x, x + hi - lo))
        x += hi - lo + SIDE_GAP
    x_max = x - SIDE_GAP
    bottom = min(place.bottom for place in places)
    for place in places:  # every side ends on one line: stretch the codomain wires
        stretch(place, bottom)
    width, height = x_max + 2.0, -bottom + 1.0
    scale = min(1.0, MAX_INCHES / (INCHES * max(width, height)))
    if figsize is None:
        figsize = (max(INCHES * width * scale, 1.0), max(INCHES * height * scale, 1.0))
    font = fontsize * scale

    fig = Figure(figsize=figsize, dpi=dpi)
    FigureCanvasAgg(fig)
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_xlim(-1.0, x_max + 1.0)
    ax.set_ylim(bottom - 0.5, 0.5)
    ax.axis("off")
    for k, (picture, place, dx, span) in enumerate(zip(pictures, places, offsets, spans)):
        prefix = f"side{k}/" if len(pictures) > 1 else ""
        pen = _Pen(ax, scale, font, wire_labels)
        _render(pen, picture, place, (dx, 0.0), prefix)
        pen.finish(prefix)
        for y, gid in ((0.0, "dom"), (place.bottom, "cod")):
            ax.plot(span, (y, y), color="0.75", linewidth=0.5 * scale, linestyle=":",
                    gid=prefix + gid)
        if k:
            ax.add_artist(Text(span[0] - SIDE_GAP / 2, bottom / 2, separator, ha="center",
                               va="center", fontsize=2 * font, gid=f"separator:{k}"))
    if path is not None:
        fig.savefig(path, dpi=dpi)
    return fig


def _extent(place: Layout) -> tuple[float, float]:
    """The leftmost and rightmost points of a layout."""
    xs = [x for route in place.route for x, _ in route.values()] + [
        x for readers in place.readers for _, (x, _) in readers] + [
        x + side * w / 2 for (x, _), w in zip(place.box_xy, place.box_width)
        for side in (-1, 1)]
    return (min(xs), max(xs)) if xs else (0.0, 0.0)


@dataclass
class _Pen:
    """Where one side is drawn, and the wires and dots collected for it."""

    ax: Any
    scale: float
    font: float
    wire_labels: bool
    segments: list = field(default_factory=list)
    dots: list = field(default_factory=list)

    def text(self, xy: tuple[float, float], text: str, gid: str, **style: Any) -> None:
        from matplotlib.text import Text
        self.ax.add_artist(Text(xy[0], xy[1], text, gid=gid, **style))

    def finish(self, prefix: str) -> None:
        from matplotlib.collections import LineCollection
        self.ax.add_collection(LineCollection(self.segments, colors="black",
                                              linewidths=self.scale, gid=f"{prefix}wires"),
                               autolim=False)
        for (x, y), gid in self.dots:
            self.ax.plot([x], [y], "o", color="black", markersize=5 * self.scale, gid=gid)


def _render(pen: _Pen, picture: Picture, place: Layout, offset: tuple[float, float],
            prefix: str) -> None:
    """Draw one laid-out picture, shifted by ``offset``; frames draw their
    bodies inside them, with gids prefixed ``frame<b>/``."""
    from matplotlib.patches import Rectangle

    graph = picture.graph
    dx, dy = offset

    def at(point):
        return (point[0] + dx, point[1] + dy)

    labels = _wire_labels(picture) if pen.wire_labels else {}
    for w, route in enumerate(place.route):
        leaving: dict[int, list] = {row: [] for row in route}
        for row, point in place.readers[w]:
            leaving[row].append(at(point))
        first = min(route)
        if w in labels:
            x, y = at(route[first])
            pen.text((x + 0.06, y - STUB / 2), labels[w], f"{prefix}name:w{w}",
                     fontsize=0.8 * pen.font, ha="left", va="center", color="0.3")
        for row, point in route.items():
            x, y = at(point)
            if row != first:  # a bend: the wire crosses this row straight down
                pen.segments.append([(x, y + BOX_HEIGHT), (x, y)])
            ends = leaving[row]
            if len(ends) == 1:
                pen.segments.append(_wire((x, y), ends[0]))
                continue
            split = (x, y - STUB)
            pen.segments.append([(x, y), split])
            if not ends:
                pen.ax.add_line(_ground(split, gid=f"{prefix}discard:w{w}"))
                continue
            pen.dots.append((split, f"{prefix}copy:w{w}"))
            pen.segments.extend(_wire(split, end, stub=False) for end in ends)

    for b, (centre, w) in enumerate(zip(place.box_xy, place.box_width)):
        box, (x, y), h = graph.boxes[b], at(centre), place.box_height[b]
        if box.drawn_as != "box":
            _structural(pen.ax, box, (x, y), w, f"{prefix}{type(box).__name__.lower()}:{b}",
                        pen.scale, pen.segments, pen.dots)
            continue
        if b in picture.frames:
            _frame(pen, picture.frames[b], place, b, (x, y), prefix)
            continue
        pen.ax.add_artist(Rectangle(
            (x - w / 2, y - h / 2), w, h, linewidth=pen.scale,
            facecolor=SHADE if b in picture.shaded else "white", edgecolor="black",
            linestyle="--" if "body" in box.data else "-", zorder=2,  # a loop drawn shut
            gid=f"{prefix}box:{b}"))
        pen.text((x, y), box.label, f"{prefix}label:{b}", ha="center", va="center",
                 fontsize=pen.font, zorder=3)


def _frame(pen: _Pen, frame: Frame, place: Layout, b: int, centre: tuple[float, float],
           prefix: str) -> None:
    """A frame: a rectangle round its body, its label in the lower right
    corner, and each state wire looping from the bottom back to the top."""
    from matplotlib.lines import Line2D
    from matplotlib.patches import Rectangle

    (x, y), w, h = centre, place.box_width[b], place.box_height[b]
    left, right, top, bottom = x - w / 2, x + w / 2, y + h / 2, y - h / 2
    pen.ax.add_artist(Rectangle((left, bottom), w, h, facecolor="none", edgecolor="0.3",
                                linewidth=pen.scale, zorder=1, gid=f"{prefix}frame:{b}"))
    pen.text((right - 0.1, bottom + 0.12), frame.label, f"{prefix}frame-label:{b}",
             ha="right", va="bottom", fontsize=0.9 * pen.font, color="0.2")
    body, bx, by = place.inner[b]
    _render(pen, frame.body, body, (x + bx, y + by), f"{prefix}frame{b}/")
    for k in range(frame.n_state):
        x_out, x_in = x + bx + body.cod_x[k], x + bx + body.dom_x[k]
        gap = LOOP_GAP * (k + 1)
        pen.ax.add_line(Line2D(
            [x_out, x_out, right + gap, right + gap, x_in, x_in],
            [bottom, bottom - gap, bottom - gap, top + gap, top + gap, top],
            color="0.3", linestyle="--", linewidth=pen.scale, gid=f"{prefix}loop:{b}.{k}"))


def _wire_labels(picture: Picture) -> dict[int, str]:
    """The label of each labelled wire: its name in the picture, or else its
    type where it starts (at the domain or a box)."""
    if picture.names:
        return dict(picture.names)
    graph = picture.graph
    return {w: str(graph.wires[w]) for w, labelled in enumerate(_labelled_wires(graph))
            if labelled}


def _labelled_wires(graph: Hypergraph) -> list[bool]:
    """Which wires carry a type label: those of the domain and of box outputs
    (what leaves a copy or a swap has the type of what entered it)."""
    out = [False] * len(graph.wires)
    for w in graph.dom:
        out[w] = True
    for box, outs in zip(graph.boxes, graph.outputs):
        for w in outs:
            out[w] = box.drawn_as == "box"
    return out


def _structural(ax, node: Diagram, centre: tuple[float, float], width: float, gid: str,
                scale: float, segments: list, dots: list) -> None:
    """A copy as a dot per atom, a discard as a ground symbol per atom, a swap
    as crossing wires: lines from the node's top ports to its bottom ports."""
    x, y = centre
    top = [(px, y + BOX_HEIGHT / 2) for px in _ports(x, width, len(node.dom))]
    bottom = [(px, y - BOX_HEIGHT / 2) for px in _ports(x, width, len(node.cod))]
    if node.drawn_as == "swap":
        from matplotlib.collections import LineCollection
        k, n = len(node.left), len(node.dom)
        # output p is input p + k, cyclically
        ax.add_collection(LineCollection(
            [[top[(p + k) % n], end] for p, end in enumerate(bottom)], colors="black",
            linewidths=scale, gid=gid), autolim=False)
        return
    for j, (px, py) in enumerate(top):
        split = (px, y)
        segments.append([(px, py), split])
        if node.drawn_as == "discard" or node.n == 0:
            ax.add_line(_ground(split, gid=f"{gid}.{j}"))
            continue
        ends = bottom[j::len(node.dom)]
        if len(ends) > 1:
            dots.append((split, f"{gid}.{j}"))
        segments.extend([split, end] for end in ends)


def _wire(start, end, stub: bool = True) -> list[tuple[float, float]]:
    """A wire from ``start`` down to ``end``: straight ends, slanted middle."""
    (x0, y0), (x1, y1) = start, end
    first = (x0, y0 - STUB) if stub else (x0, y0)
    return [(x0, y0), first, (x1, y1 + STUB), (x1, y1)]


def _ground(at, gid: str):
    """The ground symbol of a discard: three bars, shorter and shorter."""
    from matplotlib.lines import Line2D
    x, y = at
    nan = float("nan")
    xs, ys = [], []
    for i, half in enumerate((0.2, 0.13, 0.06)):
        xs += [x - half, x + half, nan]
        ys += [y - 0.06 * i] * 2 + [nan]
    return Line2D(xs, ys, color="black", gid=gid)


def to_svg(diagram: Diagram, **options: Any) -> str:
    """The drawing of ``diagram`` as an SVG document (for Jupyter's ``_repr_svg_``)."""
    return svg_of(draw(diagram, **options))


def svg_of(figure: Any) -> str:
    """A matplotlib figure as an SVG document."""
    from matplotlib import rc_context
    buffer = io.StringIO()
    with rc_context({"svg.fonttype": "none"}):  # text stays text: searchable, small
        figure.savefig(buffer, format="svg")
    return buffer.getvalue()
