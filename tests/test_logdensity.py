"""The log-density functor agrees with log densities written by hand in JAX."""
import json

import jax
import jax.numpy as jnp
import numpy as np
from jax.scipy.stats import cauchy, norm

from catlearn.inference.target import Target, log_density
from model_builders import eight_schools, lgss, linreg

EXAMPLES = "examples"
SCHOOLS = json.load(open("examples/data/posteriordb/"
                         "eight_schools-eight_schools_noncentered.json"))["data"]


def points(dim, n=3):
    return jax.random.normal(jax.random.key(7), (n, dim))


def agree(logdensity, hand, dim) -> bool:
    """Values and gradients agree at a few points (all in one jitted call each)."""
    thetas = points(dim)
    both = jax.jit(jax.vmap(jax.value_and_grad(logdensity)))
    ours, theirs = both(thetas), jax.jit(jax.vmap(jax.value_and_grad(hand)))(thetas)
    return bool(jnp.allclose(ours[0], theirs[0], rtol=1e-5, atol=1e-3)
                and jnp.allclose(ours[1], theirs[1], rtol=1e-4, atol=1e-3))


def test_linreg():
    data = np.loadtxt(f"{EXAMPLES}/linreg.csv", delimiter=",", skiprows=1)
    x, y = data[:, 0], data[:, 1]
    target = Target(linreg(), {"x": x}, {"y": y})
    assert target.dim == 3 and target.latent_names == ["w", "b", "sigma"]

    def hand(theta):
        w, b, log_sigma = theta
        sigma = jnp.exp(log_sigma)
        return (norm.logpdf(w) + norm.logpdf(b) + jnp.log(2) + norm.logpdf(sigma) + log_sigma
                + jnp.sum(norm.logpdf(y, w * x + b, sigma)))
    assert agree(target.logdensity, hand, target.dim)


def test_eight_schools_non_centred():
    y, sigma = jnp.array(SCHOOLS["y"], float), jnp.array(SCHOOLS["sigma"], float)
    target = Target(eight_schools(), {"J": SCHOOLS["J"], "sigma": sigma}, {"y": y})
    assert target.dim == 10

    def hand(theta):
        mu, log_tau, raw = theta[0], theta[1], theta[2:]
        tau = jnp.exp(log_tau)
        return (norm.logpdf(mu, 0, 5) + jnp.log(2) + cauchy.logpdf(tau, 0, 5) + log_tau
                + jnp.sum(norm.logpdf(raw)) + jnp.sum(norm.logpdf(y, mu + tau * raw, sigma)))
    assert agree(target.logdensity, hand, target.dim)
    theta = points(10)[0]
    prior, lik = jax.jit(target.log_prior)(theta), jax.jit(target.log_likelihood)(theta)
    assert jnp.isclose(lik, jnp.sum(norm.logpdf(y, theta[0] + jnp.exp(theta[1]) * theta[2:],
                                                sigma)), rtol=1e-5)
    assert jnp.isclose(prior + lik, jax.jit(target.logdensity)(theta))


def test_lgss_scan():
    a = json.load(open(f"{EXAMPLES}/lgss.json"))
    y = jnp.array(a["y"])
    logdensity = log_density(lgss(), {"T": a["T"], "rho": 0.9}, {"y": y})

    def hand(x):
        return (norm.logpdf(x[0]) + jnp.sum(norm.logpdf(x[1:], 0.9 * x[:-1], 1.0))
                + jnp.sum(norm.logpdf(y, x, 0.5)))
    assert agree(logdensity, hand, a["T"])


def test_constrain_is_vectorised_and_on_the_support():
    y, sigma = jnp.array(SCHOOLS["y"], float), jnp.array(SCHOOLS["sigma"], float)
    target = Target(eight_schools(), {"J": 8, "sigma": sigma}, {"y": y})
    thetas = points(target.dim, n=5)
    sites = jax.jit(jax.vmap(target.constrain))(thetas)
    assert sites["theta_raw"].shape == (5, 8) and sites["mu"].shape == (5,)
    assert jnp.allclose(sites["tau"], jnp.exp(thetas[:, 1]))
    flat = jax.jit(target.init)(jax.random.key(0))
    assert flat.shape == (10,) and jnp.isfinite(jax.jit(target.logdensity)(flat))
