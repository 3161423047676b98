"""PMMH posteriors carry the states and the reported values: at each step one
particle of the filter, drawn by its weight, gives the path ``x`` beside ``rho``, and
the values the model computes (``rho2`` of the global alone, ``z[t]`` of the
states) are those of that particle."""
import json
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import catlearn as cl
from catlearn.inference.pmmh import pmmh_chain
from catlearn.lang import parse
from state_spaces import Y as LGSS_Y, lgss

Y = np.asarray(json.loads((Path(__file__).parents[1] / "examples" / "lgss.json")
                          .read_text())["y"])[:30]
AR1 = """
model ar1(T: Nat) {
    rho ~ Uniform(-1, 1)
    rho2 = rho * rho
    x[0] ~ Normal(0, 1)
    z[0] = 2 * x[0]
    y[0] ~ Normal(x[0], 0.5)
    for t in range(1, T) {
        x[t] ~ Normal(rho * x[t-1], 1)
        z[t] = 2 * x[t]
        y[t] ~ Normal(x[t], 0.5)
    }
}
"""


def test_the_chain_keeps_a_particle_of_each_steps_filter():
    """ar1 by hand (rho = 2 sigmoid(z) - 1, its particles the last state x_T): the
    kept x_T are draws of p(x_T | y), near y_T (noise 0.5) and far narrower than
    the states' prior spread (sd about 2.3 at rho = 0.9)."""
    def log_prior(z):
        return jax.nn.log_sigmoid(z) + jax.nn.log_sigmoid(-z)
    run = jax.jit(lambda k: pmmh_chain(
        k, jnp.zeros(()), log_prior, lambda z: lgss(2 * jax.nn.sigmoid(z) - 1),
        particles=50, samples=200, warmup=50, step_size=0.4, keep=lambda x: x))
    chain = run(jax.random.key(0))
    kept = np.asarray(chain.kept)
    assert kept.shape == (200,)
    assert abs(kept.mean() - float(LGSS_Y[-1])) < 0.6 and kept.std() < 0.8
    assert np.unique(kept).size > 5       # a new particle at each accepted step
    assert pmmh_chain(jax.random.key(0), jnp.zeros(()), log_prior, lambda z: lgss(0.5),
                      particles=10, samples=3).kept is None     # nothing kept unasked


@pytest.fixture(scope="module")
def post():
    return cl.infer(parse(AR1)["ar1"], args={"T": len(Y)}, data={"y": Y},
                    method=cl.pmmh(particles=100, samples=300, warmup=100, seed=0))


@pytest.mark.slow
def test_the_posterior_holds_the_global_the_states_and_the_reported_values(post):
    assert list(post.samples) == ["rho", "x", "rho2", "z"]
    rho, x = np.asarray(post.samples["rho"]), np.asarray(post.samples["x"])
    assert x.shape == (1, 300, len(Y))
    np.testing.assert_allclose(post.samples["rho2"], rho ** 2, rtol=1e-6)
    np.testing.assert_allclose(post.samples["z"], 2 * x, rtol=1e-6)
    assert "z[3]" in post.summary_dict() and "rho2" in post.summary_dict()


@pytest.mark.slow
def test_the_paths_follow_the_data(post):
    """The observations' noise (0.5) is half the states': a path drawn from the
    filter's final population tracks y; one from the prior would not (negative
    control: the prior predictive's x)."""
    x = np.asarray(post.samples["x"])[0]
    assert np.corrcoef(x.mean(axis=0), Y)[0, 1] > 0.9
    prior = cl.infer(parse(AR1)["ar1"], args={"T": len(Y)}, method=cl.prior(draws=300,
                                                                             seed=0))
    prior_x = np.asarray(prior.samples["x"])[0]
    assert abs(np.corrcoef(prior_x[0], Y)[0, 1]) < 0.9
    # the paths differ from step to step (not one particle kept throughout)
    assert np.unique(x[:, -1]).size > 20
