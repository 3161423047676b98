"""Log densities inside expressions, as Stan writes mixtures and hidden Markov
models: ``normal_lpdf(y, mu, sigma)`` (Stan's ``normal_lpdf(y | mu, sigma)``),
``log_sum_exp``, ``log_mix``, used in ``factor``. Each is checked against a
closed form computed here in NumPy (the HMM's by summing over every path)."""
import itertools
import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from catlearn import distributions
from catlearn.errors import CatlearnTypeError, UnknownNameError
from catlearn.inference.target import Target
from catlearn.lang import parse
from refusals import refusal_test


def normal_logpdf(x, mu, s):
    return -0.5 * ((x - mu) / s) ** 2 - np.log(s) - 0.5 * math.log(2 * math.pi)


MIXTURE = """
model mix(N: Nat, y: Real[N]) {
    p ~ Beta(2, 2)
    mu1 ~ Normal(-2, 1)
    mu2 ~ Normal(2, 1)
    s ~ HalfNormal(2)
    for n in range(N) {
        factor(log_mix(p, normal_lpdf(y[n], mu1, s), normal_lpdf(y[n], mu2, s)))
    }
}
"""
Y = np.array([-2.5, -1.0, 0.3, 2.2, 3.1])


def at(target, u):
    return {k: np.asarray(v, dtype=float) for k, v in target.constrain(jnp.asarray(u)).items()}


def test_a_two_component_mixture_has_its_closed_form_likelihood():
    target = Target(parse(MIXTURE)["mix"], {"N": 5, "y": Y})
    for u in ([0.3, -1.5, 2.0, 0.1], [-1.0, 0.5, 1.0, -0.7]):
        v = at(target, u)
        density = (v["p"] * np.exp(normal_logpdf(Y, v["mu1"], v["s"]))
                   + (1 - v["p"]) * np.exp(normal_logpdf(Y, v["mu2"], v["s"])))
        assert float(target.log_likelihood(jnp.asarray(u))) == pytest.approx(
            np.log(density).sum(), rel=1e-5)


def test_log_mix_of_weights_and_log_sum_exp_are_the_sums_they_name():
    model = parse("""
model m(w: Real[3], lps: Real[2, 3], a: Real[2], b: Real[2]) {
    z ~ Normal(0, 1)
    return log_mix(w, lps), log_sum_exp(lps), log_sum_exp(lps, axis = 1), log_sum_exp(a, b)
}""")["m"]
    w, lps = np.array([0.2, 0.3, 0.5]), np.array([[-1.0, -2.0, -0.5], [-3.0, -0.1, -4.0]])
    a, b = np.array([1.0, -1.0]), np.array([0.5, 2.0])
    outs = Target(model, {"w": w, "lps": lps, "a": a, "b": b}).sample_prior(jax.random.key(0))
    expected = [np.log((w * np.exp(lps)).sum(-1)), np.log(np.exp(lps).sum()),
                np.log(np.exp(lps).sum(1)), np.log(np.exp(a) + np.exp(b))]
    for k, value in enumerate(expected):
        np.testing.assert_allclose(outs[f"return_{k}"], value, rtol=1e-5)


HMM = """
model hmm(T: Nat, K: Nat, y: Real[T], ones: Real[K]) {
    rho ~ Dirichlet(ones)
    for k in range(K) {
        Gamma[k] ~ Dirichlet(ones)
        mu[k] ~ Normal(0, 3)
    }
    sigma ~ HalfNormal(1)
    for k in range(K) {
        first[k] = log(rho[k]) + normal_lpdf(y[0], mu[k], sigma)
    }
    norm[0] = log_sum_exp(first)
    alpha[0] = first - norm[0]
    factor(norm[0])
    for t in range(1, T) {
        for k in range(K) {
            acc[t, k] = log_sum_exp(alpha[t-1] + log(Gamma[:, k]))
                        + normal_lpdf(y[t], mu[k], sigma)
        }
        norm[t] = log_sum_exp(acc[t])
        alpha[t] = acc[t] - norm[t]
        factor(norm[t])
    }
}
"""


@pytest.mark.parametrize("K", [2, 3])
def test_the_forward_algorithm_written_with_log_sum_exp_is_the_sum_over_paths(K):
    """The scaled forward algorithm: alpha normalised each step, the log
    normalisers' sum is log p(y). Checked against the sum over all K^T paths."""
    T = 5
    y = np.array([-1.0, -1.2, 0.9, 1.4, -0.8])
    target = Target(parse(HMM)["hmm"], {"T": T, "K": K, "y": y, "ones": np.ones(K)})
    u = np.linspace(-1.0, 1.2, target.dim)
    v = at(target, u)
    rho, G, mu, s = v["rho"], v["Gamma"], v["mu"], v["sigma"]
    total = sum_over_paths(y, rho, G, mu, s)
    assert float(target.log_likelihood(jnp.asarray(u))) == pytest.approx(total, rel=1e-5)
    # negative control: a wrong transition matrix (its transpose) changes it
    assert abs(sum_over_paths(y, rho, G.T, mu, s) - total) > 1e-3


