"""Univariate continuous distributions, parameterised as in NumPyro.

Densities are with respect to Lebesgue measure on the reals.

>>> from catlearn.distributions import Gamma
>>> round(float(Gamma(2.0, 3.0).log_prob(1.0)), 4)  # 2 log 3 + log 1 - 3
-0.8028
>>> round(float(Gamma(2.0, 3.0).mean), 4)
0.6667
"""
from __future__ import annotations

import math

import jax
import jax.numpy as jnp
from jax.scipy.special import (betainc, betaln, gammainc, gammaln, ndtr, ndtri, xlog1py,
                               xlogy)

from catlearn.distributions import constraints as C
from catlearn.distributions.distribution import Distribution

_HALF_LOG_2PI = 0.5 * math.log(2 * math.pi)


def _dtype(x):
    return jnp.result_type(x)


class Normal(Distribution):
    """``N(loc, scale²)``."""

    arg_names = ("loc", "scale")
    arg_constraints = {"loc": C.real, "scale": C.positive}
    support = C.real

    def _sample(self, key, shape):
        return self.loc + self.scale * jax.random.normal(key, shape, _dtype(self.loc))

    def _log_prob(self, x):
        z = (x - self.loc) / self.scale
        return -0.5 * z ** 2 - jnp.log(self.scale) - _HALF_LOG_2PI

    def _cdf(self, x):
        return ndtr((x - self.loc) / self.scale)

    def _icdf(self, u):
        return self.loc + self.scale * ndtri(u)

    @property
    def mean(self):
        return self.loc

    @property
    def variance(self):
        return self.scale ** 2


class HalfNormal(Distribution):
    """``|X|`` for ``X ~ N(0, scale²)``."""

    arg_names = ("scale",)
    arg_constraints = {"scale": C.positive}
    support = C.nonnegative

    def _sample(self, key, shape):
        return jnp.abs(Normal(0.0, self.scale)._sample(key, shape))

    def _log_prob(self, x):
        return math.log(2.0) + Normal(0.0, self.scale)._log_prob(x)

    def _cdf(self, x):
        return 2 * Normal(0.0, self.scale)._cdf(x) - 1

    def _icdf(self, u):
        return Normal(0.0, self.scale)._icdf((1 + u) / 2)

    @property
    def mean(self):
        return self.scale * math.sqrt(2 / math.pi)

    @property
    def variance(self):
        return self.scale ** 2 * (1 - 2 / math.pi)


class LogNormal(Distribution):
    """``exp(X)`` for ``X ~ N(loc, scale²)``."""

    arg_names = ("loc", "scale")
    arg_constraints = {"loc": C.real, "scale": C.positive}
    support = C.positive

    def _sample(self, key, shape):
        return jnp.exp(Normal(self.loc, self.scale)._sample(key, shape))

    def _log_prob(self, x):
        log_x = jnp.log(x)
        return Normal(self.loc, self.scale)._log_prob(log_x) - log_x

    def _cdf(self, x):
        return Normal(self.loc, self.scale)._cdf(jnp.log(x))

    def _icdf(self, u):
        return jnp.exp(Normal(self.loc, self.scale)._icdf(u))

    @property
    def mean(self):
        return jnp.exp(self.loc + self.scale ** 2 / 2)

    @property
    def variance(self):
        return jnp.expm1(self.scale ** 2) * jnp.exp(2 * self.loc + self.scale ** 2)


class Cauchy(Distribution):
    """The Cauchy distribution; it has no mean or variance."""

    arg_names = ("loc", "scale")
    arg_constraints = {"loc": C.real, "scale": C.positive}
    support = C.real

    def _sample(self, key, shape):
        return self.loc + self.scale * jax.random.cauchy(key, shape, _dtype(self.loc))

    def _log_prob(self, x):
        z = (x - self.loc) / self.scale
        return -math.log(math.pi) - jnp.log(self.scale) - jnp.log1p(z ** 2)

    def _cdf(self, x):
        return 0.5 + jnp.arctan((x - self.loc) / self.scale) / math.pi

    def _icdf(self, u):
        return self.loc + self.scale * jnp.tan(math.pi * (u - 0.5))


class HalfCauchy(Distribution):
    """``|X|`` for ``X ~ Cauchy(0, scale)``; it has no mean or variance."""

    arg_names = ("scale",)
    arg_constraints = {"scale": C.positive}
    support = C.nonnegative

    def _sample(self, key, shape):
        return jnp.abs(Cauchy(0.0, self.scale)._sample(key, shape))

    def _log_prob(self, x):
        return math.log(2.0) + Cauchy(0.0, self.scale)._log_prob(x)

    def _cdf(self, x):
        return 2 * jnp.arctan(x / self.scale) / math.pi

    def _icdf(self, u):
        return self.scale * jnp.tan(math.pi * u / 2)


class StudentT(Distribution):
    """Student's t with ``df`` degrees of freedom, shifted and scaled.

    Its mean is NaN for ``df <= 1`` and its variance infinite for ``df <= 2``
    (NaN for ``df <= 1``): there the moments do not exist.
    """

    arg_names = ("df", "loc", "scale")
    arg_constraints = {"df": C.positive, "loc": C.real, "scale": C.positive}
    support = C.real

    def _sample(self, key, shape):
        return self.loc + self.scale * jax.random.t(key, self.df, shape, _dtype(self.loc))

    def _log_prob(self, x):
        df = self.df
        z = (x - self.loc) / self.scale
        return (gammaln((df + 1) / 2) - gammaln(df / 2) - 0.5 * jnp.log(df * math.pi)
                - jnp.log(self.scale) - (df + 1) / 2 * jnp.log1p(z ** 2 / df))

    def _cdf(self, x):
        # P(T <= t) from the regularised incomplete beta function, by the sign of t
        z = (x - self.loc) / self.scale
        tail = 0.5 * betainc(self.df / 2, 0.5, self.df / (self.df + z ** 2))
        return jnp.where(z > 0, 1 - tail, tail)

    @property
    def mean(self):
        return jnp.where(self.df > 1, self.loc, jnp.nan)

    @property
    def variance(self):
        var = jnp.where(self.df > 2, self.scale ** 2 * self.df / (self.df - 2), jnp.inf)
        return jnp.where(self.df > 1, var, jnp.nan)


