"""A site defined in a loop over ``range(K, T)`` only, as Stan's
``for (t in (K+1):T) y[t] ~ ...``: observed, its data's first K elements are read by
no statement (the lags' start); latent, only its elements K .. T-1 are parameters,
the others NaN in the draws."""
import math

import jax.numpy as jnp
import numpy as np
import pytest

import catlearn as cl
from catlearn.inference.target import Target
from catlearn.lang import parse

AR1 = """
model ar(K: Nat, T: Nat, past: Real[T]) {
    b ~ Normal(0, 1)
    for t in range(K, T) {
        y[t] ~ Normal(b * past[t - 1], 0.5)
    }
}
"""
SERIES = np.array([0.3, -0.4, 0.8, 1.1, 0.2, -0.6])


def normal_lpdf(x, mu, s):
    return -0.5 * ((x - mu) / s) ** 2 - math.log(s) - 0.5 * math.log(2 * math.pi)


def test_an_observed_site_on_range_k_t_scores_its_elements_k_onwards_only():
    model = parse(AR1)["ar"]
    args = {"K": 2, "T": 6, "past": SERIES}
    target = Target(model, args, {"y": SERIES})
    assert target.dim == 1
    b = 0.7
    expected = normal_lpdf(b, 0, 1) + sum(normal_lpdf(SERIES[t], b * SERIES[t - 1], 0.5)
                                          for t in range(2, 6))
    assert float(target.logdensity(jnp.array([b]))) == pytest.approx(expected, rel=1e-5)
    # the first K elements of the data are read by nothing: other values there, or
    # none (NaN), give the same density and are not imputed
    for other in (np.r_[9.0, -9.0, SERIES[2:]], np.r_[np.nan, np.nan, SERIES[2:]]):
        again = Target(model, args, {"y": other})
        assert again.dim == 1 and not again.missing
        assert float(again.logdensity(jnp.array([b]))) == pytest.approx(expected, rel=1e-5)
    # negative control: an element the loop does observe changes the density
    moved = Target(model, args, {"y": np.r_[SERIES[:4], 9.0, SERIES[5:]]})
    assert float(moved.logdensity(jnp.array([b]))) != pytest.approx(expected, rel=1e-3)


def test_a_latent_site_on_range_k_t_has_parameters_k_onwards_and_nan_before():
    model = parse(AR1)["ar"]
    target = Target(model, {"K": 2, "T": 6, "past": SERIES})
    assert target.dim == 1 + 4                      # b and y[2:6]
    u = jnp.array([0.7, 0.1, 0.2, 0.3, 0.4])
    values = target.constrain(u)
    y = np.asarray(values["y"])
    assert np.isnan(y[:2]).all()
    np.testing.assert_allclose(y[2:], [0.1, 0.2, 0.3, 0.4], rtol=1e-6)
    expected = normal_lpdf(0.7, 0, 1) + sum(normal_lpdf(y[t], 0.7 * SERIES[t - 1], 0.5)
                                            for t in range(2, 6))
    assert float(target.logdensity(u)) == pytest.approx(expected, rel=1e-5)
    np.testing.assert_allclose(target.flatten(target.unflatten(u)), u)


def test_its_draws_and_summary_leave_the_elements_before_k_empty():
    post = cl.infer(parse(AR1)["ar"], args={"K": 2, "T": 6, "past": SERIES},
                    method=cl.prior(draws=50, seed=0))
    y = np.asarray(post.samples["y"])
    assert y.shape[-1] == 6 and np.isnan(y[..., :2]).all() and np.isfinite(y[..., 2:]).all()
    summary = post.summary_dict()
    assert summary["y[0]"]["mean"] is None and summary["y[2]"]["mean"] is not None


def test_nuts_samples_a_latent_site_on_range_k_t():
    post = cl.infer(parse(AR1)["ar"], args={"K": 2, "T": 6, "past": SERIES},
                    method=cl.nuts(chains=1, warmup=100, samples=100, seed=0))
    y = np.asarray(post.samples["y"])
    assert np.isnan(y[..., :2]).all() and np.isfinite(y[..., 2:]).all()
