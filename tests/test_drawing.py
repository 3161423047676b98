"""Drawings show the diagram as written: one rectangle per box, one dot per
copy, one ground symbol per discard, crossing wires per swap, and a layout by
layers; the normal form and equations are drawn on request."""

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import pytest

from catlearn import Box, CatlearnTypeError, Copy, Discard, Equation, Id, Swap, Ty
from catlearn.syntax.drawing import BOX_HEIGHT, layout
from catlearn.syntax.model import INT, Plate

from diagram_strategies import R as RR, bracketed, slices  # noqa: E402

R = Ty("Real")
f, g = Box("f", R, R), Box("g", R, R)
merge = Box("merge", R @ R, R)


def artists(fig, kind: str) -> list:
    """The artists of a drawing whose gid starts with ``kind:``."""
    ax = fig.axes[0]
    return [a for a in ax.get_children() if (a.get_gid() or "").startswith(kind + ":")]


def texts(fig) -> list[str]:
    return [t.get_text() for t in fig.axes[0].texts]


def test_boxes_copies_and_discards_are_drawn():
    # the input is read three times, merge's output by nobody
    d = Copy(R, 3) >> (f @ g @ Id(R)) >> (merge @ Id(R)) >> (Discard(R) @ Id(R))
    fig = d.draw()
    assert len(artists(fig, "box")) == 3
    assert len(artists(fig, "copy")) == 1
    assert len(artists(fig, "discard")) == 1
    assert {"f", "g", "merge"} <= set(texts(fig))
    assert texts(fig).count("Real") == 1 + 3   # one label per wire


def test_copy_then_discard_is_drawn_as_written_and_its_normal_form_is_a_plain_wire():
    d = Copy(R) >> (f @ Discard(R))
    written = d.draw()
    assert len(artists(written, "box")) == 1
    assert len(artists(written, "copy")) == 1 and len(artists(written, "discard")) == 1
    simple = d.normal_form()
    assert simple == d
    fig = simple.draw()
    assert len(artists(fig, "box")) == 1
    assert not artists(fig, "copy") and not artists(fig, "discard")


def test_swaps_are_drawn_as_crossings_and_vanish_in_the_normal_form():
    d = Swap(R, R) >> Swap(R, R)
    assert len(artists(d.draw(), "swap")) == 2
    assert not artists(d.normal_form().draw(), "swap")
    assert d.normal_form() == Id(R @ R) and len(d.normal_form()) == 0


def test_the_normal_form_shares_and_prunes_boxes():
    det = Box("h", R, R, deterministic=True)
    d = Copy(R) >> (det @ det) >> (Id(R) @ (f >> Discard(R)))
    simple = d.normal_form()
    assert simple == d and len(d) == 3 and len(simple) == 1
    assert simple.dom == d.dom and simple.cod == d.cod


def test_both_sides_of_coassociativity_show_two_copies_each():
    c = Copy(R)
    law = Equation(c >> (c @ Id(R)), c >> (Id(R) @ c))
    assert law.holds
    fig = law.draw()
    for side in ("side0", "side1"):
        assert len(artists(fig, f"{side}/copy")) == 2
    assert "=" in texts(fig)


def test_an_equation_that_fails_says_so():
    law = Equation(f >> g, g >> f)
    assert not law.holds and not law
    assert "does not hold" in repr(law)
    assert law._repr_svg_().count('id="side1/box:') == 2
    assert not Equation(f, Box("f", R @ R, R)).holds   # types differ


def test_an_equation_refuses_what_is_not_a_diagram():
    with pytest.raises(CatlearnTypeError, match="side 2 of the equation is a int"):
        Equation(f, 3)
    with pytest.raises(CatlearnTypeError, match="two sides"):
        Equation(f)


def test_long_wires_split_where_they_are_copied():
    # the input feeds f at once and merge two rows later: one copy, no more
    d = Copy(R) >> ((f >> g) @ Id(R)) >> merge
    fig = d.draw()
    assert len(artists(fig, "copy")) == 1 and len(artists(fig, "box")) == 3


def test_loop_boxes_are_labelled_with_their_name():
    plate = Plate(Box("body", INT @ R, R), "i", 0, "N")
    fig = (f >> plate).draw()
    assert len(artists(fig, "box")) == 2
    assert plate.name in texts(fig) and plate.name.startswith("plate i")
    assert "Real[N]" in texts(fig)


def test_png_and_svg_files_are_written(tmp_path):
    d = (f @ g) >> merge
    d.draw(tmp_path / "h.png")
    d.draw(tmp_path / "h.svg")
    assert (tmp_path / "h.png").read_bytes().startswith(b"\x89PNG")
    svg = (tmp_path / "h.svg").read_text()
    assert svg.count('id="box:') == 3
    assert d._repr_svg_().count('id="box:') == 3


def test_empty_and_boxless_diagrams_draw():
    assert not artists(Id(Ty()).draw(), "box")
    assert len(artists(Discard(R @ R).draw(), "discard")) == 2


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_layout_is_layered_and_boxes_do_not_overlap(data):
    d = data.draw(bracketed(data.draw(slices(RR @ RR, length=15)), RR @ RR))
    graph, place = d.hypergraph, layout(d.hypergraph)
    source = {w: b for b, outs in enumerate(graph.outputs) for w in outs}
    for b, ins in enumerate(graph.inputs):
        for w in ins:  # every box sits below the boxes it reads from
            if w in source:
                assert place.box_xy[source[w]][1] >= place.box_xy[b][1] + 1
    rows: dict = {}
    for (x, y), width in zip(place.box_xy, place.box_width):
        rows.setdefault(y, []).append((x - width / 2, x + width / 2))
    for spans in rows.values():
        spans.sort()
        assert all(a[1] < b[0] for a, b in zip(spans, spans[1:]))
    assert all(-y >= BOX_HEIGHT for _, y in place.box_xy)
