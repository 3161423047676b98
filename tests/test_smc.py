"""SMC against truth: the Kalman filter, Beta-Bernoulli conjugacy, quadrature."""

import jax
import jax.numpy as jnp
from jax.scipy.stats import norm
import numpy as np
import pytest
from scipy import stats

from catlearn.errors import InferenceError
from catlearn.inference.kalman import ar1_log_likelihood
from catlearn.inference.move import move, scaled_rmh
from catlearn.inference.population import spawn
from catlearn.inference.rmsmc import resample_move
from catlearn.inference.sequential import StaticTarget, log_cess, next_temperature, trace_back
from catlearn.inference.smc import bootstrap_filter, check, tempered_smc
from state_spaces import Y, lgss

KALMAN = -172.454


def coin_target():
    """p ~ Beta(1, 1) on the logit scale, 7 heads and 3 tails."""
    flips = jnp.array([1, 0, 1, 1, 1, 0, 1, 1, 0, 1])
    return StaticTarget(
        lambda key: jax.random.logistic(key, (1,)),
        lambda z: jnp.sum(jax.nn.log_sigmoid(z) + jax.nn.log_sigmoid(-z)),
        lambda z: jnp.sum(flips * jax.nn.log_sigmoid(z[0]) + (1 - flips) * jax.nn.log_sigmoid(-z[0])))


def test_kalman_matches_the_joint_gaussian():
    T, rho = 6, 0.7
    y = np.asarray(Y[:T])
    cov_x = np.array([[rho ** abs(i - j) * sum(rho ** (2 * k) for k in range(min(i, j) + 1))
                       for j in range(T)] for i in range(T)])   # x_0 ~ N(0, 1), unit noise
    exact = stats.multivariate_normal(np.zeros(T), cov_x + 0.25 * np.eye(T)).logpdf(y)
    np.testing.assert_allclose(ar1_log_likelihood(jnp.asarray(y), rho), exact, rtol=1e-5)
    np.testing.assert_allclose(ar1_log_likelihood(Y, 0.9), KALMAN, atol=1e-3)


def test_bootstrap_filter_matches_kalman_within_three_mc_sds():
    run = jax.jit(jax.vmap(lambda k: bootstrap_filter(k, lgss(), 1000).log_evidence))
    log_z = np.asarray(run(jax.random.split(jax.random.key(0), 10)))
    assert np.isfinite(log_z).all()
    assert abs(log_z[0] - KALMAN) < 3 * log_z.std(), (log_z[0], log_z.std())
    assert abs(log_z.mean() - KALMAN) < 3 * log_z.std()


@pytest.mark.slow
def test_bootstrap_evidence_is_unbiased_over_50_seeds():
    run = jax.jit(jax.vmap(lambda k: bootstrap_filter(k, lgss(), 2000).log_evidence))
    ratio = np.exp(np.asarray(run(jax.random.split(jax.random.key(1), 50)), float) - KALMAN)
    assert abs(ratio.mean() - 1) < 3 * ratio.std(ddof=1) / np.sqrt(50), ratio


@pytest.mark.parametrize("resampling", ["multinomial", "stratified", "residual"])
def test_every_scheme_and_threshold_filters_correctly(resampling):
    run = jax.jit(lambda k: bootstrap_filter(k, lgss(), 1000, resampling=resampling,
                                             ess_threshold=1.0))
    result = run(jax.random.key(3))
    assert bool(result.stages.resampled.all())
    assert abs(float(result.log_evidence) - KALMAN) < 2.1      # 3 sds at 1000 particles


def test_stage_records_report_degeneracy():
    result = jax.jit(lambda k: bootstrap_filter(k, lgss(), 500))(jax.random.key(0))
    ess = np.asarray(result.stages.ess)
    assert ess.shape == (100,) and (ess > 0).all() and (ess <= 500 + 1e-3).all()
    np.testing.assert_allclose(result.stages.log_evidence_increment.sum(), result.log_evidence,
                               rtol=1e-5)
    # resampling happened exactly where the ESS fell below half the particles
    np.testing.assert_array_equal(result.stages.resampled, ess < 250)


def test_paths_are_the_genealogy_of_the_final_particles():
    states = jnp.array([[10, 11, 12], [20, 21, 22], [30, 31, 32]])
    ancestors = jnp.array([[2, 2, 0], [1, 0, 0], [0, 2, 2]])
    paths = trace_back(states, ancestors)
    # final particle 1 descends from 32 <- (index 2 at t=1: ancestor 0) 20 <- 12
    np.testing.assert_array_equal(paths[:, 1], [12, 20, 32])
    np.testing.assert_array_equal(paths[:, 0], [12, 21, 30])


