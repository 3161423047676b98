"""The derivative of ``ode``'s solution by forward sensitivities (catlearn/primitives/
ode.py): with respect to the initial state, the arguments, the initial time and the
output times, against the closed form of y' = -k y, alone and under ``vmap`` (chains,
where each solve runs on its own)."""
import math

import jax
import jax.numpy as jnp
import pytest

from catlearn.inference.target import Target
from catlearn.lang import parse

DECAY = """
fn decay(t: Real, y: Real[1], k: Real) -> Real[1] {
    return -k * y
}
model m(ts: Real[3]) {
    k ~ LogNormal(0, 1)
    y0 ~ LogNormal(0, 1)
    t0 ~ Normal(0, 0.1)
    shift ~ Normal(0, 0.1)
    y = ode(decay, [y0], t0, ts + shift, k)
    obs ~ Normal(y[:, 0], 0.1)
}
"""
TS = jnp.array([0.5, 1.0, 2.0])
OBS = jnp.array([0.6, 0.4, 0.1])
NORMAL = -0.5 * math.log(2 * math.pi)


def _closed_form(u):
    """log p(u), y(t) = y0 exp(-k (t + shift - t0)), k and y0 log-normal (Jacobians in)."""
    k, y0, t0, shift = jnp.exp(u[0]), jnp.exp(u[1]), u[2], u[3]
    y = y0 * jnp.exp(-k * (TS + shift - t0))
    prior = (-0.5 * u[0] ** 2 - 0.5 * u[1] ** 2 + 2 * NORMAL
             + (-0.5 * (u[2:] / 0.1) ** 2 - math.log(0.1) + NORMAL).sum())
    return prior + jnp.sum(-0.5 * ((OBS - y) / 0.1) ** 2 - math.log(0.1) + NORMAL)


POINTS = jnp.array([[0.1, 0.2, 0.05, -0.1], [-0.4, -0.3, -0.1, 0.2], [0.5, 0.0, 0.0, 0.0]])


def test_every_input_s_derivative_is_the_closed_form_s():
    target = Target(parse(DECAY)["m"], {"ts": TS}, {"obs": OBS})
    value, grad = jax.jit(jax.vmap(jax.value_and_grad(target.logdensity)))(POINTS)
    expected, expected_grad = jax.vmap(jax.value_and_grad(_closed_form))(POINTS)
    assert jnp.allclose(value, expected, atol=1e-2)
    assert jnp.allclose(grad, expected_grad, rtol=1e-3, atol=1e-2), (grad, expected_grad)
    # the times' part is exercised: the derivatives in t0 and shift are not their priors'
    assert not jnp.allclose(expected_grad[:, 2:], -POINTS[:, 2:] / 0.01, atol=1.0)


def test_a_chain_s_derivative_does_not_depend_on_the_others():
    target = Target(parse(DECAY)["m"], {"ts": TS}, {"obs": OBS})
    together = jax.jit(jax.vmap(jax.grad(target.logdensity)))(POINTS)
    alone = jax.jit(jax.grad(target.logdensity))(POINTS[1])
    assert jnp.allclose(together[1], alone, rtol=1e-6)


RELAX = """
fn relax(t: Real, y: Real[1], a: Real) -> Real[1] {
    return -1e3 * (y - a * exp(-t))
}
model m(ts: Real[3]) {
    a ~ LogNormal(0, 1)
    y = ode_stiff(relax, [0.0], 0.0, ts, a)
    obs ~ Normal(y[:, 0], 0.1)
}
"""


@pytest.mark.slow
def test_the_stiff_solver_s_derivative_at_an_infinite_parameter_is_a_rejection():
    """a = exp(100) is inf in float32: the log density is not finite there and the
    point is rejected, where lineax's derivative solves raised an error that ended
    the run; a finite point's derivative is still finite (the control)."""
    target = Target(parse(RELAX)["m"], {"ts": TS}, {"obs": OBS})
    value, grad = jax.jit(jax.vmap(jax.value_and_grad(target.logdensity)))(
        jnp.array([[100.0], [0.1]]))
    assert not jnp.isfinite(value[0]) and jnp.isfinite(value[1]) and jnp.isfinite(grad[1, 0])
