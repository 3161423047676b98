"""Distributions: samplers, log densities, supports and their bijections.

Every distribution of the language, parameterised as in NumPyro, is a JAX
pytree with ``sample(key, sample_shape)``, ``log_prob(x)``, ``support``,
``batch_shape``/``event_shape``, ``is_discrete`` and, where closed-form,
``mean``/``variance``. ``support.bijector()`` maps unconstrained space onto
the support, for gradient-based inference.

>>> d = get("Normal")(0.0, 1.0)
>>> round(float(d.log_prob(0.0)), 4)
-0.9189
>>> float(d.support.bijector().forward(0.0))
0.0
"""
from catlearn.distributions import bijectors, constraints
from catlearn.distributions.continuous import (Beta, Cauchy, Exponential, Gamma, HalfCauchy,
                                               HalfNormal, HalfStudentT, InverseGamma,
                                               LogNormal, Normal, StudentT, Uniform)
from catlearn.distributions.discrete import Bernoulli, Binomial, Categorical, Poisson
from catlearn.distributions.distribution import Distribution
from catlearn.distributions.improper import (Flat, FlatCholeskyCorr, FlatCholeskyCov,
                                             FlatOrdered, FlatPositiveOrdered, FlatSimplex)
from catlearn.distributions.multivariate import Dirichlet, MultivariateNormal
from catlearn.distributions.registry import DISTRIBUTIONS, get, register
from catlearn.distributions import sites  # noqa: F401,E402 (gives Sample its meanings)
from catlearn.distributions import densities  # noqa: F401,E402 (normal_lpdf & co.)

for _cls in (Normal, HalfNormal, LogNormal, Cauchy, HalfCauchy, StudentT, HalfStudentT,
             Exponential, Gamma,
             InverseGamma, Beta, Uniform, Bernoulli, Binomial, Poisson, Categorical, Dirichlet,
             MultivariateNormal, Flat, FlatOrdered, FlatPositiveOrdered, FlatSimplex,
             FlatCholeskyCorr, FlatCholeskyCov):
    register(_cls.name, _cls)
del _cls

__all__ = ["DISTRIBUTIONS", "Bernoulli", "Beta", "Binomial", "Categorical", "Cauchy",
           "Dirichlet", "Distribution", "Exponential", "Flat", "FlatCholeskyCorr",
           "FlatCholeskyCov", "FlatOrdered", "FlatPositiveOrdered", "FlatSimplex", "Gamma", "HalfCauchy",
           "HalfNormal", "HalfStudentT", "InverseGamma", "LogNormal", "MultivariateNormal", "Normal", "Poisson", "StudentT",
           "Uniform", "bijectors", "constraints", "get", "register"]
