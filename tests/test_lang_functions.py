"""User functions ``fn name(args) -> type { ... return e }``: inlined where they
are called, typed and shape-checked, their misuse refused where it is written."""
import math

import jax.numpy as jnp
import pytest
from refusals import assert_refused

from catlearn.errors import CatlearnTypeError, NotSupportedError, UnknownNameError
from catlearn.inference.target import Target
from catlearn.lang import parse

FUNCTIONS = """
fn centred(x: Real[N], m: Real) -> Real[N] {
    d = x - m
    return d
}
fn scaled_square(x: Real[N], s: Pos) -> Real[N] {
    return square(centred(x, 0.0)) / s
}
model with_fns(x: Real[N]) {
    w ~ Normal(0, 1)
    s ~ HalfNormal(1)
    y ~ Normal(w * scaled_square(centred(x, mean(x)), s), 1)
}
model written_out(x: Real[N]) {
    w ~ Normal(0, 1)
    s ~ HalfNormal(1)
    y ~ Normal(w * square(x - mean(x)) / s, 1)
}
"""


def test_a_function_computes_what_its_body_written_out_computes():
    prog = parse(FUNCTIONS)
    args, data = {"x": jnp.array([0.5, 1.0, 3.0])}, {"y": jnp.array([0.2, -0.1, 1.5])}
    u = jnp.array([0.7, -0.3])
    with_fns = Target(prog["with_fns"], args, data).logdensity(u)
    written_out = Target(prog["written_out"], args, data).logdensity(u)
    assert float(with_fns) == pytest.approx(float(written_out), rel=1e-6)
    # negative control: the same function with another body gives another density
    other = parse(FUNCTIONS.replace("return d\n", "return d + 1\n"))["with_fns"]
    assert float(Target(other, args, data).logdensity(u)) != pytest.approx(float(with_fns))


def test_a_function_is_inlined_as_ordinary_boxes():
    prog = parse(FUNCTIONS)
    ops = lambda m: sorted(b.op for b in m.diagram.hypergraph.boxes if hasattr(b, "op"))
    assert "centred" not in ops(prog["with_fns"]) and "sub" in ops(prog["with_fns"])
    assert prog["centred"].signature == "centred(x: Real[N], m: Real) -> Real[N]"


def test_a_function_of_integers_indexes():
    prog = parse("fn pick(v: Real[K], i: Int) -> Real { return v[i] }\n"
                 "model m(v: Real[3], g: Int[2]) {\n for j in range(2) {\n"
                 "  y[j] ~ Normal(pick(v, g[j]), 1)\n }\n}")
    args = {"v": jnp.array([1.0, 2.0, 3.0]), "g": jnp.array([2, 0])}
    data = {"y": jnp.array([3.0, 1.0])}
    # y equals the picked means exactly: the log density is 2 log N(0 | 0, 1)
    assert float(Target(prog["m"], args, data).logdensity(jnp.zeros(0))) == pytest.approx(
        -math.log(2 * math.pi), rel=1e-6)


def _fn(body: str, params: str = "x: Real", result: str = "Real") -> str:
    return f"fn f({params}) -> {result} {{\n{body}\n}}\n"


BAD = [
    # at the call
    (_fn(" return x") + "model m() {\n y ~ Normal(f(1.0, 2.0), 1)\n}", CatlearnTypeError,
     5, 13, ["f takes 1 argument, got 2", "f(x: Real) -> Real"]),
    (_fn(" return x", "x: Real[N]", "Real[N]") + "model m(z: Real[3, 2]) {\n"
     " y ~ Normal(f(z), 1)\n}", CatlearnTypeError, 5, 15,
     ["the argument x must be Real[N], got Real[3, 2]"]),
    (_fn(" return x[0]", "x: Real[N], i: Int") + "model m(z: Real[3]) {\n"
     " y ~ Normal(f(z, 1.5), 1)\n}", CatlearnTypeError, 5, 18, ["i must be Int, got Real"]),
    (_fn(" return x + y", "x: Real[N], y: Real[N]", "Real[N]") + "model m(a: Real[3], "
     "b: Real[4]) {\n y ~ Normal(f(a, b), 1)\n}", CatlearnTypeError, 5, 18,
     ["the argument y must be Real[3], got Real[4]"]),
    (_fn(" return x") + "model m() {\n y ~ Normal(g(1.0), 1)\n}", UnknownNameError, 5, 13,
     ["unknown function 'g'"]),
    (_fn(" return x") + "fn ff(x: Real) -> Real {\n return x\n}\n"
     "model m() {\n y ~ Normal(fff(1.0), 1)\n}", UnknownNameError, 8, 13,
     ["did you mean 'ff'"]),
    # at the definition
    (_fn(" return f(x)"), NotSupportedError, 2, 9, ["f calls itself", "recursive"]),
    (_fn(" z ~ Normal(x, 1)\n return z"), CatlearnTypeError, 2, 4, ["deterministic"]),
    (_fn(" return x", "x: Real[N]"), CatlearnTypeError, 2, 2,
     ["the result must be Real, got Real[N]"]),
    (_fn(" return x", "x: Real", "Real[K]"), UnknownNameError, 1, 18, ["dimension K"]),
    (_fn(" return x", "x: Real", "Int"), CatlearnTypeError, 2, 2,
     ["the result must be Int, got Real"]),
    (_fn(" y = x * 2"), CatlearnTypeError, 1, 1, ["must end with return"]),
    (_fn(" return q"), UnknownNameError, 2, 9, ["unknown name 'q'"]),
    (_fn(" return log(x, x)"), CatlearnTypeError, 2, 9, ["log takes 1 argument"]),
    ("fn exp(x: Real) -> Real {\n return x\n}", UnknownNameError, 1, 4,
     ["exp is a built-in function"]),
    ("fn f(x: Real) -> Real * Real {\n return x\n}", CatlearnTypeError, 1, 18,
     ["one type"]),
]


@pytest.mark.parametrize("source, cls, line, column, words", BAD)
def test_misuse_is_refused_where_it_is_written(source, cls, line, column, words):
    assert_refused(source, cls, line, column, words)
