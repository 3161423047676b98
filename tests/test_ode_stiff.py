"""The stiff solver ``ode_stiff`` (Stan's ``ode_bdf``; diffrax Kvaerno5) and the
options of a solve (``rtol``, ``atol``, ``max_steps``): a stiff system against its
closed form inside the log density, in single precision (where the solver's chord
iteration used to stall at every point), with the explicit solver failing on the
same system as a control, and the options' misuse refused where it is written."""
import math

import jax
import jax.numpy as jnp
import pytest
from refusals import refusal_test

from catlearn.errors import CatlearnTypeError
from catlearn.inference.target import Target
from catlearn.lang import parse

LAMBDA = 1e5  # y' = -λ (y - a exp(-t)): relaxation 1e5 times faster than the forcing

RELAX = """
fn relax(t: Real, y: Real[1], a: Real, lambda: Real) -> Real[1] {
    return -lambda * (y - a * exp(-t))
}
model m(T: Nat, ts: Real[T], lambda: Real) {
    a ~ Normal(1, 1)
    y = SOLVER(relax, [0.0], 0.0, ts, a, lambda)
    obs ~ Normal(y[:, 0], 0.1)
}
"""
TS = jnp.array([0.5, 1.0, 2.0, 3.0])
OBS = jnp.array([0.6, 0.4, 0.1, 0.0])


def _closed_form(u):
    """log p(a) with y = a·λ/(λ−1)·(exp(−t) − exp(−λt)), the solution from y(0) = 0."""
    a, lam = u[0], LAMBDA
    y = a * lam / (lam - 1) * (jnp.exp(-TS) - jnp.exp(-lam * TS))
    normal = -0.5 * math.log(2 * math.pi)
    return (-0.5 * (a - 1) ** 2 + normal
            + jnp.sum(-0.5 * ((OBS - y) / 0.1) ** 2 - math.log(0.1) + normal))


def _target(solver: str) -> Target:
    return Target(parse(RELAX.replace("SOLVER", solver))["m"],
                  {"T": 4, "ts": TS, "lambda": LAMBDA}, {"obs": OBS})


@pytest.mark.slow
def test_a_stiff_system_is_its_closed_form_in_the_log_density():
    target = _target("ode_stiff")
    for u in (jnp.array([0.8]), jnp.array([-2.0])):
        value, grad = jax.value_and_grad(target.logdensity)(u)
        expected, expected_grad = jax.value_and_grad(_closed_form)(u)
        assert float(value) == pytest.approx(float(expected), abs=1e-2)
        assert float(grad[0]) == pytest.approx(float(expected_grad[0]), rel=1e-3)


@pytest.mark.slow
def test_the_explicit_solver_runs_out_of_steps_on_the_stiff_system():
    """The control: Dopri5 needs ~λ steps per unit of time here, far over 4096, so the
    log density is -inf (rejected) where the stiff solver gives the closed form."""
    assert float(_target("ode").logdensity(jnp.array([0.8]))) == -jnp.inf


@pytest.mark.slow
def test_the_options_reach_the_solver():
    source = RELAX.replace("SOLVER", "ode_bdf")  # Stan's name of the stiff solver
    few = source.replace("a, lambda)", "a, lambda, max_steps = 3)")
    loose = source.replace("a, lambda)", "a, lambda, rtol = 1e-2, atol = 1e-2)")
    args, data, u = {"T": 4, "ts": TS, "lambda": LAMBDA}, {"obs": OBS}, jnp.array([0.8])
    assert float(Target(parse(few)["m"], args, data).logdensity(u)) == -jnp.inf
    value = float(Target(parse(loose)["m"], args, data).logdensity(u))
    assert value == pytest.approx(float(_closed_form(u)), abs=1.0)


_F = "fn f(t: Real, y: Real[1], k: Real) -> Real[1] {\n return -k * y\n}\n"
_CALL = _F + "model m(ts: Real[3], k: Real) {\n y = ode_stiff(f, [1.0], 0.0, ts, k, OPTION)\n}"

test_misuse_of_the_options_is_refused_where_it_is_written = refusal_test([
    (_CALL.replace("OPTION", "tol = 1e-3"), CatlearnTypeError, 5, 38,
     ["unknown option tol", "rtol, atol, max_steps"]),
    (_CALL.replace("OPTION", "max_steps = 2.5"), CatlearnTypeError, 5, 38,
     ["max_steps must be a positive whole number, got 2.5"]),
    (_CALL.replace("OPTION", "rtol = 0"), CatlearnTypeError, 5, 38, ["rtol must be a positive number"]),
    (_CALL.replace("OPTION", "rtol = k"), CatlearnTypeError, 5, 38,
     ["rtol must be a number written out"]),
])
