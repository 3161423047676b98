"""Distributions against scipy.stats: densities, moments, samplers, bijections, errors."""
import functools

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import scipy.stats as st
from hypothesis import given, settings
from hypothesis import strategies as hs
from hypothesis.extra.numpy import arrays

from catlearn.distributions import (DISTRIBUTIONS, Bernoulli, Beta, Binomial, Categorical, Flat,
                                    FlatCholeskyCorr, FlatCholeskyCov, FlatOrdered,
                                    FlatPositiveOrdered, FlatSimplex,
                                    Cauchy, Dirichlet, Distribution, Exponential, Gamma,
                                    HalfCauchy, HalfNormal, InverseGamma, LogNormal,
                                    MultivariateNormal, Normal, Poisson, StudentT, Uniform,
                                    constraints, get, register)
from catlearn.errors import DistributionError, NotSupportedError

KEY = jax.random.key(0)
N_DRAWS = 10_000

# Each univariate family with a batch of three parameter settings, and the same
# distributions in scipy.stats.
UNIVARIATE = {
    "Normal": (Normal, ([-1.0, 0.0, 2.5], [0.5, 1.0, 3.0]),
               lambda m, s: st.norm(m, s)),
    "HalfNormal": (HalfNormal, ([0.5, 1.0, 3.0],), lambda s: st.halfnorm(scale=s)),
    "LogNormal": (LogNormal, ([-0.5, 0.0, 1.0], [0.3, 0.5, 1.0]),
                  lambda m, s: st.lognorm(s, scale=np.exp(m))),
    "Cauchy": (Cauchy, ([-1.0, 0.0, 2.0], [0.5, 1.0, 2.0]), lambda m, s: st.cauchy(m, s)),
    "HalfCauchy": (HalfCauchy, ([0.5, 1.0, 5.0],), lambda s: st.halfcauchy(scale=s)),
    "StudentT": (StudentT, ([3.0, 10.0, 30.0], [0.0, 1.0, -2.0], [1.0, 0.5, 2.0]),
                 lambda df, m, s: st.t(df, m, s)),
    "Exponential": (Exponential, ([0.5, 1.0, 4.0],), lambda r: st.expon(scale=1 / r)),
    "Gamma": (Gamma, ([0.7, 2.0, 9.0], [0.5, 1.0, 3.0]),
              lambda a, r: st.gamma(a, scale=1 / r)),
    "InverseGamma": (InverseGamma, ([6.0, 7.0, 9.0], [0.5, 1.0, 3.0]),
                     lambda a, r: st.invgamma(a, scale=r)),
    "Beta": (Beta, ([0.8, 2.0, 5.0], [1.5, 2.0, 0.9]), lambda a, b: st.beta(a, b)),
    "Uniform": (Uniform, ([-1.0, 0.0, 2.0], [1.0, 0.5, 7.0]),
                lambda lo, hi: st.uniform(lo, hi - lo)),
    "Bernoulli": (Bernoulli, ([0.1, 0.5, 0.9],), lambda p: st.bernoulli(p)),
    "Binomial": (Binomial, ([5.0, 10.0, 40.0], [0.2, 0.5, 0.7]), lambda n, p: st.binom(n, p)),
    "Poisson": (Poisson, ([0.5, 3.0, 20.0],), lambda r: st.poisson(r)),
}
HEAVY_TAILED = {"Cauchy", "HalfCauchy"}


def _scipy(name, i=None):
    _, params, ref = UNIVARIATE[name]
    params = [np.array(p) if i is None else np.array(p)[i] for p in params]
    return ref(*params)


@functools.lru_cache(maxsize=None)
def _batch(name):
    """The family ``name`` with its batch of parameters, and 10,000 draws from it."""
    cls, params, _ = UNIVARIATE[name]
    dist = cls(*map(jnp.array, params))
    return dist, dist.sample(KEY, N_DRAWS)


def _logpdf(ref, x):
    return ref.logpmf(x) if hasattr(ref, "logpmf") else ref.logpdf(x)


