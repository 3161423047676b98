"""PMMH: the posterior of ar1's rho (data simulated with rho = 0.9)."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from catlearn.errors import InferenceError
from catlearn.inference.pmmh import pmmh, pmmh_chain
from state_spaces import lgss


def rho_of(z):
    """Uniform(-1, 1) from the real line: ρ = 2σ(z) - 1."""
    return 2 * jax.nn.sigmoid(z) - 1


def log_prior(z):
    """Uniform(-1, 1) pushed to z: log(½ · 2σ(z)(1-σ(z)))."""
    return jax.nn.log_sigmoid(z) + jax.nn.log_sigmoid(-z)


def ar1(z):
    return lgss(rho_of(z))


def test_pmmh_finds_rho_of_ar1():
    run = jax.jit(lambda k: pmmh_chain(k, jnp.zeros(()), log_prior, ar1, particles=200,
                                       samples=800, warmup=200, step_size=0.4))
    chain = run(jax.random.key(0))
    rho = np.asarray(rho_of(chain.positions))
    assert 0.8 <= rho.mean() <= 0.97, rho.mean()
    assert 0.1 < float(chain.is_accepted.mean()) < 0.9
    assert np.isfinite(np.asarray(chain.log_evidence)).all()


def test_pmmh_is_reproducible():
    run = jax.jit(lambda k: pmmh_chain(k, jnp.zeros(()), log_prior, ar1, particles=50,
                                       samples=20).positions)
    np.testing.assert_array_equal(run(jax.random.key(3)), run(jax.random.key(3)))


def test_pmmh_options_are_checked():
    with pytest.raises(InferenceError, match="particles"):
        pmmh(particles=0)
    with pytest.raises(InferenceError, match="step_size"):
        pmmh(step_size=-1.0)
