"""A scan model cut at its time steps: the structure particle filters run on."""
import json

import jax
import jax.numpy as jnp
import pytest
from jax.scipy.stats import norm

from catlearn.errors import InferenceError, NotSupportedError
from catlearn.inference.target import Target
from model_builders import ar1, coin, lgss

A = json.load(open("examples/lgss.json"))
Y = jnp.array(A["y"])


@pytest.fixture(scope="module")
def model():
    return Target(lgss(), {"T": A["T"], "rho": 0.9}, {"y": Y}).sequential()


def test_stages_weigh_each_observation(model):
    assert model.length == A["T"]
    particle, log_w = jax.jit(model.init)(jax.random.key(0))
    (x0,) = particle.carry
    assert jnp.isclose(log_w, norm.logpdf(Y[0], x0, 0.5))
    assert jnp.allclose(particle.sites["x"], x0[None])
    step = jax.jit(model.step)
    new, log_w = step(jax.random.key(1), particle, 5)
    (x5,) = new.carry
    assert jnp.isclose(log_w, norm.logpdf(Y[5], x5, 0.5))
    assert "y = 5" not in model.stage_name(5) and "y[5]" in model.stage_name(5)


def test_a_step_draws_from_the_transition(model):
    particle, _ = model.init(jax.random.key(0))
    particle = particle._replace(carry=(jnp.array(2.0),))
    keys = jax.random.split(jax.random.key(2), 20000)
    xs = jax.jit(jax.vmap(lambda k: model.step(k, particle, 3)[0].carry[0]))(keys)
    assert abs(float(xs.mean()) - 1.8) < 0.03 and abs(float(xs.std()) - 1.0) < 0.03


def test_bootstrap_filter_matches_the_kalman_filter(model):
    smc = pytest.importorskip("catlearn.inference.smc")
    log_z = jax.jit(lambda k: smc.bootstrap_filter(k, model, 2000).log_evidence)(
        jax.random.key(0))
    assert abs(float(log_z) - (-172.454)) < 1.5


def test_fixed_parameters_and_refusals():
    target = Target(ar1(), {"T": A["T"]}, {"y": Y})
    particle, _ = target.sequential({"rho": jnp.array(0.5)}).init(jax.random.key(0))
    assert particle.shared == (0.5,) and float(particle.sites["rho"]) == 0.5
    with pytest.raises(InferenceError, match="cannot hold 'sigma' fixed"):
        target.sequential({"sigma": 1.0})
    with pytest.raises(NotSupportedError, match="exactly one"):
        Target(coin(), {"n": 3}).sequential()
