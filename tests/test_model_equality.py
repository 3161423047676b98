"""Model equality sees every site, read or not: a site nothing reads is still one
a query may observe, so its distribution is part of the model."""
import catlearn as cl
from catlearn.syntax import Ty
from catlearn.syntax.diagram import Box, Id
from catlearn.syntax.model import Const, Model, Plate, Sample

R = Ty("Real")


def program(first: str, second: str = "Normal(0, 1)") -> str:
    return f"""
model m(n: Nat) {{
    p ~ {first}
    z ~ {second}
    for i in range(n) {{
        y[i] ~ Normal(z, 1)
    }}
}}
"""


def test_an_unread_site_with_another_prior_is_another_model():
    one, two = cl.parse(program("Beta(1, 1)"))["m"], cl.parse(program("Beta(2, 1)"))["m"]
    assert one != two


def test_the_same_program_loaded_twice_is_one_model():   # the positive control
    assert cl.parse(program("Beta(1, 1)"))["m"] == cl.parse(program("Beta(1, 1)"))["m"]


def test_an_unread_site_is_part_of_the_model():
    with_p = cl.parse(program("Beta(1, 1)"))["m"]
    without_p = cl.parse(program("Normal(0, 1)").replace("    p ~ Normal(0, 1)\n", ""))["m"]
    assert with_p != without_p


def test_a_loop_of_unread_sites_is_kept():
    def plate_of(dist: str) -> Model:
        body = Id(Ty("Int")) >> Box("drop", Ty("Int"), Ty(), deterministic=True) \
            >> (Const(0.0) @ Const(1.0)) >> Sample("u", dist, R @ R, R)
        return Model("m", [], Plate(body, "i", 0, 3) >> Box("drop", Ty("Real")[3], Ty()))
    assert plate_of("Normal") != plate_of("Cauchy")
    assert plate_of("Normal") == plate_of("Normal")


def test_sites_still_commute_and_a_discarded_computation_still_vanishes():
    """Equality stays up to the Markov axioms for everything but the sites."""
    a = (Const(0.0) @ Const(1.0)) >> Sample("a", "Normal", R @ R, R)
    b = (Const(0.0) @ Const(1.0)) >> Sample("b", "Normal", R @ R, R)
    drop = Box("drop", R, Ty())
    unused = Const(2.0) >> Box("exp", R, R, deterministic=True) >> drop
    assert Model("m", [], (a @ b) >> (drop @ drop)) == \
        Model("m", [], (b @ a) >> (drop @ drop) @ unused)
