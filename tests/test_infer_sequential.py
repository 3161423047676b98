"""A scan model cut at its time steps: the structure particle filters run on."""
import json

import jax
import jax.numpy as jnp
import pytest
from jax.scipy.stats import norm

from catlearn.errors import InferenceError, NotSupportedError
from catlearn.inference.target import Target
from kalman_reference import TWO, kalman
from model_builders import ar1, coin, lgss

A = json.load(open("examples/lgss.json"))
Y = jnp.array(A["y"])


@pytest.fixture(scope="module")
def model():
    return Target(lgss(), {"T": A["T"], "rho": 0.9}, {"y": Y}).sequential()


def test_stages_weigh_each_observation(model):
    assert model.length == A["T"]
    particle, log_w = jax.jit(model.init)(jax.random.key(0))
    x0 = particle.env["carry0"]
    assert jnp.isclose(log_w, norm.logpdf(Y[0], x0, 0.5))
    assert particle.sites["x"].shape == (A["T"],) and particle.sites["x"][0] == x0
    step = jax.jit(model.step)
    new, log_w = step(jax.random.key(1), particle, 5)
    x5 = new.env["carry0"]
    assert new.sites["x"][5] == x5
    assert jnp.isclose(log_w, norm.logpdf(Y[5], x5, 0.5))
    assert "y = 5" not in model.stage_name(5) and "y[5]" in model.stage_name(5)


def test_a_step_draws_from_the_transition(model):
    particle, _ = model.init(jax.random.key(0))
    particle = particle._replace(env={**particle.env, "carry0": jnp.array(2.0)})
    keys = jax.random.split(jax.random.key(2), 20000)
    xs = jax.jit(jax.vmap(lambda k: model.step(k, particle, 3)[0].env["carry0"]))(keys)
    assert abs(float(xs.mean()) - 1.8) < 0.03 and abs(float(xs.std()) - 1.0) < 0.03


def test_bootstrap_filter_matches_the_kalman_filter(model):
    smc = pytest.importorskip("catlearn.inference.smc")
    log_z = jax.jit(lambda k: smc.bootstrap_filter(k, model, 2000).log_evidence)(
        jax.random.key(0))
    assert abs(float(log_z) - (-172.454)) < 1.5


def test_fixed_parameters_and_refusals():
    target = Target(ar1(), {"T": A["T"]}, {"y": Y})
    particle, _ = target.sequential({"rho": jnp.array(0.5)}).init(jax.random.key(0))
    assert [float(v) for v in particle.env.values() if jnp.ndim(v) == 0] .count(0.5) == 1
    assert "rho" not in particle.sites  # held fixed: not a draw of the filter
    with pytest.raises(InferenceError, match="cannot hold 'sigma' fixed"):
        target.sequential({"sigma": 1.0})
    with pytest.raises(NotSupportedError, match="no loop to filter over"):
        Target(coin(), {"n": 3}).sequential()


def test_a_model_with_two_loops_and_sites_between_and_after_is_filtered_exactly():
    """Two series cut at every observation, a latent between the loops and an observed
    site after them: the evidence is the two Kalman evidences and v's, and the filter
    reports every x[t]."""
    import numpy as np
    from catlearn.inference.smc import bootstrap_filter
    from catlearn.lang import parse
    T, w = 20, Y[:20] * 0.5
    target = Target(parse(TWO)["two"], {"T": T}, {"y": Y[:T], "w": w, "v": jnp.array(0.3)})
    model = target.sequential()
    assert model.total == 2 * T + 1 and len(model.phases) == 2
    run = jax.jit(lambda k: bootstrap_filter(k, model, 4000))
    results = [run(jax.random.key(seed)) for seed in range(3)]
    exact_x, mean_x, sd_x = kalman(np.asarray(Y[:T]), 0.9)
    exact = exact_x + kalman(np.asarray(w), 0.5)[0] + float(norm.logpdf(0.3, 0.0, 2 ** 0.5))
    estimates = np.array([float(r.log_evidence) for r in results])
    assert np.all(np.abs(estimates - exact) < 1.0), (estimates, exact)
    pop = results[0].population
    weights = np.exp(np.asarray(pop.log_weights) - np.max(pop.log_weights))
    smoothed = np.average(np.asarray(pop.particles.sites["x"]), axis=0, weights=weights)
    assert np.mean(np.abs(smoothed - mean_x) / sd_x) < 0.3
    assert set(pop.particles.sites) == {"x", "s", "z"}
