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
from dataclasses import dataclass
from typing import Any

from catlearn.syntax.diagram import Diagram
from catlearn.syntax.hypergraph import Hypergraph

BOX_HEIGHT = 0.5   # in rows; a row is one unit of height
PORT_GAP = 1.0     # horizontal distance between neighbouring ports
BOX_GAP = 0.4      # horizontal space kept between boxes of one row
BEND_WIDTH = 0.3   # the room a wire takes in a row it crosses
STUB = 0.18        # length of the straight end of a wire at a port
INCHES = 0.75      # inches per unit at natural size
MAX_INCHES = 60.0  # beyond this the picture is scaled down, text included


@dataclass
class Layout:
    """Positions, in data units, of everything the picture shows.

    A wire runs from its source down through one *bend* per row it crosses
    (so long wires make room for themselves instead of crossing boxes); in
    ``route[w]`` each row it leaves from maps to the point it leaves at, and
    ``readers[w]`` lists the ports that read it with the row above them.
    """

    box_xy: list[tuple[float, float]]
    box_width: list[float]
    route: list[dict[int, tuple[float, float]]]
    readers: list[list[tuple[int, tuple[float, float]]]]
    bottom: float


def layout(graph: Hypergraph) -> Layout:
    """Place boxes by layer (rows) and barycentre (columns)."""
    layers = graph.layers()
    n_rows = max(layers, default=-1) + 1
    cod_row = n_rows + 1
    source_row = [0] * len(graph.wires)
    last_row = [0] * len(graph.wires)
    for b, row in enumerate(layers):
        for w in graph.outputs[b]:
            source_row[w] = row + 1
        for w in graph.inputs[b]:
            last_row[w] = max(last_row[w], row + 1)
    for w in graph.cod:
        last_row[w] = cod_row
    rows: list[list[tuple[int, int]]] = [[] for _ in range(cod_row)]
    for b, row in enumerate(layers):
        rows[row + 1].append((0, b))
    for w in range(len(graph.wires)):
        for row in range(source_row[w] + 1, last_row[w]):
            rows[row].append((1, w))

    out = _place(graph, rows, {})
    # a second sweep pulls each box and bend towards what reads it as well
    pull: dict[tuple[int, int, int], float] = {}
    for row, items in enumerate(rows):
        for kind, i in items:
            ends = [x for w in (graph.outputs[i] if kind == 0 else (i,))
                    for r, (x, _) in out.readers[w] if r == row]
            if ends:
                pull[kind, i, row] = sum(ends) / len(ends)
    return _place(graph, rows, pull)


def _place(graph: Hypergraph, rows: list[list[tuple[int, int]]],
           pull: dict[tuple[int, int, int], float]) -> Layout:
    """One sweep down the rows: each item at the mean of where its wires come
    from and where ``pull`` says they go."""
    cod_row = len(rows)
    out = Layout(box_xy=[(0.0, 0.0)] * len(graph.boxes),
                 box_width=[_width(box) for box in graph.boxes],
                 route=[{} for _ in graph.wires], readers=[[] for _ in graph.wires],
                 bottom=-float(cod_row))
    at = [0.0] * len(graph.wires)  # where each wire is, horizontally, so far
    for i, w in enumerate(graph.dom):
        at[w] = i * PORT_GAP
        out.route[w][0] = (at[w], 0.0)
    for row in range(1, cod_row):
        y = -float(row)
        items = rows[row]
        wanted = [_barycentre([at[w] for w in graph.inputs[i]] if kind == 0 else [at[i]],
                              pull.get((kind, i, row)))
                  for kind, i in items]
        # boxes with no inputs want nothing: keep them leftmost, in their order
        order = sorted(range(len(items)), key=lambda k: (
            float("-inf") if wanted[k] is None else wanted[k]))
        items = [items[k] for k in order]
        widths = [out.box_width[i] if kind == 0 else BEND_WIDTH for kind, i in items]
        centres = _spread([wanted[k] for k in order], widths, BOX_GAP)
        for (kind, i), x in zip(items, centres):
            if kind == 1:  # a bend of wire i
                at[i] = x
                out.route[i][row] = (x, y - BOX_HEIGHT / 2)
                out.readers[i].append((row - 1, (x, y + BOX_HEIGHT / 2)))
                continue
            out.box_xy[i] = (x, y)
            for w, px in zip(graph.inputs[i], _ports(x, out.box_width[i], len(graph.inputs[i]))):
                out.readers[w].append((row - 1, (px, y + BOX_HEIGHT / 2)))
            for w, px in zip(graph.outputs[i], _ports(x, out.box_width[i], len(graph.outputs[i]))):
                at[w] = px
                out.route[w][row] = (px, y - BOX_HEIGHT / 2)
    cod_x = _spread([at[w] for w in graph.cod], [PORT_GAP / 2] * len(graph.cod),
                    PORT_GAP / 2)
    for w, x in zip(graph.cod, cod_x):
        out.readers[w].append((cod_row - 1, (x, out.bottom)))
    return out