# -- densities ---------------------------------------------------------------------

@pytest.mark.parametrize("name", UNIVARIATE)
def test_log_prob_matches_scipy_on_a_batch(name):
    dist, draws = _batch(name)
    assert dist.batch_shape == (3,) and dist.event_shape == ()
    x = draws[:8]
    expected = _logpdf(_scipy(name), np.asarray(x, float))
    np.testing.assert_allclose(dist.log_prob(x), expected, rtol=2e-4, atol=2e-4)


_PARAMETER_VALUES = {
    constraints.real: hs.floats(-5, 5),
    constraints.positive: hs.floats(0.2, 10),
    constraints.nonnegative: hs.floats(0.2, 10),
    constraints.unit_interval: hs.floats(0.01, 0.99),
    constraints.nonnegative_integer: hs.integers(0, 30).map(float),
}


@hs.composite
def _family_parameters_and_quantile(draw):
    name = draw(hs.sampled_from(sorted(UNIVARIATE)))
    cls = UNIVARIATE[name][0]
    params = [draw(_PARAMETER_VALUES[cls.arg_constraints[arg]]) for arg in cls.arg_names]
    if cls is Uniform:
        params[1] = params[0] + draw(hs.floats(0.1, 10))
    return name, params, draw(hs.floats(0.01, 0.99))


@settings(max_examples=60, deadline=None)
@given(_family_parameters_and_quantile())
def test_log_prob_matches_scipy_anywhere(case):
    name, params, quantile = case
    cls, _, ref = UNIVARIATE[name]
    x = ref(*params).ppf(quantile)
    np.testing.assert_allclose(cls(*params).log_prob(x), _logpdf(ref(*params), x),
                               rtol=1e-3, atol=1e-3)


def test_categorical_log_prob_is_log_of_probs():
    probs = jnp.array([[0.2, 0.3, 0.5], [0.6, 0.4, 0.0]])
    dist = Categorical(probs)
    labels = jnp.array([[0, 1], [2, 2], [1, 0]])
    with np.errstate(divide="ignore"):
        expected = np.log(np.asarray(probs))[np.arange(2), np.asarray(labels)]
    np.testing.assert_allclose(dist.log_prob(labels), expected, rtol=1e-6)
    assert dist.log_prob(jnp.array([0, 2]))[1] == -jnp.inf  # probability zero


def test_dirichlet_log_prob_matches_scipy():
    alpha = np.array([[0.7, 2.0, 3.0], [1.0, 1.0, 1.0]])
    dist = Dirichlet(jnp.array(alpha))
    x = dist.sample(KEY, (5,))
    assert x.shape == (5, 2, 3)
    y = np.asarray(x, float)
    y /= y.sum(-1, keepdims=True)  # scipy wants the sum to be 1 to 1e-9
    expected = [[st.dirichlet(alpha[j]).logpdf(y[i, j]) for j in range(2)] for i in range(5)]
    np.testing.assert_allclose(dist.log_prob(x), expected, rtol=1e-3, atol=1e-3)


