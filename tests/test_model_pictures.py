"""Model pictures a student can read: sites named with their distributions,
observed sites shaded, constants written in the boxes they feed, size
arguments not drawn, plates and scans as frames round their bodies; Para maps
and lenses drawn with their parameters from above and, on request, the
backward pass. The tests read the drawing's artists and SVG, not pixels."""
import re

import pytest

import catlearn as cl
from catlearn.categories.lens import parametric_lens
from catlearn.learning.learner import to_para
from catlearn.syntax.drawing import draw, svg_of
from catlearn.syntax.model_picture import model_picture

EIGHT = """
model eight(J: Nat, sigma: Pos[J]) {
    mu ~ Normal(0, 5)
    tau ~ HalfCauchy(5)
    for j in range(J) {
        theta_raw[j] ~ Normal(0, 1)
        y[j] ~ Normal(mu + tau * theta_raw[j], sigma[j])
    }
}
model scaled(N: Nat) {
    y ~ Normal(N, 1)
}
"""


@pytest.fixture(scope="module")
def program():
    return cl.parse(EIGHT)


def by_gid(fig, pattern: str) -> dict:
    """The artists whose gid matches ``pattern`` (a regular expression), by gid."""
    return {a.get_gid(): a for a in fig.axes[0].get_children()
            if a.get_gid() and re.fullmatch(pattern, a.get_gid())}


def labels(fig) -> list[str]:
    return [t.get_text() for t in by_gid(fig, r"(.*/)?label:\d+").values()]


def wire_names(fig) -> list[str]:
    return [t.get_text() for t in by_gid(fig, r"(.*/)?name:w\d+").values()]


def test_sites_are_boxes_with_their_distributions_and_constants_in_them(program):
    fig = program["eight"].draw()
    assert {"mu ~ Normal(0, 5)", "tau ~ HalfCauchy(5)", "theta_raw[j] ~ Normal(0, 1)",
            "y[j] ~ Normal(mu + tau * theta_raw[j], sigma[j])"} <= set(labels(fig))
    # constants are not boxes of their own; the bare diagram has them as boxes
    assert not {"0", "1", "5"} & set(labels(fig))
    bare = program["eight"].diagram.draw()
    assert {"0", "5"} <= {t.get_text() for t in bare.axes[0].texts}


def test_wires_carry_variable_names_and_size_arguments_are_not_wires(program):
    fig = program["eight"].draw()
    names = wire_names(fig)
    assert {"sigma", "mu", "tau", "j", "theta_raw[j]", "tau * theta_raw[j]",
            "mu + tau * theta_raw[j]", "sigma[j]", "y", "theta_raw"} <= set(names)
    assert "J" not in names and "Nat" not in names
    # a size a box reads is a wire like any other (negative control)
    assert "N" in wire_names(program["scaled"].draw())


def test_a_returned_value_is_named_as_the_program_names_it():
    linreg = cl.load("examples/linreg.cat")["linreg"]
    names = wire_names(linreg.draw())
    assert "mu" in names and "w * x + b" not in names and "w * x" in names
    bare = wire_names(draw(model_picture(linreg.diagram, ["x"])))
    assert "w * x + b" in bare and "mu" not in bare     # without the returns: the expression


def test_observed_sites_are_shaded_and_only_they(program):
    model = program["eight"]
    boxes = by_gid(model.draw(observed=["y"]), r"(.*/)?box:\d+")
    fills = {gid: box.get_facecolor()[:3] for gid, box in boxes.items()}
    grey = [gid for gid, fill in fills.items() if fill != (1.0, 1.0, 1.0)]
    assert len(boxes) == 7 and len(grey) == 1   # mu, tau; theta_raw, *, +, index, y
    assert by_gid(model.draw(observed=["y"]), grey[0].replace("box", "label"))[
        grey[0].replace("box", "label")].get_text().startswith("y[j] ~")
    unshaded = by_gid(model.draw(), r"(.*/)?box:\d+")
    assert all(b.get_facecolor()[:3] == (1.0, 1.0, 1.0) for b in unshaded.values())


def test_a_plate_is_a_frame_round_its_body_with_its_index_and_range(program):
    fig = program["eight"].draw()
    (frame,) = by_gid(fig, r"frame:\d+").values()
    (label,) = by_gid(fig, r"frame-label:\d+").values()
    assert label.get_text() == "j in 0..J-1"
    x0, y0 = frame.get_xy()
    x1, y1 = x0 + frame.get_width(), y0 + frame.get_height()
    inside = by_gid(fig, r"frame\d+/box:\d+")
    outside = by_gid(fig, r"box:\d+")
    assert len(inside) == 5 and len(outside) == 2
    for box in inside.values():  # the body's boxes lie within the frame
        bx, by = box.get_xy()
        assert x0 < bx and bx + box.get_width() < x1 and y0 < by and by + box.get_height() < y1
    for box in outside.values():  # and the others outside it
        bx, by = box.get_xy()
        assert by > y1 or by + box.get_height() < y0 or bx > x1 or bx + box.get_width() < x0


