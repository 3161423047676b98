"""Truncated distributions (Stan's ``normal(mu, s) T[L, U]``, written
``Truncated(Normal(mu, s), lower = L, upper = U)``) and ``HalfStudentT``:
densities against SciPy's, the normalising constant when a parameter is
latent, and prior draws from the truncated distribution."""
import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy import stats

import catlearn as cl
from catlearn.distributions import get
from catlearn.errors import CatlearnTypeError, NotSupportedError, UnknownNameError
from catlearn.inference.target import Target
from catlearn.lang import parse
from refusals import refusal_test

INF = math.inf
X = np.array([0.05, 0.3, 0.9, 2.5])


def truncnorm(loc, scale, low, high):
    return stats.truncnorm((low - loc) / scale, (high - loc) / scale, loc=loc, scale=scale)


@pytest.mark.parametrize("low, high", [(0.0, INF), (-INF, 1.0), (-0.5, 1.0)],
                         ids=["lower", "upper", "both"])
def test_a_truncated_normal_has_scipys_density(low, high):
    d = get("Truncated(Normal)")(0.4, 1.5, low, high)
    expected = truncnorm(0.4, 1.5, low, high).logpdf(X)
    np.testing.assert_allclose(np.asarray(d.log_prob(jnp.asarray(X))), expected, rtol=1e-5)


def test_other_bases_and_the_half_student_t_have_scipys_densities():
    t = stats.t(3, loc=0.5, scale=2.0)
    d = get("Truncated(StudentT)")(3.0, 0.5, 2.0, 0.0, 3.0)
    np.testing.assert_allclose(np.asarray(d.log_prob(jnp.asarray(X))),
                               t.logpdf(X) - np.log(t.cdf(3.0) - t.cdf(0.0)), rtol=1e-5)
    d = get("Truncated(Gamma)")(2.0, 1.5, 0.2, INF)
    g = stats.gamma(2.0, scale=1 / 1.5)
    np.testing.assert_allclose(np.asarray(d.log_prob(jnp.asarray(X[1:]))),
                               g.logpdf(X[1:]) - np.log(g.sf(0.2)), rtol=1e-5)
    assert np.isneginf(np.asarray(d.log_prob(0.1)))  # below the bound
    half = get("HalfStudentT")(4.0, 2.0)
    np.testing.assert_allclose(np.asarray(half.log_prob(jnp.asarray(X))),
                               np.log(2) + stats.t(4, scale=2.0).logpdf(X), rtol=1e-5)
    folded_mean = 2 * stats.t(4, scale=2.0).expect(lambda x: x, lb=0)
    assert float(half.mean) == pytest.approx(folded_mean, rel=1e-4)


def test_the_normalising_constant_follows_a_latent_location():
    """y ~ Normal(mu, 1) T[0, ] with mu latent: the density of the data divides by
    P(Y > 0 | mu), which depends on mu (a plain Normal would be wrong)."""
    model = parse("model m(N: Nat) {\n mu ~ Normal(0, 1)\n for n in range(N) {\n"
                  "  y[n] ~ Truncated(Normal(mu, 1), lower = 0)\n }\n}")["m"]
    y = np.array([0.2, 0.7, 1.9])
    target = Target(model, {"N": 3}, {"y": y})
    for mu in (-1.0, 0.3, 1.2):
        expected = stats.norm.logpdf(mu) + truncnorm(mu, 1.0, 0.0, INF).logpdf(y).sum()
        assert float(target.logdensity(jnp.array([mu]))) == pytest.approx(expected, rel=1e-5)
        untruncated = stats.norm.logpdf(mu) + stats.norm.logpdf(y, mu).sum()
        assert abs(expected - untruncated) > 0.1  # negative control


def test_bounds_may_be_expressions_of_the_model():
    model = parse("model m() {\n a ~ Normal(0, 1)\n b ~ Truncated(Normal(0, 1), lower = a, "
                  "upper = a + 1)\n}")["m"]
    target = Target(model)
    values = target.constrain(jnp.array([0.3, -0.4]))
    a, b = float(values["a"]), float(values["b"])
    assert a < b < a + 1
    expected = stats.norm.logpdf(a) + truncnorm(0.0, 1.0, a, a + 1).logpdf(b)
    jacobian = math.log((b - a) * (a + 1 - b))  # of the scaled logistic onto (a, a + 1)
    assert float(target.logdensity(jnp.array([0.3, -0.4]))) == pytest.approx(
        expected + jacobian, rel=1e-5)


@pytest.mark.slow
def test_prior_draws_come_from_the_truncated_distribution():
    """Quantile draws (Normal, HalfNormal) and draws kept inside the bounds
    (StudentT, which has no quantile function here)."""
    model = parse("""
model m() {
    a ~ Truncated(Normal(0, 1), lower = 0)
    b ~ Truncated(Normal(1, 2), lower = -1, upper = 0.5)
    c ~ Truncated(StudentT(3, 0, 1), upper = -1)
    d ~ Truncated(HalfNormal(1), upper = 1)
    e ~ HalfStudentT(3, 2)
}""")["m"]
    draws = cl.infer(model, method=cl.prior(draws=4000, seed=3)).samples
    reference = {"a": truncnorm(0, 1, 0, INF), "b": truncnorm(1, 2, -1, 0.5),
                 "d": truncnorm(0, 1, 0, 1)}
    for site, ref in reference.items():
        x = np.asarray(draws[site]).ravel()
        assert ref.support()[0] <= x.min() and x.max() <= ref.support()[1], site
        assert abs(x.mean() - ref.mean()) < 4 * ref.std() / math.sqrt(len(x)), site
        assert abs(x.std() - ref.std()) < 0.05 * ref.std(), site
    t3 = stats.t(3)
    c = np.asarray(draws["c"]).ravel()
    assert np.isfinite(c).all() and c.max() <= -1
    assert abs(c.mean() - t3.expect(lambda x: x, ub=-1) / t3.cdf(-1)) < 0.15
    e = np.asarray(draws["e"]).ravel()
    assert e.min() >= 0 and abs(np.median(e) - 2 * t3.ppf(0.75)) < 0.15  # |2 T|'s median


BAD = [
    ("model m() {\n k ~ Truncated(Poisson(3), lower = 1)\n}", NotSupportedError, 2, 16,
     ["truncating Poisson, discrete"]),
    ("model m() {\n k ~ Truncated(InverseGamma(2, 1), lower = 1)\n}", NotSupportedError, 2,
     16, ["truncating InverseGamma", "cumulative distribution"]),
    ("model m() {\n x ~ Truncated(Normal(0, 1))\n}", CatlearnTypeError, 2, 6,
     ["Truncated needs a bound"]),
    ("model m() {\n x ~ Truncated(Normal(0, 1), low = 0)\n}", UnknownNameError, 2, 30,
     ["not 'low'", "did you mean 'lower'"]),
    ("model m() {\n x ~ Truncated(3, lower = 0)\n}", CatlearnTypeError, 2, 6,
     ["Truncated takes one distribution"]),
    ("model m() {\n x ~ Truncated(Normal(0), lower = 0)\n}", CatlearnTypeError, 2, 16,
     ["missing scale"]),
]


test_misuse_is_refused_where_it_is_written = refusal_test(BAD)