class HalfStudentT(Distribution):
    """``|X|`` for ``X ~ StudentT(df, 0, scale)``: Stan's ``student_t(df, 0, scale)`` on a
    parameter declared ``<lower=0>``, a weakly informative prior on scales."""

    arg_names = ("df", "scale")
    arg_constraints = {"df": C.positive, "scale": C.positive}
    support = C.nonnegative

    def _sample(self, key, shape):
        return jnp.abs(StudentT(self.df, 0.0, self.scale)._sample(key, shape))

    def _log_prob(self, x):
        return math.log(2.0) + StudentT(self.df, 0.0, self.scale)._log_prob(x)

    def _cdf(self, x):
        return 2 * StudentT(self.df, 0.0, self.scale)._cdf(x) - 1

    @property
    def mean(self):
        df, scale = self.df, self.scale
        mean = 2 * scale * jnp.sqrt(df / math.pi) * jnp.exp(
            gammaln((df + 1) / 2) - gammaln(df / 2)) / (df - 1)
        return jnp.where(df > 1, mean, jnp.inf)


class Exponential(Distribution):
    """Waiting time of a Poisson process with intensity ``rate``."""

    arg_names = ("rate",)
    arg_constraints = {"rate": C.positive}
    support = C.nonnegative

    def _sample(self, key, shape):
        return jax.random.exponential(key, shape, _dtype(self.rate)) / self.rate

    def _log_prob(self, x):
        return jnp.log(self.rate) - self.rate * x

    def _cdf(self, x):
        return -jnp.expm1(-self.rate * x)

    def _icdf(self, u):
        return -jnp.log1p(-u) / self.rate

    @property
    def mean(self):
        return 1 / self.rate

    @property
    def variance(self):
        return self.rate ** -2


class Gamma(Distribution):
    """Density ``β^α x^(α-1) e^(-βx) / Γ(α)`` (``α = concentration``, ``β = rate``)."""

    arg_names = ("concentration", "rate")
    arg_constraints = {"concentration": C.positive, "rate": C.positive}
    support = C.positive

    def _sample(self, key, shape):
        return jax.random.gamma(key, self.concentration, shape, _dtype(self.rate)) / self.rate

    def _log_prob(self, x):
        a, b = self.concentration, self.rate
        return xlogy(a, b) - gammaln(a) + xlogy(a - 1, x) - b * x

    def _cdf(self, x):
        return gammainc(self.concentration, self.rate * x)

    @property
    def mean(self):
        return self.concentration / self.rate

    @property
    def variance(self):
        return self.concentration / self.rate ** 2


class InverseGamma(Distribution):
    """``1 / X`` for ``X ~ Gamma(concentration, rate)``; ``rate`` scales the result.

    Its mean is infinite for ``concentration <= 1``, its variance for ``<= 2``.
    """

    arg_names = ("concentration", "rate")
    arg_constraints = {"concentration": C.positive, "rate": C.positive}
    support = C.positive

    def _sample(self, key, shape):
        return self.rate / jax.random.gamma(key, self.concentration, shape, _dtype(self.rate))

    def _log_prob(self, x):
        a, b = self.concentration, self.rate
        return xlogy(a, b) - gammaln(a) - (a + 1) * jnp.log(x) - b / x

    @property
    def mean(self):
        a = self.concentration
        return jnp.where(a > 1, self.rate / (a - 1), jnp.inf)

    @property
    def variance(self):
        a = self.concentration
        return jnp.where(a > 2, self.rate ** 2 / ((a - 1) ** 2 * (a - 2)), jnp.inf)


class Beta(Distribution):
    """Density ``x^(a-1) (1-x)^(b-1) / B(a, b)`` on ``[0, 1]``."""

    arg_names = ("a", "b")
    aliases = {"concentration1": "a", "concentration0": "b"}
    arg_constraints = {"a": C.positive, "b": C.positive}
    support = C.unit_interval

    def _sample(self, key, shape):
        return jax.random.beta(key, self.a, self.b, shape, _dtype(self.a))

    def _log_prob(self, x):
        return xlogy(self.a - 1, x) + xlog1py(self.b - 1, -x) - betaln(self.a, self.b)

    @property
    def mean(self):
        return self.a / (self.a + self.b)

    @property
    def variance(self):
        total = self.a + self.b
        return self.a * self.b / (total ** 2 * (total + 1))


class Uniform(Distribution):
    """Uniform on ``[low, high]``, ``low < high``."""

    arg_names = ("low", "high")
    arg_constraints = {"low": C.real, "high": C.real}

    @property
    def support(self):
        return C.interval(self.low, self.high)

    def _checks(self):
        return super()._checks() + [("high", "greater than low", self.high, self.high > self.low)]

    def _sample(self, key, shape):
        u = jax.random.uniform(key, shape, _dtype(self.low))
        return self.low + (self.high - self.low) * u

    def _log_prob(self, x):
        return -jnp.log(self.high - self.low)

    def _cdf(self, x):
        return (x - self.low) / (self.high - self.low)

    def _icdf(self, u):
        return self.low + (self.high - self.low) * u

    @property
    def mean(self):
        return (self.low + self.high) / 2

    @property
    def variance(self):
        return (self.high - self.low) ** 2 / 12
