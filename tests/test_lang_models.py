"""Elaboration of models: sample sites, plates versus scans, wire types."""
import pytest

from catlearn.lang import load, parse
from catlearn.syntax import Ty
from catlearn.syntax.model import Plate, Sample, Scan, Score

def top_boxes(model, kind):
    return [b for b in model.diagram.boxes if isinstance(b, kind)]


def test_linreg_sites_types_and_return():
    model = parse(open("examples/linreg.cat").read(), "examples/linreg.cat")["linreg"]
    sites = {s.site: s for s in model.sites()}
    assert list(sites) == ["w", "b", "sigma", "y"]
    assert sites["y"].cod == Ty("Real", shape=("N",))       # broadcast of w * x + b
    assert sites["sigma"].cod == Ty("Pos")                    # HalfNormal's support
    assert model.diagram.dom == Ty("Real", shape=("N",))
    assert model.diagram.cod == Ty("Real", shape=("N",)) and model.returns == ["mu"]
    assert not top_boxes(model, Plate) and not top_boxes(model, Scan)


def test_eight_schools_is_a_plate_with_shared_inputs():
    model = load("examples/eight_schools.cat")["eight_schools"]
    (plate,) = top_boxes(model, Plate)
    assert (plate.start, plate.stop, plate.var) == (0, "J", "j")
    assert plate.body.dom[:1] == Ty("Int")                   # the loop index first
    assert set(plate.body.dom[1:].objects) == {Ty("Real").objects[0], Ty("Pos").objects[0],
                                                Ty("Pos", shape=("J",)).objects[0]}
    assert plate.cod == Ty("Real", shape=("J",)) @ Ty("Real", shape=("J",))
    inner = [b for b in plate.body.boxes if isinstance(b, Sample)]
    assert [(s.site, s.index) for s in inner] == [("theta_raw", ()), ("y", ())]
    assert model.diagram.cod == Ty()                          # no return: nothing out


@pytest.mark.parametrize("name", ["lgss", "ar1"])
def test_state_space_models_are_scans(name):
    model = parse(open("examples/lgss.cat").read(), "examples/lgss.cat")[name]
    (scan,) = top_boxes(model, Scan)
    assert (scan.start, scan.stop, scan.n_state) == (1, "T", 1)
    # body: Int @ state @ shared -> state @ outputs
    assert scan.body.dom[:2] == Ty("Int", "Real")
    assert scan.body.cod == Ty("Real", "Real", "Real")
    assert scan.cod == Ty("Real") @ Ty("Real", shape=(("-", "T", 1),)) ** 2
    top = [(s.site, s.index) for s in top_boxes(model, Sample)]
    assert ("x", (0,)) in top and ("y", (0,)) in top
    # the scan's initial state is the wire of x[0]
    graph = model.diagram.hypergraph
    x0 = next(i for i, b in enumerate(graph.boxes) if isinstance(b, Sample) and b.site == "x")
    s = graph.boxes.index(scan)
    assert graph.inputs[s][0] == graph.outputs[x0][0]


def test_coin_plate_of_bernoulli():
    model = parse(open("examples/coin.cat").read(), "examples/coin.cat")["coin"]
    (plate,) = top_boxes(model, Plate)
    assert plate.cod == Ty("Bool", shape=("n",))
    assert [s.site for s in model.sites()] == ["p", "flips"]
    assert model.sites()[0].cod == Ty("Prob")


def test_factor_copies_and_discards():
    model = parse("""
model m(x: Real[3]) {
    z ~ Normal(0, 1)
    unused ~ Normal(z, 1)
    factor(-square(x - z))
    return z, z
}""")["m"]
    graph = model.diagram.hypergraph
    assert any(isinstance(b, Score) for b in graph.boxes)
    assert model.diagram.cod == Ty("Real", "Real")
    readers = graph.readers()
    z = next(graph.outputs[i][0] for i, b in enumerate(graph.boxes)
             if isinstance(b, Sample) and b.site == "z")
    unused = next(graph.outputs[i][0] for i, b in enumerate(graph.boxes)
                  if isinstance(b, Sample) and b.site == "unused")
    assert len(readers[z]) >= 3 and readers[unused] == []     # a copy and a discard


def test_nested_plates_stack_both_axes():
    model = parse("""
model grid(N: Nat, M: Nat) {
    for i in range(N) {
        for j in range(M) {
            z[i, j] ~ Normal(0, 1)
        }
    }
}""")["grid"]
    (outer,) = top_boxes(model, Plate)
    assert outer.cod == Ty("Real", shape=("N", "M"))


def test_a_plate_output_is_an_array_for_later_loops():
    model = parse("""
model m(J: Nat) {
    for j in range(J) { a[j] ~ Normal(0, 1) }
    for k in range(J) { b[k] ~ Normal(a[k], 1) }
    s = sum(a)
}""")["m"]
    first, second = top_boxes(model, Plate)
    graph = model.diagram.hypergraph
    assert graph.inputs[graph.boxes.index(second)] == graph.outputs[graph.boxes.index(first)]


def test_equal_programs_give_equal_diagrams():
    a = parse("model m(x: Real) { y ~ Normal(x * 2, 1)\n return y }")["m"].diagram
    b = parse("model m(x: Real) { t = x * 2\n y ~ Normal(t, 1)\n return y }")["m"].diagram
    c = parse("model m(x: Real) { y ~ Normal(x * 3, 1)\n return y }")["m"].diagram
    assert a == b and a != c
