"""Equality of diagrams decides the axioms of Markov categories: diagrams
rewritten by the axioms stay equal (with equal hashes), and renaming any one
box makes them different."""

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from catlearn import Box, Copy, Id, Swap, Ty

from diagram_strategies import (R, SIGNATURE, bracketed, equal_pair, reordered,  # noqa: E402
                                shuffled, slices)

SETTINGS = settings(max_examples=150, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(st.data())
def test_rewrites_by_the_axioms_stay_equal(data):
    left, right, _ = data.draw(equal_pair())
    assert left == right
    assert hash(left) == hash(right)
    # any isomorphic hypergraph (boxes in another topological order, wires
    # renumbered) is the same diagram
    again = data.draw(reordered(right))
    assert left == again and hash(left) == hash(again)


@SETTINGS
@given(st.data())
def test_renaming_one_box_breaks_equality(data):
    # without discards every box reaches the codomain or is a score, so no
    # box can vanish from the normal form and a renamed one must show
    left, right, parts = data.draw(equal_pair(discards=False))
    boxes = [i for i, part in enumerate(parts) if isinstance(part.gen, Box)]
    if not boxes:
        return
    i = data.draw(st.sampled_from(boxes))
    box = parts[i].gen
    renamed = Box(box.name + "'", box.dom, box.cod, deterministic=box.deterministic,
                  discardable=box.discardable)
    parts = parts[:i] + [type(parts[i])(parts[i].left, renamed, parts[i].right)] + parts[i + 1:]
    other = data.draw(bracketed(parts, right.dom))
    assert other != left and other != right


@SETTINGS
@given(st.data())
def test_interchange_and_bracketing_preserve_the_hypergraph_up_to_equality(data):
    parts = data.draw(slices(R @ R, length=20))
    one = data.draw(bracketed(parts, R @ R))
    two = data.draw(bracketed(data.draw(shuffled(parts)), R @ R))
    assert one == two and hash(one) == hash(two)


@SETTINGS
@given(st.data())
def test_many_scores_on_random_boxes(data):
    # scores are walked after the codomain; equal-looking ones must be
    # ordered by their context, not by the order they were written in
    signature = [SIGNATURE[0], SIGNATURE[7], SIGNATURE[5]]  # f, the score s, c
    one = data.draw(bracketed(data.draw(slices(R @ R, length=25, signature=signature)), R @ R))
    two = data.draw(reordered(one))
    assert one == two and hash(one) == hash(two)


def test_scores_on_shared_random_boxes_are_ordered_canonically():
    # two scores reading equal-looking random boxes, one of which is also
    # returned: the order they were written in must not matter
    a, s = Box("a", R, R), Box("s", R, Ty(), discardable=False)
    base = Copy(R) >> (a @ a) >> (Copy(R) @ Id(R))
    assert base >> (Id(R) @ s @ s) == base >> (Id(R @ R) @ s) >> (Id(R) @ s)
    assert base >> (Id(R) @ s @ s) != base >> (Id(R) @ Swap(R, R)) >> (s @ Id(R) @ s)
    shared = Copy(R) >> (a @ Id(R)) >> (Copy(R) @ Id(R)) >> (s @ s @ (a >> s))
    other = Copy(R) >> (Id(R) @ a) >> (Id(R) @ Copy(R)) >> ((a >> s) @ s @ s)
    assert shared == other
    apart = Copy(R, 3) >> (a @ a @ a) >> (s @ s @ s)
    assert shared != apart


def _grid(width: int, depth: int, box: Box, transpose: bool):
    """``depth`` rows of ``width`` boxes, built row by row or column by column."""
    ty = box.dom ** width
    if not transpose:
        row = box
        for _ in range(width - 1):
            row = row @ box
        out = Id(ty)
        for _ in range(depth):
            out = out >> row
        return out
    out = Id(ty)
    for column in range(width):
        chain = box
        for _ in range(depth - 1):
            chain = chain >> box
        out = out >> (Id(box.dom ** column) @ chain @ Id(box.dom ** (width - column - 1)))
    return out


def test_equality_of_grids_of_hundreds_of_boxes():
    f = Box("f", R, R)
    rows, columns = _grid(20, 20, f, False), _grid(20, 20, f, True)
    assert len(rows) == len(columns) == 400
    assert rows == columns
    g = Box("g", R, R)
    assert rows != columns >> (Id(R ** 19) @ g)