def sum_over_paths(y, rho, G, mu, s):
    """log p(y) of the Gaussian HMM, summing the joint density over every path."""
    total = -np.inf
    for path in itertools.product(range(len(rho)), repeat=len(y)):
        lp = np.log(rho[path[0]]) + normal_logpdf(y[0], mu[path[0]], s)
        for i in range(1, len(y)):
            lp += np.log(G[path[i - 1], path[i]]) + normal_logpdf(y[i], mu[path[i]], s)
        total = np.logaddexp(total, lp)
    return total


DENSITIES = [("normal_lpdf", "Normal", [("Real", 0.7), ("Real[2]", [0.5, -0.2]), ("Real", 1.3)]),
             ("student_t_lpdf", "StudentT", [("Real", 0.4), ("Real", 3.0), ("Real", 0.1),
                                            ("Real", 2.0)]),
             ("half_cauchy_lpdf", "HalfCauchy", [("Real[2]", [0.4, 2.0]), ("Real", 1.5)]),
             ("lognormal_lpdf", "LogNormal", [("Real", 2.0), ("Real", 0.3), ("Real", 0.7)]),
             ("inv_gamma_lpdf", "InverseGamma", [("Real", 1.3), ("Real", 2.0), ("Real", 1.5)]),
             ("poisson_lpmf", "Poisson", [("Int[3]", [3, 0, 5]), ("Real", 2.5)]),
             ("binomial_lpmf", "Binomial", [("Int", 4), ("Int", 10), ("Real", 0.3)]),
             ("multi_normal_lpdf", "MultivariateNormal",
              [("Real[2]", [0.3, -0.4]), ("Real[2]", [0.0, 0.1]),
               ("Real[2, 2]", [[2.0, 0.5], [0.5, 1.0]])])]


@pytest.mark.parametrize("func, dist, arguments", DENSITIES, ids=[d[0] for d in DENSITIES])
def test_each_log_density_is_its_distributions_summed_over_the_elements(func, dist, arguments):
    names = [f"a{k}" for k in range(len(arguments))]
    signature = ", ".join(f"{n}: {ty}" for n, (ty, _) in zip(names, arguments))
    model = parse(f"model m({signature}) {{\n z ~ Normal(0, 1)\n"
                  f" return {func}({', '.join(names)})\n}}")["m"]
    values = [np.asarray(v) for _, v in arguments]
    out = Target(model, dict(zip(names, values))).sample_prior(jax.random.key(0))["return_0"]
    expected = jnp.sum(distributions.get(dist)(*values[1:]).log_prob(jnp.asarray(values[0])))
    assert np.shape(out) == () and float(out) == pytest.approx(float(expected), rel=1e-5)


BAD = [
    ("model m(y: Real) {\n factor(normall_lpdf(y, 0, 1))\n}", UnknownNameError, 2, 9,
     ["unknown distribution in 'normall_lpdf'", "did you mean 'normal_lpdf'"]),
    ("model m(y: Nat) {\n factor(poisson_lpdf(y, 3))\n}", CatlearnTypeError, 2, 9,
     ["Poisson is discrete", "poisson_lpmf"]),
    ("model m(y: Real) {\n factor(normal_lpmf(y, 0, 1))\n}", CatlearnTypeError, 2, 9,
     ["Normal is continuous", "normal_lpdf"]),
    ("model m(y: Real) {\n factor(normal_lpdf(y, 0))\n}", CatlearnTypeError, 2, 9,
     ["normal_lpdf takes 3 arguments (y, loc, scale), got 2"]),
    ("model m(y: Real[3], mu: Real[2]) {\n factor(normal_lpdf(y, mu, 1))\n}",
     CatlearnTypeError, 2, 21, ["y of type Real[3] does not match", "Real[2]"]),
    ("model m(y: Real, mu: Real[2], s: Real[3]) {\n factor(normal_lpdf(y, mu, s))\n}",
     CatlearnTypeError, 2, 9, ["parameters of Normal do not broadcast"]),
    ("model m(y: Real) {\n factor(log_density(y))\n}", UnknownNameError, 2, 9,
     ["unknown function 'log_density'"]),
    ("model m(w: Real[3], lps: Real[4]) {\n factor(log_mix(w, lps))\n}",
     CatlearnTypeError, 2, 9, ["3 weights for 4 components"]),
    ("model m(a: Real) {\n factor(log_mix(a))\n}", CatlearnTypeError, 2, 9,
     ["log_mix takes 3 arguments (p, a, b) or 2"]),
    ("model m(a: Real) {\n factor(log_sum_exp(a, a, a))\n}", CatlearnTypeError, 2, 9,
     ["log_sum_exp takes 1 argument"]),
]


test_misuse_is_refused_where_it_is_written = refusal_test(BAD)
