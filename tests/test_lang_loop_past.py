"""Loops that read their past freely: ``y[t-k]`` for any fixed k (AR(K), ARMA),
a loop's last value read after it (``y[T-1]``), names a loop reassigns
(``total = total + y[t]``, Stan's accumulations), and a piecewise array used
whole. Checked against closed forms: the AR(2) and ARMA(1,1) log densities,
and the Gaussian posterior of an AR(2) with a known noise scale."""
import math

import jax.numpy as jnp
import numpy as np
import pytest
from refusals import assert_refused

import catlearn as cl
from catlearn.errors import CatlearnTypeError, UnknownNameError
from catlearn.inference.target import Target
from catlearn.lang import parse

AR2 = """
model ar2(T: Nat, s: Pos) {
    a ~ Normal(0, 1)
    b1 ~ Normal(0, 1)
    b2 ~ Normal(0, 1)
    y[0] ~ Normal(a, s)
    y[1] ~ Normal(a + b1 * y[0], s)
    for t in range(2, T) {
        y[t] ~ Normal(a + b1 * y[t-1] + b2 * y[t-2], s)
    }
    last = y[T-1]
    total = 0.0
    for t in range(T) {
        total = total + y[t]
    }
    return last, total
}
"""

ARMA11 = """
model arma11(T: Nat) {
    mu ~ Normal(0, 10)
    phi ~ Normal(0, 2)
    theta ~ Normal(0, 2)
    sigma ~ HalfNormal(5)
    nu[0] = mu + phi * mu
    y[0] ~ Normal(nu[0], sigma)
    err[0] = y[0] - nu[0]
    for t in range(1, T) {
        nu[t] = mu + phi * y[t-1] + theta * err[t-1]
        y[t] ~ Normal(nu[t], sigma)
        err[t] = y[t] - nu[t]
    }
    return err
}
"""


def _normal(x, loc, scale):
    return -0.5 * ((x - loc) / scale) ** 2 - math.log(scale) - 0.5 * math.log(2 * math.pi)


def _ar2_design(y: np.ndarray) -> np.ndarray:
    """The rows (1, y[t-1], y[t-2]) of each y[t], with the missing past left out."""
    rows = [[1.0, 0.0, 0.0], [1.0, y[0], 0.0]]
    rows += [[1.0, y[t - 1], y[t - 2]] for t in range(2, len(y))]
    return np.array(rows)


Y = np.random.default_rng(0).normal(size=12).astype(np.float32).cumsum() * 0.3


def test_ar2_log_density_is_the_closed_form():
    target = Target(parse(AR2)["ar2"], {"T": len(Y), "s": 0.7}, {"y": Y})
    u = np.array([0.1, 0.5, -0.3])
    mean = _ar2_design(Y.astype(float)) @ u
    expected = sum(_normal(v, 0, 1) for v in u) + sum(_normal(y, m, 0.7)
                                                      for y, m in zip(Y, mean))
    assert float(target.logdensity(jnp.asarray(u))) == pytest.approx(expected, rel=1e-5)
    # negative control: the lag-2 coefficient matters
    other = u + np.array([0.0, 0.0, 0.2])
    assert float(target.logdensity(jnp.asarray(other))) != pytest.approx(expected, rel=1e-3)


def test_arma11_log_density_is_the_closed_form():
    target = Target(parse(ARMA11)["arma11"], {"T": len(Y)}, {"y": Y})
    mu, phi, theta, log_sigma = 0.2, 0.6, -0.4, math.log(0.8)
    sigma, err, expected = 0.8, 0.0, 0.0
    for t, y in enumerate(Y.astype(float)):
        nu = mu + phi * mu if t == 0 else mu + phi * Y[t - 1] + theta * err
        err = y - nu
        expected += _normal(y, nu, sigma)
    half_normal = math.log(2) + _normal(sigma, 0, 5) + log_sigma  # with its Jacobian
    expected += _normal(mu, 0, 10) + _normal(phi, 0, 2) + _normal(theta, 0, 2) + half_normal
    u = jnp.array([mu, phi, theta, log_sigma])
    assert float(target.logdensity(u)) == pytest.approx(expected, rel=1e-5)


