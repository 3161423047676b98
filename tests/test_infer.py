"""The inference API: prior sampling, importance sampling, Posterior, conditioning errors."""
import json
import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax.scipy.special import betaln

from catlearn.errors import DataError, DistributionError, InferenceError
from catlearn.inference.api import importance, infer, prior
from catlearn.inference.target import Target
from model_builders import coin, eight_schools, linreg

EXAMPLES = "examples"
COIN = json.load(open(f"{EXAMPLES}/coin.json"))
X = np.loadtxt(f"{EXAMPLES}/linreg.csv", delimiter=",", skiprows=1)[:, 0]


@pytest.fixture(scope="module")
def coin_posterior():
    return infer(coin(), args={"n": COIN["n"]}, data={"flips": COIN["flips"]},
                 method=importance(particles=20000, seed=0))


def test_prior_moments_match_the_priors():
    post = infer(linreg(), args={"x": X}, method=prior(draws=4000, seed=1))
    s = post.samples
    assert s["w"].shape == (1, 4000) and s["y"].shape == (1, 4000, 50) and s["mu"].shape[-1] == 50
    se = 4 / math.sqrt(4000)
    assert abs(float(s["w"].mean())) < se and abs(float(s["w"].std()) - 1) < se
    assert abs(float(s["sigma"].mean()) - math.sqrt(2 / math.pi)) < se
    assert abs(float(s["sigma"].var()) - (1 - 2 / math.pi)) < se
    # the prior predictive: y = w x + b + sigma e, so Var y_i = x_i² + 1 + E sigma² = x_i² + 2
    var_y = np.asarray(s["y"][0]).var(0)
    assert np.allclose(var_y, X ** 2 + 2, rtol=0.15)


def test_prior_draws_are_reproducible():
    a = infer(linreg(), args={"x": X}, method=prior(draws=10, seed=3)).samples["w"]
    b = infer(linreg(), args={"x": X}, method=prior(draws=10), key=jax.random.key(3)).samples["w"]
    assert jnp.array_equal(a, b)


def test_coin_importance_matches_beta_8_4(coin_posterior):
    row = coin_posterior.summary_dict()["p"]
    assert abs(row["mean"] - 8 / 12) < 0.02
    assert abs(row["sd"] - math.sqrt(8 * 4 / (12 ** 2 * 13))) < 0.02
    exact = float(betaln(8.0, 4.0) - betaln(1.0, 1.0))   # -7.1854
    assert abs(coin_posterior.log_evidence - exact) < 0.05
    assert 2000 < coin_posterior.stats["ess"] < 20000
    assert row["r_hat"] is None and row["q5"] < row["mean"] < row["q95"]


def test_summary_table_and_arviz(coin_posterior):
    table = coin_posterior.summary()
    assert table.splitlines()[0].split() == ["parameter", "mean", "sd", "5%", "95%", "ess",
                                             "r_hat"]
    assert table.splitlines()[1].startswith("p ") and "log evidence" in table
    idata = coin_posterior.to_arviz()
    assert idata.posterior["p"].shape == (1, 20000)
    assert abs(float(idata.posterior["p"].mean()) - 8 / 12) < 0.02


def test_vector_sites_element_by_element():
    sigma = [15.0, 10, 16, 11, 9, 11, 10, 18]
    post = infer(eight_schools(), args={"J": 8, "sigma": sigma},
                 method=prior(draws=200, seed=0))
    rows = post.summary_dict()
    assert [f"theta_raw[{j}]" in rows for j in range(8)] == [True] * 8
    assert set(rows["mu"]) == {"mean", "sd", "q5", "q95", "ess", "r_hat"}


def test_posterior_predictive(coin_posterior):
    pred = coin_posterior.predictive(key=jax.random.key(0))
    flips = np.asarray(pred["flips"])
    assert flips.shape == (1, 20000, 10)
    # a posterior predictive flip is heads with probability E[p | data] = 2/3
    assert abs(flips.mean() - 8 / 12) < 0.01
    bigger = coin_posterior.predictive(args={"n": 3}, key=jax.random.key(1))
    assert bigger["flips"].shape == (1, 20000, 3)


def test_impossible_data_is_an_inference_error():
    with pytest.raises(InferenceError, match="weight zero"):
        infer(linreg(), args={"x": X[:2]}, data={"y": [1e30, 0.0]},
              method=importance(particles=10))


@pytest.mark.parametrize("args, data, message", [
    ({"n": 10}, {"flipz": COIN["flips"]}, "no sampled variable 'flipz'.*did you mean 'flips'"),
    ({"n": 10}, {"flips": COIN["flips"][:9]}, r"data 'flips' must have shape \(10,\)"),
    ({"n": 10}, {"flips": [0.5] * 10}, "data 'flips' must be integers"),
    ({"n": 10}, {"flips": [2] + COIN["flips"][1:]}, "'flips' is outside the support of Bernoulli"),
    ({"n": 10}, {"flips": ["a"] * 10}, "data 'flips' must be numbers"),
    ({"n": 10}, {"n": 3}, "'n' is an argument of coin"),
    ({}, {}, "missing argument 'n'"),
    ({"n": 10, "m": 1}, {}, "coin has no argument 'm'"),
    ({"n": -1}, {}, "argument 'n' must be a natural number"),
    ({"n": 2.5}, {}, "argument 'n' must be integers"),
    ({"n": 10}, {"p": 1.5}, "'p' is outside the support of Beta"),
])
def test_bad_data_names_the_variable(args, data, message):
    with pytest.raises(DataError, match=message):
        Target(coin(), args, data)


def test_argument_shapes_bind_dimensions():
    with pytest.raises(DataError, match="argument 'sigma' must have J = 8 entries"):
        Target(eight_schools(), {"J": 8, "sigma": [1.0, 2.0]})
    with pytest.raises(DataError, match="argument 'sigma' must be positive"):
        Target(eight_schools(), {"J": 2, "sigma": [1.0, -2.0]})
    with pytest.raises(DataError, match="data 'y' must have shape"):
        Target(linreg(), {"x": X}, {"y": np.zeros(3)})


def test_discrete_latents_refused_by_the_log_density():
    target = Target(coin(), {"n": 10})   # flips latent: discrete
    assert target.has_discrete_latents and target.discrete_latents == ["flips"]
    with pytest.raises(InferenceError, match="discrete latent variables \\(flips\\).*smc"):
        target.logdensity(jnp.zeros(target.dim))
    post = infer(coin(), args={"n": 4}, method=importance(particles=100))
    assert post.samples["p"].shape == (1, 100) and post.log_evidence == 0.0


def test_method_options_are_checked():
    with pytest.raises(InferenceError, match="particles must be a positive integer"):
        importance(particles=0)
    with pytest.raises(InferenceError, match="choose a method"):
        infer(coin(), args={"n": 1})


def test_invalid_constant_parameters_fail_when_the_query_is_bound():
    from catlearn.syntax import Ty
    from catlearn.syntax.model import Const, Model, Sample
    R = Ty("Real")
    m = Model("m", [], (Const(0.0) @ Const(-1.0)) >> Sample("z", "Normal", R @ R, R))
    with pytest.raises(DistributionError, match="scale must be positive, got -1.0"):
        Target(m)
