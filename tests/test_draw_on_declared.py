"""Stan's ``ordered[K] c; c ~ normal(0, 5);``: a distribution put on a declared
parameter adds its log density there (``factor(normal_lpdf(c, 0, 5))``), whole or
element by element in a loop; what cannot be meant is refused where it is written."""
import math

import jax
import jax.numpy as jnp
import pytest

from catlearn.errors import CatlearnTypeError, NotSupportedError, UnknownNameError
from catlearn.inference.target import Target
from catlearn.lang import parse
from refusals import refusal_test

DRAWN = """
model m(K: Nat) {
    c : ordered[K]
    c ~ Normal(0, 5)
    s : Pos
    for k in range(K) {
        w[k] : Real
        s ~ HalfNormal(1)
        c[k] ~ Normal(k, scale = s)
    }
}
"""
FACTORS = """
model m(K: Nat) {
    c : ordered[K]
    factor(normal_lpdf(c, 0, 5))
    s : Pos
    for k in range(K) {
        w[k] : Real
        factor(half_normal_lpdf(s, 1))
        factor(normal_lpdf(c[k], k, s))
    }
}
"""


def test_a_draw_on_a_declared_parameter_is_its_log_density_as_a_factor():
    drawn, factors = (Target(parse(text)["m"], {"K": 3}) for text in (DRAWN, FACTORS))
    assert drawn.dim == factors.dim == 3 + 1 + 3          # no new parameter
    assert [b.dist for b in parse(DRAWN)["m"].sites()] == ["FlatOrdered", "Flat", "Flat"]
    for u in jax.random.normal(jax.random.key(0), (5, drawn.dim)):
        assert float(drawn.logdensity(u)) == pytest.approx(float(factors.logdensity(u)),
                                                           rel=1e-6)


def test_its_value_by_hand():
    model = parse("model m() {\n c : ordered[3]\n c ~ Normal(0, 5)\n}")["m"]
    target = Target(model, {})
    u = jnp.array([0.5, 0.0, math.log(2.0)])              # c = 0.5, 1.5, 3.5
    c = [0.5, 1.5, 3.5]
    normal = sum(-math.log(5) - 0.5 * math.log(2 * math.pi) - x * x / 50 for x in c)
    jacobian = 0.0 + math.log(2.0)                        # log exp(u1) + log exp(u2)
    assert float(target.logdensity(u)) == pytest.approx(normal + jacobian, rel=1e-6)
    # negative control: without the draw only the Jacobian is left
    bare = Target(parse("model m() {\n c : ordered[3]\n}")["m"], {})
    assert float(bare.logdensity(u)) == pytest.approx(jacobian, rel=1e-6)


test_what_cannot_be_put_on_a_declared_parameter_is_refused = refusal_test([
    ("model m() {\n c : Real\n c ~ Poisson(3)\n}", CatlearnTypeError, 3, 6,
     ["declared parameter", "continuous", "Poisson"]),
    ("model m() {\n c : Real\n c ~ Truncated(Normal(0, 1), lower = 0)\n}",
     NotSupportedError, 3, 6, ["truncated", "declared parameter c"]),
    ("model m() {\n c : Real\n c ~ Nromal(0, 1)\n}", UnknownNameError, 3, 6,
     ["unknown distribution", "Normal"]),
    ("model m() {\n c : Real\n c ~ Normal(0, 1, 2)\n}", CatlearnTypeError, 3, 6, ["Normal"]),
    ("model m() {\n c : ordered[3]\n c ~ Normal([0.0, 1.0], 1)\n}", CatlearnTypeError, 3, 2,
     ["normal_lpdf", "Real[3]"]),
    # a sampled (not declared) variable drawn twice is still defined twice
    ("model m() {\n c ~ Normal(0, 1)\n c ~ Normal(0, 1)\n}", UnknownNameError, 3, 2,
     ["c is defined twice"]),
])