def test_filter_paths_smooth_the_first_state():
    result = jax.jit(lambda k: bootstrap_filter(k, lgss(), 500, paths=True))(jax.random.key(0))
    assert result.paths.shape == (100, 500)
    np.testing.assert_allclose(result.paths[-1], result.population.particles)


def test_impossible_observation_names_the_stage():
    y = Y.at[7].set(jnp.nan)        # a NaN density is an impossible observation
    run = jax.jit(lambda k: bootstrap_filter(k, lgss(y=y), 200))
    result = run(jax.random.key(0))
    with pytest.raises(InferenceError, match="time step 7"):
        check(result, lgss().stage_name)


def test_impossible_likelihood_stops_tempering_with_an_error():
    target = StaticTarget(lambda k: jax.random.normal(k, (1,)), lambda x: -0.5 * jnp.sum(x ** 2),
                          lambda x: jnp.where(jnp.sum(x) > 1e6, 0.0, -jnp.inf))
    result = jax.jit(lambda k: tempered_smc(k, target, 100))(jax.random.key(0))
    with pytest.raises(InferenceError, match="tempering stage 0"):
        check(result)


def test_next_temperature_hits_the_conditional_ess():
    log_lik = jax.random.normal(jax.random.key(0), (1000,)) * 30
    log_w = jnp.zeros(1000)
    beta = next_temperature(log_w, log_lik, jnp.asarray(0.2), 0.5)
    assert 0.2 < float(beta) < 1
    np.testing.assert_allclose(jnp.exp(log_cess(log_w, (beta - 0.2) * log_lik)), 0.5, atol=1e-3)
    assert float(next_temperature(log_w, 1e-3 * log_lik, jnp.asarray(0.2), 0.5)) == 1.0


def test_move_leaves_the_target_invariant():
    pop = spawn(jax.random.key(0), 20000, lambda k: (1.0 + 2.0 * jax.random.normal(k, (1,)), 0.0))
    logdensity = lambda x: norm.logpdf(x[0], 1.0, 2.0)
    moved, info = jax.jit(lambda k: move(k, pop, scaled_rmh()(logdensity, pop), 5))(
        jax.random.key(1))
    x = np.asarray(moved.particles[:, 0])
    assert 0.2 < float(info.acceptance_rate.mean()) < 0.9
    assert abs(x.mean() - 1.0) < 0.05 and abs(x.std() - 2.0) < 0.05


@pytest.mark.parametrize("algorithm", [tempered_smc, lambda k, t, n: resample_move(k, t, n, stages=8)])
def test_coin_posterior_is_beta_8_4_with_exact_evidence(algorithm):
    result = check(jax.jit(lambda k: algorithm(k, coin_target(), 2000))(jax.random.key(0)))
    p = np.asarray(jax.nn.sigmoid(result.population.particles[:, 0]))
    w = np.exp(np.asarray(result.population.log_weights))
    mean = (w * p).sum()
    sd = np.sqrt((w * (p - mean) ** 2).sum())
    assert abs(mean - 2 / 3) < 0.02 and abs(sd - stats.beta(8, 4).std()) < 0.02
    assert abs(float(result.log_evidence) - (-7.1854)) < 0.05


def test_tempered_evidence_of_logistic_regression_matches_quadrature():
    rng = np.random.default_rng(0)
    X = jnp.asarray(rng.normal(size=(50, 2)))
    y = jnp.asarray(rng.random(50) < jax.nn.sigmoid(X @ jnp.array([1.5, -1.0])), float)

    def log_lik(w):
        logits = X @ w
        return jnp.sum(y * jax.nn.log_sigmoid(logits) + (1 - y) * jax.nn.log_sigmoid(-logits))
    log_prior = lambda w: jnp.sum(norm.logpdf(w, 0.0, 1.0))
    grid = jnp.linspace(-6, 6, 401)
    w1, w2 = jnp.meshgrid(grid, grid)
    points = jnp.stack([w1.ravel(), w2.ravel()], 1)
    dens = jax.vmap(lambda w: log_prior(w) + log_lik(w))(points)
    exact = jax.scipy.special.logsumexp(dens) + 2 * jnp.log(grid[1] - grid[0])
    target = StaticTarget(lambda k: jax.random.normal(k, (2,)), log_prior, log_lik)
    result = check(jax.jit(lambda k: tempered_smc(k, target, 2000, moves=5))(jax.random.key(0)))
    assert abs(float(result.log_evidence) - float(exact)) < 0.1
    assert int(result.num_stages) > 2