def test_a_scan_is_a_frame_whose_state_loops_from_one_step_to_the_next(program):
    fig = cl.load("examples/lgss.cat")["ar1"].draw(observed=["y"])
    (label,) = by_gid(fig, r"frame-label:\d+").values()
    assert label.get_text() == "t in 1..T-1"
    (loop,) = by_gid(fig, r"loop:\d+\.0").values()
    (frame,) = by_gid(fig, r"frame:\d+").values()
    xs, ys = loop.get_data()
    # it leaves the frame's bottom, runs up past its right side, re-enters at the top
    assert min(ys) < frame.get_y() and max(ys) > frame.get_y() + frame.get_height()
    assert max(xs) > frame.get_x() + frame.get_width()
    names = wire_names(fig)
    assert {"x[t-1]", "x[t]", "rho * x[t-1]", "x[0]"} <= set(names)
    assert {"x[t] ~ Normal(rho * x[t-1], 1)", "y[t] ~ Normal(x[t], 0.5)",
            "y[0] ~ Normal(x[0], 0.5)"} <= set(labels(fig))
    grey = [b for b in by_gid(fig, r"(.*/)?box:\d+").values()
            if b.get_facecolor()[:3] != (1.0, 1.0, 1.0)]
    assert len(grey) == 2   # y[0] and y[t]
    assert not by_gid(program["eight"].draw(), r"loop:.*")   # a plate has no loop


def test_the_svg_shows_the_labels_as_text_and_the_shading(program):
    svg = svg_of(program["eight"].draw(observed=["y"]))
    for text in ("mu ~ Normal(0, 5)", "j in 0..J-1", "theta_raw[j]"):
        assert text in svg
    assert svg.count("fill: #d9d9d9") == 1
    assert 'id="frame:' in svg and len(re.findall(r'id="frame\d+/box:', svg)) == 5


def test_a_para_map_draws_its_parameters_from_above():
    d = cl.dense(2, 8) >> cl.relu >> cl.dense(8, 1)
    f = to_para(d)
    fig = f.draw()
    texts = {t.get_text() for t in fig.axes[0].texts}
    assert {"θ1", "θ2", "dense(2, 8)", "relu", "dense(8, 1)"} <= texts
    assert "<svg" in f._repr_svg_()
    with pytest.raises(cl.NotSupportedError, match="not a lens"):
        f.draw(backward=True)
    learner = cl.learn(d, optimizer="adam")
    assert "θ1 adam" in " ".join(t.get_text() for t in learner.draw().axes[0].texts)


def test_composite_para_maps_draw_their_parts_pictures():
    f, g = to_para(cl.dense(2, 8) >> cl.relu), to_para(cl.dense(8, 1))
    from catlearn.categories.para import para
    for composite in (para.compose(f, g), para.tensor(f, g)):
        texts = {t.get_text() for t in composite.draw().axes[0].texts}
        assert {"dense(2, 8)", "relu", "dense(8, 1)", "θ1"} <= texts
    # a part without a picture leaves the composite without one
    bare = cl.parametrised(lambda p, x: p * x, lambda key: 2.0)
    with pytest.raises(cl.NotSupportedError, match="no picture"):
        para.tensor(f, bare).draw()


def test_a_lens_draws_its_backward_pass_on_request():
    lens = parametric_lens(to_para(cl.dense(2, 8) >> cl.relu >> cl.dense(8, 1)))
    forward = {t.get_text() for t in lens.draw().axes[0].texts}
    both = {t.get_text() for t in lens.draw(backward=True).axes[0].texts}
    reverse = {"R[dense(2, 8)]", "R[relu]", "R[dense(8, 1)]", "R[θ1]", "R[θ2]"}
    assert reverse <= both and not reverse & forward
    assert "Real'[2]" in both   # the input's cotangent leaves at the bottom


def test_a_para_map_without_a_diagram_says_it_has_no_picture():
    f = cl.parametrised(lambda p, x: p * x, lambda key: 2.0)
    with pytest.raises(cl.NotSupportedError, match="no picture"):
        f.draw()
    assert f._repr_svg_() is None


def test_a_scan_unrolled_draws_its_first_steps_one_frame_each_then_the_rest():
    fig = cl.load("examples/lgss.cat")["ar1"].draw(observed=["y"], unroll=2)
    frames = sorted(t.get_text() for t in by_gid(fig, r"frame-label:\d+").values())
    assert frames == ["t = 1", "t = 2", "t in 3..T-1"]
    assert {"x[1] ~ Normal(rho * x[0], 1)", "x[2] ~ Normal(rho * x[1], 1)",
            "y[2] ~ Normal(x[2], 0.5)", "x[t] ~ Normal(rho * x[t-1], 1)"} <= set(labels(fig))
    assert len(by_gid(fig, r"loop:\d+\.0")) == 1     # only the rest loops


def test_a_short_scan_unrolled_is_all_steps_and_no_loop():
    short = cl.parse("""
model walk() {
    x[0] ~ Normal(0, 1)
    for t in range(1, 3) {
        x[t] ~ Normal(x[t-1], 1)
    }
}
""")["walk"]
    fig = short.draw(unroll=5)
    assert sorted(t.get_text() for t in by_gid(fig, r"frame-label:\d+").values()) == [
        "t = 1", "t = 2"]
    assert not by_gid(fig, r"loop:.*")
    assert "x[2] ~ Normal(x[1], 1)" in labels(fig)
    assert by_gid(short.draw(), r"loop:.*")       # not unrolled: one frame, looping
