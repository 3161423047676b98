"""Resampling schemes: unbiased offspring counts, adaptive triggering under jit."""
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from catlearn.errors import InferenceError
from catlearn.inference.population import Population, log_evidence, spawn
from catlearn.inference.resample import SCHEMES, adaptive, resample, scheme

WEIGHTS = np.array([0.30, 0.005, 0.12, 0.0, 0.275, 0.2, 0.1])


@pytest.mark.parametrize("name", sorted(SCHEMES))
def test_expected_offspring_is_n_times_weight(name):
    n, runs = WEIGHTS.size, 20000
    keys = jax.random.split(jax.random.key(0), runs)
    ancestors = jax.jit(jax.vmap(lambda k: SCHEMES[name](k, jnp.log(WEIGHTS))))(keys)
    counts = np.asarray(jax.vmap(lambda a: jnp.bincount(a, length=n))(ancestors))
    assert (counts.sum(1) == n).all()
    assert counts[:, 3].max() == 0                         # zero weight: no offspring
    se = counts.std(0) / np.sqrt(runs) + 1e-9
    assert (np.abs(counts.mean(0) - n * WEIGHTS) < 4 * se + 1e-6).all(), counts.mean(0)


@pytest.mark.parametrize("name", ["systematic", "residual"])
def test_low_variance_schemes_keep_the_integer_part(name):
    keys = jax.random.split(jax.random.key(1), 500)
    ancestors = jax.vmap(lambda k: SCHEMES[name](k, jnp.log(WEIGHTS)))(keys)
    counts = np.asarray(jax.vmap(lambda a: jnp.bincount(a, length=WEIGHTS.size))(ancestors))
    assert (counts >= np.floor(WEIGHTS.size * WEIGHTS)).all()


def test_resample_keeps_evidence_and_equalises_weights():
    pop = Population(jnp.arange(4.0), jnp.log(jnp.array([0.1, 0.2, 0.3, 0.4])), jnp.asarray(-3.0))
    new, ancestors = resample(jax.random.key(0), pop)
    np.testing.assert_allclose(log_evidence(new), log_evidence(pop), rtol=1e-6)
    np.testing.assert_allclose(new.log_weights, -np.log(4), rtol=1e-6)
    np.testing.assert_array_equal(new.particles, pop.particles[ancestors])


def test_adaptive_resamples_only_below_threshold_under_jit():
    even = Population(jnp.arange(4.0), jnp.zeros(4), jnp.zeros(()))
    skewed = even._replace(log_weights=jnp.log(jnp.array([0.97, 0.01, 0.01, 0.01])))
    run = jax.jit(lambda k, p: adaptive(k, p, "systematic", 0.5))
    kept, ancestors, did = run(jax.random.key(0), even)
    assert not bool(did)
    np.testing.assert_array_equal(ancestors, np.arange(4))
    _, ancestors, did = run(jax.random.key(0), skewed)
    assert bool(did) and (np.asarray(ancestors) == 0).sum() >= 3


def test_unknown_scheme_names_the_choices():
    with pytest.raises(InferenceError, match="'sytematic'.*systematic"):
        scheme("sytematic")


def test_a_million_particles_resample_in_linear_memory():
    pop = spawn(jax.random.key(0), 10 ** 6, lambda k: (jax.random.normal(k), jax.random.normal(k)))
    new, _ = jax.jit(lambda k, p: resample(k, p, "stratified"))(jax.random.key(1), pop)
    assert new.particles.shape == (10 ** 6,)