def test_the_last_value_and_an_accumulation_are_read_after_their_loops():
    draws = cl.infer(parse(AR2)["ar2"], args={"T": 6, "s": 1.0},
                     method=cl.prior(draws=5, seed=1)).samples
    y = np.asarray(draws["y"])
    assert y.shape[-1] == 6 and np.ptp(y) > 0
    np.testing.assert_allclose(np.asarray(draws["last"]), y[..., 5], rtol=1e-6)
    np.testing.assert_allclose(np.asarray(draws["total"]), y.sum(-1), rtol=1e-5)
    # err[0] and the loop's err[1:T], joined into one array of the declared length
    assert str(parse(ARMA11)["arma11"].diagram.cod) == "Real[T]"


def test_nested_loops_accumulate_through_both():
    prog = parse("model m(I: Nat, J: Nat, x: Real[I, J]) {\n total = 0.0\n"
                 " for i in range(I) {\n  for j in range(J) {\n   total = total + x[i, j] * j\n"
                 "  }\n }\n return total\n}")
    x = np.arange(6.0, dtype=np.float32).reshape(2, 3)
    draws = cl.infer(prog["m"], args={"I": 2, "J": 3, "x": x},
                     method=cl.prior(draws=1)).samples
    assert float(np.asarray(draws["total"]).ravel()[0]) == pytest.approx(
        float((x * np.arange(3)).sum()))


@pytest.mark.slow
def test_ar2_posterior_with_known_noise_is_the_gaussian_one():
    """With s known the posterior of (a, b1, b2) is Gaussian: precision
    I + X'X / s², mean its inverse times X'y / s²."""
    rng = np.random.default_rng(3)
    y = [0.0, 0.3]
    for _ in range(58):
        y.append(0.2 + 0.5 * y[-1] - 0.3 * y[-2] + 0.5 * rng.normal())
    y = np.array(y, np.float32)
    X = _ar2_design(y.astype(float))
    precision = np.eye(3) + X.T @ X / 0.25
    cov = np.linalg.inv(precision)
    mean = cov @ X.T @ y / 0.25
    post = cl.infer(parse(AR2)["ar2"], args={"T": len(y), "s": 0.5}, data={"y": y},
                    method=cl.nuts(chains=2, warmup=400, samples=600, seed=0, progress=False))
    for k, name in enumerate(("a", "b1", "b2")):
        draws = np.asarray(post.samples[name]).ravel()
        sd = math.sqrt(cov[k, k])
        assert abs(draws.mean() - mean[k]) < 0.2 * sd, name
        assert abs(draws.std() / sd - 1) < 0.2, name


BAD = [
    ("model m(T: Nat) {\n total = 0\n for t in range(T) {\n  x[t] ~ Normal(0, 1)\n"
     "  total = total + x[t]\n }\n}", CatlearnTypeError, 3, 2,
     ["the state total of the loop over t changes type", "Int", "0.0"]),
    ("model m(T: Nat) {\n x[0] ~ Normal(0, 1)\n for t in range(1, T) {\n"
     "  x[t] ~ Normal(x[t-2], 1)\n }\n}", UnknownNameError, 4, 17,
     ["x[t-2] at the first iteration reads x[-1]"]),
    ("model m(T: Nat) {\n x[0] ~ Normal(0, 1)\n for t in range(1, T) {\n"
     "  x[t] ~ Normal(x[t-0], 1)\n }\n}", CatlearnTypeError, 4, 17, ["reads ahead"]),
    ("model m(T: Nat) {\n x[0] ~ Normal(0, 1)\n for t in range(1, T) {\n"
     "  x[t] ~ Normal(x[t+1], 1)\n }\n}", CatlearnTypeError, 4, 17,
     ["index it by the loop variable"]),
]


@pytest.mark.parametrize("source, cls, line, column, words", BAD)
def test_misuse_is_refused_where_it_is_written(source, cls, line, column, words):
    assert_refused(source, cls, line, column, words)