def test_multivariate_normal_log_prob_matches_scipy():
    loc = np.array([[0.0, 1.0, -1.0], [2.0, 0.0, 0.5]])
    a = np.array([[1.0, 0.0, 0.0], [0.5, 1.5, 0.0], [-0.3, 0.2, 0.7]])
    cov = a @ a.T
    dist = MultivariateNormal(jnp.array(loc), jnp.array(cov))
    assert dist.batch_shape == (2,) and dist.event_shape == (3,)
    x = dist.sample(KEY, (4,))
    expected = [[st.multivariate_normal(loc[j], cov).logpdf(np.asarray(x[i, j], float))
                 for j in range(2)] for i in range(4)]
    np.testing.assert_allclose(dist.log_prob(x), expected, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("name", [n for n in UNIVARIATE if n not in HEAVY_TAILED])
def test_mean_and_variance_are_the_closed_forms(name):
    cls, params, _ = UNIVARIATE[name]
    dist = cls(*map(jnp.array, params))
    ref = _scipy(name)
    np.testing.assert_allclose(dist.mean, ref.mean(), rtol=1e-5)
    np.testing.assert_allclose(dist.variance, ref.var(), rtol=1e-4)


@pytest.mark.parametrize("cls", [Cauchy, HalfCauchy])
def test_heavy_tails_have_no_moments(cls):
    dist = cls(*[1.0] * len(cls.arg_names))
    with pytest.raises(DistributionError, match="no finite mean"):
        dist.mean
    with pytest.raises(DistributionError, match="no finite variance"):
        dist.variance


def test_student_t_moments_exist_only_for_enough_degrees_of_freedom():
    dist = StudentT(jnp.array([0.5, 1.5, 5.0]), 2.0, 1.0)
    assert np.isnan(dist.mean[0]) and dist.mean[1] == 2.0
    assert np.isnan(dist.variance[0]) and dist.variance[1] == np.inf
    np.testing.assert_allclose(dist.variance[2], 5 / 3, rtol=1e-6)


def test_multivariate_moments():
    alpha = jnp.array([1.0, 2.0, 3.0])
    ref = st.dirichlet(np.asarray(alpha))
    np.testing.assert_allclose(Dirichlet(alpha).mean, ref.mean(), rtol=1e-6)
    np.testing.assert_allclose(Dirichlet(alpha).variance, ref.var(), rtol=1e-5)
    cov = jnp.array([[2.0, 0.3], [0.3, 1.0]])
    np.testing.assert_allclose(MultivariateNormal(1.0, cov).mean, [1.0, 1.0])
    np.testing.assert_allclose(MultivariateNormal(1.0, cov).variance, [2.0, 1.0])


# -- samplers -------------------------------------------------------------------------

def _goodness_of_fit(x, ref, discrete):
    """p-value of a KS test (continuous) or a chi-square test (discrete)."""
    if not discrete:
        return st.kstest(x, ref.cdf).pvalue
    top = int(ref.ppf(1 - 1e-3))  # lump the far tail into one cell
    observed = np.bincount(np.minimum(x.astype(int), top), minlength=top + 1)
    expected = np.append(ref.pmf(np.arange(top)), ref.sf(top - 1)) * len(x)
    return st.chisquare(observed, expected).pvalue


@pytest.mark.parametrize("name", UNIVARIATE)
def test_sampler_fits_the_distribution_and_its_moments(name):
    dist, draws = _batch(name)
    x = np.asarray(draws, float)
    assert x.shape == (N_DRAWS, 3)
    for i in range(3):
        assert _goodness_of_fit(x[:, i], _scipy(name, i), dist.is_discrete) > 1e-3
    if name not in HEAVY_TAILED:
        sd = np.sqrt(np.asarray(dist.variance))
        np.testing.assert_array_less(np.abs(x.mean(0) - dist.mean), 5 * sd / np.sqrt(N_DRAWS))
        np.testing.assert_allclose(x.var(0), dist.variance, rtol=0.15)


def test_categorical_sampler_frequencies():
    probs = jnp.array([0.1, 0.2, 0.3, 0.4])
    x = np.asarray(Categorical(probs).sample(KEY, N_DRAWS))
    np.testing.assert_array_equal(Categorical(probs).sample(KEY, N_DRAWS), x)
    observed = np.bincount(x, minlength=4)
    assert st.chisquare(observed, np.asarray(probs) * N_DRAWS).pvalue > 1e-3


def test_dirichlet_sampler_marginals_are_beta():
    alpha = np.array([0.5, 2.0, 4.0])
    dist = Dirichlet(jnp.array(alpha))
    x = np.asarray(dist.sample(KEY, N_DRAWS), float)
    np.testing.assert_array_equal(dist.sample(KEY, N_DRAWS), x)
    np.testing.assert_allclose(x.sum(-1), 1.0, rtol=1e-5)
    for i in range(3):
        assert st.kstest(x[:, i], st.beta(alpha[i], alpha.sum() - alpha[i]).cdf).pvalue > 1e-3


def test_multivariate_normal_sampler():
    loc = np.array([1.0, -2.0])
    cov = np.array([[2.0, 0.8], [0.8, 1.0]])
    dist = MultivariateNormal(jnp.array(loc), jnp.array(cov))
    x = np.asarray(dist.sample(KEY, N_DRAWS), float)
    np.testing.assert_array_equal(dist.sample(KEY, N_DRAWS), x)
    np.testing.assert_allclose(np.cov(x.T), cov, atol=0.1)
    direction = np.array([0.6, -0.8])  # every projection of a Gaussian is Gaussian
    projected = st.norm(direction @ loc, np.sqrt(direction @ cov @ direction))
    assert st.kstest(x @ direction, projected.cdf).pvalue > 1e-3


@pytest.mark.parametrize("name", UNIVARIATE)
def test_same_key_same_draws_and_other_key_other_draws(name):
    dist, draws = _batch(name)
    np.testing.assert_array_equal(dist.sample(KEY, N_DRAWS), draws)
    assert not np.array_equal(dist.sample(jax.random.key(1), N_DRAWS), draws)


# -- supports and bijectors -------------------------------------------------------------

def _example(cls):
    """A valid instance of any registered family, and a point of its support."""
    examples = {Categorical: (jnp.array([0.2, 0.8]),), Dirichlet: (jnp.array([1.0, 2.0]),),
                MultivariateNormal: (jnp.zeros(2), jnp.eye(2)), Uniform: (0.0, 1.0),
                Binomial: (5.0, 0.3), Bernoulli: (0.3,), Beta: (2.0, 3.0),
                Flat: (0.0, jnp.inf)}
    # the flat priors of constrained types: an array of the shape of one value
    vectors, matrices = (FlatOrdered, FlatPositiveOrdered, FlatSimplex), (FlatCholeskyCorr,
                                                                            FlatCholeskyCov)
    examples.update({c: (jnp.zeros(2),) for c in vectors})
    examples.update({c: (jnp.zeros((2, 2)),) for c in matrices})
    points = {Dirichlet: jnp.array([0.4, 0.6]), MultivariateNormal: jnp.zeros(2)}
    points.update({c: jnp.array([0.4, 0.6]) for c in vectors})
    points.update({c: jnp.eye(2) for c in matrices})
    point = points.get(cls, jnp.array(1 if cls.is_discrete else 0.5))
    return cls(*examples.get(cls, [1.0] * len(cls.arg_names))), point


CONTINUOUS_SUPPORTS = {
    "real": (constraints.real, (4,)),
    "positive": (constraints.positive, (4,)),
    "nonnegative": (constraints.nonnegative, (4,)),
    "unit_interval": (constraints.unit_interval, (4,)),
    "interval": (constraints.interval(-2.0, 3.0), (4,)),
    "real_vector": (constraints.real_vector, (4,)),
    "positive_vector": (constraints.positive_vector, (4,)),
    "simplex": (constraints.simplex, (4,)),
    "positive_definite": (constraints.positive_definite, (3, 3)),
}


def _free_coordinates(support, x):
    """The coordinates in which densities on ``support`` are written."""
    if support is constraints.simplex:
        return x[:-1]
    if support is constraints.positive_definite:
        return x[np.tril_indices(x.shape[-1])]
    return x


@settings(max_examples=25, deadline=None)
@given(name=hs.sampled_from(sorted(CONTINUOUS_SUPPORTS)),
       u=arrays(np.float32, 6, elements=hs.floats(-3, 3, width=32)))
def test_bijector_round_trip_and_log_det_jacobian(name, u):
    support, shape = CONTINUOUS_SUPPORTS[name]
    bijector = support.bijector()
    u = jnp.asarray(u[:bijector.unconstrained_shape(shape)[-1]])
    if name == "positive_definite":
        # At u = -3 everywhere x = LLᵀ has condition number ~1e8, past float32: its
        # Cholesky loses L₃₃ by cancellation (x₃₃ = 18 + 0.0025). Half the range keeps
        # the condition number below ~1e4.
        u = u / 2
    assert bijector.constrained_shape(u.shape) == shape
    x, round_trip, jac, log_det = _bijector_facts(name)(u)
    assert x.shape == shape and bool(jnp.all(support.check(x)))
    np.testing.assert_allclose(round_trip, u, atol=2e-3, rtol=1e-3)
    expected = np.linalg.slogdet(np.asarray(jac, float))[1]
    np.testing.assert_allclose(log_det, expected, rtol=1e-3, atol=1e-3)


@functools.lru_cache(maxsize=None)
def _bijector_facts(name):
    """forward(u), inverse(forward(u)), the Jacobian in free coordinates, and the
    bijector's own log-determinant — compiled once per support."""
    support, _ = CONTINUOUS_SUPPORTS[name]
    bijector = support.bijector()

    def facts(u):
        x = bijector.forward(u)
        jac = jax.jacfwd(lambda v: _free_coordinates(support, bijector.forward(v)))(u)
        return x, bijector.inverse(x), jac, jnp.sum(bijector.log_abs_det_jacobian(u))
    return jax.jit(facts)


def test_bijectors_act_on_batches():
    u = jax.random.normal(KEY, (5, 3))
    for support in (constraints.simplex, constraints.positive_vector):
        bijector = support.bijector()
        x = bijector.forward(u)
        assert bool(jnp.all(support.check(x)))
        assert bijector.log_abs_det_jacobian(u).shape == (5,)
        np.testing.assert_allclose(bijector.inverse(x), u, atol=1e-4)
    bijector = constraints.positive_definite.bijector()
    u = jax.random.normal(KEY, (2, 6))
    assert bijector.forward(u).shape == (2, 3, 3)
    assert bijector.log_abs_det_jacobian(u).shape == (2,)
    np.testing.assert_allclose(bijector.inverse(bijector.forward(u)), u, atol=1e-4)


def test_every_continuous_support_has_a_bijector_and_discrete_ones_refuse():
    for cls in DISTRIBUTIONS.values():
        dist, _ = _example(cls)
        assert dist.is_discrete == dist.support.is_discrete
        if dist.is_discrete:
            with pytest.raises(NotSupportedError, match="discrete support"):
                dist.support.bijector()
        else:
            bijector = dist.support.bijector()
            x = bijector.forward(jnp.zeros(bijector.unconstrained_shape(dist.event_shape)))
            assert jnp.isfinite(dist.log_prob(x))


def test_uniform_bijector_maps_onto_its_interval():
    bijector = Uniform(jnp.array([-1.0, 2.0]), jnp.array([1.0, 10.0])).support.bijector()
    x = bijector.forward(jnp.array([[-30.0, -30.0], [0.0, 0.0], [30.0, 30.0]]))
    np.testing.assert_allclose(x, [[-1.0, 2.0], [0.0, 6.0], [1.0, 10.0]], atol=1e-5)


# -- errors: invalid parameters and values outside the support ----------------------------

INVALID = [
    (Normal, (0.0, -1.0), "Normal: scale must be positive, got -1.0"),
    (Normal, (jnp.inf, 1.0), "Normal: loc must be a finite real, got inf"),
    (HalfNormal, (0.0,), "HalfNormal: scale must be positive, got 0.0"),
    (LogNormal, (0.0, jnp.array([1.0, -2.0])), "LogNormal: scale must be positive, got -2.0"),
    (Cauchy, (0.0, -3.0), "Cauchy: scale must be positive"),
    (HalfCauchy, (-1.0,), "HalfCauchy: scale must be positive"),
    (StudentT, (-1.0, 0.0, 1.0), "StudentT: df must be positive"),
    (Exponential, (-2.0,), "Exponential: rate must be positive"),
    (Gamma, (0.0, 1.0), "Gamma: concentration must be positive"),
    (InverseGamma, (1.0, -1.0), "InverseGamma: rate must be positive"),
    (Beta, (1.0, -0.5), "Beta: b must be positive"),
    (Uniform, (1.0, 0.0), "Uniform: high must be greater than low, got 0.0"),
    (Bernoulli, (1.5,), r"Bernoulli: probs must be a probability in \[0, 1\], got 1.5"),
    (Binomial, (2.5, 0.5), "Binomial: total_count must be a nonnegative integer, got 2.5"),
    (Binomial, (3.0, -0.1), "Binomial: probs must be a probability"),
    (Poisson, (-1.0,), "Poisson: rate must be nonnegative, got -1.0"),
    (Categorical, (jnp.array([0.5, 0.6]),), "Categorical: probs must be a probability vector"),
    (Dirichlet, (jnp.array([1.0, -1.0]),), "Dirichlet: concentration must be a vector of positive"),
    (MultivariateNormal, (jnp.zeros(2), jnp.array([[1.0, 2.0], [2.0, 1.0]])),
     "MultivariateNormal: cov must be a symmetric positive-definite matrix"),
]


@pytest.mark.parametrize("cls, args, message", INVALID,
                         ids=[f"{c.name}-{i}" for i, (c, _, _) in enumerate(INVALID)])
def test_invalid_parameters_raise_when_known(cls, args, message):
    with pytest.raises(DistributionError, match=message):
        cls(*args)


@pytest.mark.parametrize("cls, args, message", INVALID,
                         ids=[f"{c.name}-{i}" for i, (c, _, _) in enumerate(INVALID)])
def test_invalid_parameters_under_tracing_give_minus_infinity(cls, args, message):
    valid, x = _example(cls)
    # What jit or vmap hand to a distribution: its parameters, unchecked. log_prob is
    # itself compiled, so inside it they are tracers.
    leaves = [jnp.broadcast_to(a, jnp.broadcast_shapes(jnp.shape(a), jnp.shape(v)))
              for a, v in zip(map(jnp.asarray, args), valid.params)]
    invalid = jax.tree_util.tree_unflatten(jax.tree_util.tree_structure(valid), leaves)
    log_prob = invalid.log_prob(x)
    assert bool(jnp.any(log_prob == -jnp.inf)) and not bool(jnp.any(jnp.isnan(log_prob)))
    assert jnp.all(jnp.isfinite(valid.log_prob(x)))


def test_distributions_built_inside_jit_are_not_checked_but_give_minus_infinity():
    log_prob = jax.jit(lambda scale: Normal(0.0, scale).log_prob(0.5))
    assert log_prob(-1.0) == -jnp.inf and jnp.isfinite(log_prob(1.0))


def test_gradients_stay_finite_at_invalid_parameters():
    grad = jax.grad(lambda scale: Normal(0.0, scale).log_prob(0.5))(-1.0)
    assert jnp.isfinite(grad)
    grad = jax.grad(lambda x: Gamma(2.0, 1.0).log_prob(x))(-1.0)
    assert jnp.isfinite(grad)


OUTSIDE = [
    (Normal(0.0, 1.0), [jnp.nan, jnp.inf]),
    (HalfNormal(1.0), [-0.5]),
    (LogNormal(0.0, 1.0), [0.0, -1.0]),
    (Cauchy(0.0, 1.0), [jnp.nan]),
    (HalfCauchy(1.0), [-1e-3]),
    (StudentT(3.0, 0.0, 1.0), [-jnp.inf]),
    (Exponential(1.0), [-1.0]),
    (Gamma(2.0, 1.0), [0.0, -1.0]),
    (InverseGamma(2.0, 1.0), [-1.0]),
    (Beta(2.0, 2.0), [1.5, -0.1]),
    (Uniform(0.0, 1.0), [1.01, -2.0]),
    (Bernoulli(0.3), [2.0, 0.5, -1.0]),
    (Binomial(3.0, 0.5), [4.0, 1.5, -1.0]),
    (Poisson(2.0), [-1.0, 0.5]),
    (Categorical(jnp.array([0.5, 0.5])), [2, -1]),
    (Dirichlet(jnp.ones(3)), [jnp.array([0.5, 0.6, -0.1]), jnp.array([0.2, 0.2, 0.2])]),
    (MultivariateNormal(jnp.zeros(2), jnp.eye(2)), [jnp.array([0.0, jnp.nan])]),
]


@pytest.mark.parametrize("dist, values", OUTSIDE, ids=[d.name for d, _ in OUTSIDE])
def test_values_outside_the_support_have_log_density_minus_infinity(dist, values):
    for value in values:
        assert dist.log_prob(value) == -jnp.inf
        assert not dist.support.check(value)


# -- shapes --------------------------------------------------------------------------------

def test_parameters_broadcast_to_the_batch_shape():
    dist = Normal(jnp.zeros(3), jnp.ones((2, 1)))
    assert dist.batch_shape == (2, 3) and dist.loc.shape == (2, 3)
    assert dist.sample(KEY, (5,)).shape == (5, 2, 3)
    assert dist.sample(KEY, 5).shape == (5, 2, 3)
    assert dist.log_prob(0.0).shape == (2, 3)
    assert dist.log_prob(jnp.zeros((4, 1, 1))).shape == (4, 2, 3)
    uniform = Uniform(jnp.array([0.0, 1.0, 2.0]), 3.0)  # a batch of supports, one value
    np.testing.assert_allclose(uniform.log_prob(0.5), [-np.log(3), -np.inf, -np.inf])
    binomial = Binomial(jnp.array([3.0, 5.0]), 0.5)
    assert binomial.log_prob(jnp.array([[4], [2]])).shape == (2, 2)
    assert binomial.log_prob(4)[0] == -np.inf


def test_event_shapes_of_vector_families():
    dirichlet = Dirichlet(jnp.ones((2, 4)))
    assert (dirichlet.batch_shape, dirichlet.event_shape) == ((2,), (4,))
    assert _sample_shape_and_dtype(dirichlet, (3,)).shape == (3, 2, 4)
    assert dirichlet.log_prob(jnp.full((3, 1, 4), 0.25)).shape == (3, 2)
    categorical = Categorical(jnp.full((2, 3), 1 / 3))
    assert (categorical.batch_shape, categorical.event_shape) == ((2,), ())
    assert _sample_shape_and_dtype(categorical, (5,)).shape == (5, 2)
    mvn = MultivariateNormal(jnp.zeros((2, 3)), jnp.eye(3))
    assert (mvn.batch_shape, mvn.event_shape) == ((2,), (3,))
    assert mvn.cov.shape == (2, 3, 3)
    assert _sample_shape_and_dtype(mvn, (5,)).shape == (5, 2, 3)
    assert mvn.log_prob(jnp.zeros(3)).shape == (2,)


def test_shapes_that_do_not_fit_are_errors():
    with pytest.raises(DistributionError, match="Normal: parameter shapes do not broadcast"):
        Normal(jnp.zeros(3), jnp.ones(2))
    with pytest.raises(DistributionError, match="loc has 3 entries but cov is 2x2"):
        MultivariateNormal(jnp.zeros(3), jnp.eye(2))
    with pytest.raises(DistributionError, match="cov must be a square matrix"):
        MultivariateNormal(jnp.zeros(3), jnp.ones(3))
    with pytest.raises(DistributionError, match=r"Dirichlet: concentration must have at least "
                                                r"1 dimension, got shape \(\)"):
        Dirichlet(1.0)


def _sample_shape_and_dtype(dist, sample_shape):
    return jax.eval_shape(lambda key: dist.sample(key, sample_shape), KEY)


def test_discrete_draws_are_integers():
    for cls in DISTRIBUTIONS.values():
        dist, point = _example(cls)
        draw = _sample_shape_and_dtype(dist, ())
        assert draw.shape == point.shape
        assert jnp.issubdtype(draw.dtype, jnp.integer) == cls.is_discrete


# -- pytrees under jit and vmap ---------------------------------------------------------------

def test_distributions_cross_jit_and_vmap():
    dist = Normal(jnp.array([1.0, 2.0, 3.0]), 2.0)
    leaves, treedef = jax.tree_util.tree_flatten(dist)
    assert len(leaves) == 2 and isinstance(jax.tree_util.tree_unflatten(treedef, leaves), Normal)
    x = jnp.array([0.5, 1.0, 2.0])
    np.testing.assert_allclose(jax.jit(lambda d, v: d.log_prob(v))(dist, x), dist.log_prob(x))
    per_element = jax.vmap(lambda d, v: d.log_prob(v))(dist, x)
    np.testing.assert_allclose(per_element, dist.log_prob(x), rtol=1e-6)
    draws = jax.vmap(lambda d, k: d.sample(k, (2,)))(dist, jax.random.split(KEY, 3))
    assert draws.shape == (3, 2)
    np.testing.assert_array_equal(jax.jit(dist.sample)(KEY), dist.sample(KEY))


def test_log_prob_is_differentiable():
    grad = jax.grad(lambda loc: Normal(loc, 2.0).log_prob(1.0))(0.0)
    np.testing.assert_allclose(grad, 0.25)  # (x - loc) / scale²
    cov = jnp.array([[2.0, 0.5], [0.5, 1.0]])
    grad = jax.grad(lambda m: MultivariateNormal(m, cov).log_prob(jnp.zeros(2)))(jnp.ones(2))
    np.testing.assert_allclose(grad, -np.linalg.solve(np.asarray(cov), np.ones(2)), rtol=1e-5)


# -- registry and argument binding -------------------------------------------------------------

LANGUAGE_NAMES = ["Normal", "HalfNormal", "LogNormal", "Cauchy", "HalfCauchy", "StudentT",
                  "Exponential", "Gamma", "InverseGamma", "Beta", "Uniform", "Bernoulli",
                  "Binomial", "Poisson", "Categorical", "Dirichlet", "MultivariateNormal"]


def test_registry_holds_every_distribution_of_the_language():
    for name in LANGUAGE_NAMES:
        cls = get(name)
        assert cls.name == name
        assert list(cls.arg_constraints) == list(cls.arg_names)
    with pytest.raises(DistributionError, match="unknown distribution 'Gama'; did you mean 'Gamma'"):
        get("Gama")
    with pytest.raises(DistributionError, match="unknown distribution 'Zzz'$"):
        get("Zzz")


def test_users_register_their_own_distributions():
    class Laplace(Distribution):
        arg_names = ("loc", "scale")
        arg_constraints = {"loc": constraints.real, "scale": constraints.positive}
        support = constraints.real

        def _sample(self, key, shape):
            return self.loc + self.scale * jax.random.laplace(key, shape)

        def _log_prob(self, x):
            return -jnp.abs(x - self.loc) / self.scale - jnp.log(2 * self.scale)

    register("Laplace", Laplace)
    try:
        dist = get("Laplace")(1.0, 2.0)
        np.testing.assert_allclose(dist.log_prob(0.0), st.laplace(1.0, 2.0).logpdf(0.0), rtol=1e-6)
        assert jax.jit(lambda d: d.log_prob(0.0))(dist) == dist.log_prob(0.0)
        with pytest.raises(DistributionError, match="Laplace: scale must be positive"):
            Laplace(0.0, -1.0)
    finally:
        del DISTRIBUTIONS["Laplace"]
    with pytest.raises(DistributionError, match="not a Distribution class"):
        register("Bad", int)


def test_arguments_bind_by_position_keyword_and_alias():
    assert Binomial(n=10, p=0.5).total_count == 10
    assert float(Normal(scale=2.0, loc=1.0).scale) == 2.0
    with pytest.raises(DistributionError, match=r"Normal\(loc, scale\) takes 2 arguments, got 3"):
        Normal(0.0, 1.0, 2.0)
    with pytest.raises(DistributionError, match="has no parameter 'scal'; did you mean 'scale'"):
        Normal(0.0, scal=1.0)
    with pytest.raises(DistributionError, match="missing scale"):
        Normal(0.0)
    with pytest.raises(DistributionError, match="loc given twice"):
        Normal(0.0, loc=1.0, scale=1.0)
