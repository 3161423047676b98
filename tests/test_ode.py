"""ODE solutions ``ode(f, y0, t0, ts, args…)`` over a user function, by diffrax:
against closed forms (values and gradients), and their misuse refused where it
is written."""
import importlib.util
import math

import jax
import jax.numpy as jnp
import pytest
from refusals import assert_refused

from catlearn.errors import CatlearnTypeError, NotSupportedError, UnknownNameError
from catlearn.inference.target import Target
from catlearn.lang import parse

DECAY = """
fn decay(t: Real, y: Real[2], k: Real[2]) -> Real[2] {
    return -k * y
}
model m(T: Nat, ts: Real[T]) {
    k ~ LogNormal(0, 1)
    y = ode(decay, [1.0, 2.0], 0.0, ts, [k, 2 * k])
    obs ~ Normal(y, 0.1)
    return y
}
"""
TS = jnp.array([0.5, 1.0, 2.0])
OBS = jnp.array([[0.6, 0.9], [0.4, 0.5], [0.1, 0.1]])


def _closed_form(u):
    """log p(u) with y(t) = (exp(-k t), 2 exp(-2 k t)), k = exp(u)."""
    k = jnp.exp(u[0])
    y = jnp.stack([jnp.exp(-k * TS), 2 * jnp.exp(-2 * k * TS)], axis=1)
    prior = -0.5 * u[0] ** 2 - 0.5 * math.log(2 * math.pi)  # log k ~ N(0, 1), Jacobian in
    return prior + jnp.sum(-0.5 * ((OBS - y) / 0.1) ** 2 - math.log(0.1)
                           - 0.5 * math.log(2 * math.pi))


def test_a_solution_is_the_closed_form():
    target = Target(parse(DECAY)["m"], {"T": 3, "ts": TS}, {"obs": OBS})
    u = jnp.array([0.1])
    assert float(target.logdensity(u)) == pytest.approx(float(_closed_form(u)), abs=1e-3)
    # negative control: a closed form of another decay rate is far off
    assert abs(float(target.logdensity(u)) - float(_closed_form(u + 0.3))) > 1.0


@pytest.mark.slow
def test_the_gradient_through_the_solver_is_the_closed_forms():
    target = Target(parse(DECAY)["m"], {"T": 3, "ts": TS}, {"obs": OBS})
    for u in (jnp.array([0.1]), jnp.array([-0.4])):
        value, grad = jax.value_and_grad(target.logdensity)(u)
        expected, expected_grad = jax.value_and_grad(_closed_form)(u)
        assert float(value) == pytest.approx(float(expected), abs=1e-3)
        assert float(grad[0]) == pytest.approx(float(expected_grad[0]), rel=1e-3)


_F = "fn f(t: Real, y: Real[2], k: Real) -> Real[2] {\n return -k * y\n}\n"

BAD = [
    (_F + "model m(ts: Real[3]) {\n y = ode(ff, [1.0, 1.0], 0.0, ts, 1.0)\n}",
     UnknownNameError, 5, 10, ["f must name a fn", "did you mean 'f'"]),
    (_F + "model m(ts: Real[3]) {\n y = ode(f, [1.0, 1.0], 0.0)\n}",
     CatlearnTypeError, 5, 6, ["at least 4 arguments"]),
    (_F + "model m(ts: Real[3]) {\n y = ode(f, [1.0, 1.0], 0.0, ts)\n}",
     CatlearnTypeError, 5, 10, ["f takes 3 arguments, got 2"]),
    (_F + "model m(ts: Real[3]) {\n y = ode(f, [1.0, 1.0, 1.0], 0.0, ts, 1.0)\n}",
     CatlearnTypeError, 5, 14, ["the argument y must be Real[2], got Real[3]"]),
    (_F + "model m(ts: Real[3]) {\n y = ode(f, [1.0, 1.0], ts, ts, 1.0)\n}",
     CatlearnTypeError, 5, 6, ["a number t0"]),
]


@pytest.mark.parametrize("source, cls, line, column, words", BAD)
def test_misuse_is_refused_where_it_is_written(source, cls, line, column, words):
    assert_refused(source, cls, line, column, words)


def test_without_the_extra_an_ode_says_how_to_install_it(monkeypatch):
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "diffrax" else real(name, *a))
    assert_refused(_F + "model m(ts: Real[3]) {\n y = ode(f, [1.0, 1.0], 0.0, ts, 1.0)\n}",
                   NotSupportedError, 5, 6, ["pip install 'catlearn[ode]'"])
