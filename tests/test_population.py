"""The population block: spawn, reweight, normalise, ESS, evidence in log space."""
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from catlearn.inference.population import (Population, effective_sample_size, log_evidence,
                                           mean, normalise, normalised_weights, reweight, spawn)


def test_spawn_weights_each_draw_by_its_weight_over_n():
    pop = spawn(jax.random.key(0), 5, lambda k: (jax.random.normal(k, (3,)), jnp.log(2.0)))
    assert pop.particles.shape == (5, 3)
    np.testing.assert_allclose(pop.log_weights, np.log(2.0 / 5), rtol=1e-6)
    np.testing.assert_allclose(log_evidence(pop), np.log(2.0), rtol=1e-6)


def test_spawn_is_reproducible_and_key_dependent():
    sampler = lambda k: (jax.random.normal(k), 0.0)
    a, b = spawn(jax.random.key(1), 4, sampler), spawn(jax.random.key(1), 4, sampler)
    c = spawn(jax.random.key(2), 4, sampler)
    np.testing.assert_array_equal(a.particles, b.particles)
    assert not np.allclose(a.particles, c.particles)


@pytest.mark.parametrize("log_w", [[0.0, 0.0, 0.0, 0.0], [-1000.0, -1001.0, -1002.0, -1003.0],
                                   [3.0, -np.inf, 1.0, 0.5]])
def test_ess_is_kish_formula_and_scale_free(log_w):
    pop = Population(jnp.zeros(4), jnp.array(log_w), jnp.zeros(()))
    w = np.exp(np.array(log_w) - max(log_w))
    np.testing.assert_allclose(effective_sample_size(pop), w.sum() ** 2 / (w ** 2).sum(),
                               rtol=1e-5)


def test_normalise_preserves_the_measure():
    pop = Population(jnp.arange(3.0), jnp.array([-700.0, -701.0, -699.5]), jnp.asarray(2.0))
    normal = normalise(pop)
    np.testing.assert_allclose(jnp.exp(normal.log_weights).sum(), 1.0, rtol=1e-6)
    np.testing.assert_allclose(log_evidence(normal), log_evidence(pop), rtol=1e-6)
    np.testing.assert_allclose(mean(normal), mean(pop), rtol=1e-6)


def test_reweight_accumulates_evidence_in_log_space():
    # 1000 stages of weight e^-1 on every particle: log Z = -1000, no underflow
    pop = spawn(jax.random.key(0), 8, lambda k: (0.0, 0.0))
    pop = jax.lax.fori_loop(0, 1000, lambda i, p: normalise(reweight(p, -jnp.ones(8))), pop)
    np.testing.assert_allclose(log_evidence(pop), -1000.0, rtol=1e-5)


def test_zero_mass_gives_zero_ess_and_no_nan():
    pop = Population(jnp.zeros(3), jnp.full(3, -jnp.inf), jnp.zeros(()))
    normal = normalise(pop)
    assert float(effective_sample_size(pop)) == 0.0
    assert float(log_evidence(normal)) == -np.inf
    assert not np.isnan(normal.log_weights).any()
    assert not np.isnan(normalised_weights(pop)).any()