def _width(box) -> float:
    ports = max(len(box.dom), len(box.cod), 1) * PORT_GAP
    return max(ports - 0.3, 0.12 * len(box.name) + 0.3)


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


def draw(diagram: Diagram, path: str | None = None, *, wire_labels: bool = True,
         figsize: tuple[float, float] | None = None, fontsize: float = 10.0,
         dpi: int = 100) -> Any:
    """Draw ``diagram``; write it to ``path`` (format from its suffix) if given.

    Returns the matplotlib ``Figure``. The figure has its own Agg canvas and
    never touches pyplot's global state, so drawing works headless and does
    not change the backend of a notebook.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.collections import LineCollection
    from matplotlib.figure import Figure
    from matplotlib.patches import Rectangle
    from matplotlib.text import Text

    graph = diagram.hypergraph
    place = layout(graph)
    xs = [x for route in place.route for x, _ in route.values()] + [
        x for readers in place.readers for _, (x, _) in readers] + [
        x + side * w / 2 for (x, _), w in zip(place.box_xy, place.box_width)
        for side in (-1, 1)]
    x_min, x_max = (min(xs), max(xs)) if xs else (0.0, 0.0)
    width, height = x_max - x_min + 2.0, -place.bottom + 1.0
    scale = min(1.0, MAX_INCHES / (INCHES * max(width, height)))
    if figsize is None:
        figsize = (max(INCHES * width * scale, 1.0), max(INCHES * height * scale, 1.0))
    font = fontsize * scale

    fig = Figure(figsize=figsize, dpi=dpi)
    FigureCanvasAgg(fig)
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_xlim(x_min - 1.0, x_max + 1.0)
    ax.set_ylim(place.bottom - 0.5, 0.5)
    ax.axis("off")

    segments, dots = [], []
    for w, route in enumerate(place.route):
        leaving: dict[int, list] = {row: [] for row in route}
        for row, point in place.readers[w]:
            leaving[row].append(point)
        first = min(route)
        if wire_labels:
            x, y = route[first]
            ax.add_artist(Text(x + 0.06, y - STUB / 2, str(graph.wires[w]),
                               fontsize=0.8 * font, ha="left", va="center", color="0.3"))
        for row, (x, y) in route.items():
            if row != first:  # a bend: the wire crosses this row straight down
                segments.append([(x, y + BOX_HEIGHT), (x, y)])
            ends = leaving[row]
            if len(ends) == 1:
                segments.append(_wire((x, y), ends[0]))
                continue
            split = (x, y - STUB)
            segments.append([(x, y), split])
            if not ends:
                ax.add_line(_ground(split, gid=f"discard:{w}"))
                continue
            dots.append((split, f"copy:{w}"))
            segments.extend(_wire(split, end, stub=False) for end in ends)
    ax.add_collection(LineCollection(segments, colors="black", linewidths=scale,
                                     gid="wires"), autolim=False)
    for (x, y), gid in dots:
        ax.plot([x], [y], "o", color="black", markersize=5 * scale, gid=gid)

    loop = _loop_kinds()
    for b, ((x, y), w) in enumerate(zip(place.box_xy, place.box_width)):
        box = graph.boxes[b]
        ax.add_artist(Rectangle((x - w / 2, y - BOX_HEIGHT / 2), w, BOX_HEIGHT,
                                facecolor="white", edgecolor="black", linewidth=scale,
                                linestyle="--" if isinstance(box, loop) else "-",
                                zorder=2, gid=f"box:{b}"))
        ax.add_artist(Text(x, y, box.name, ha="center", va="center", fontsize=font,
                           zorder=3))
    for y, gid in ((0.0, "dom"), (place.bottom, "cod")):
        ax.axhline(y, color="0.75", linewidth=0.5 * scale, linestyle=":", gid=gid)
    if path is not None:
        fig.savefig(path, dpi=dpi)
    return fig


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


def _loop_kinds() -> type:
    from catlearn.syntax.model import _Loop
    return _Loop


def to_svg(diagram: Diagram, **options: Any) -> str:
    """The drawing of ``diagram`` as an SVG document (for Jupyter's ``_repr_svg_``)."""
    buffer = io.StringIO()
    draw(diagram, **options).savefig(buffer, format="svg")
    return buffer.getvalue()
