"""Discrete distributions, parameterised as in NumPyro.

Masses are with respect to counting measure; draws are integer arrays.

>>> from catlearn.distributions import Binomial
>>> round(float(jnp.exp(Binomial(4, 0.5).log_prob(2))), 4)  # C(4, 2) / 16
0.375
"""
from __future__ import annotations

import jax
import jax.numpy as jnp
from jax.scipy.special import gammaln, xlog1py, xlogy

from catlearn.distributions import constraints as C
from catlearn.distributions.distribution import Distribution


class Bernoulli(Distribution):
    """1 with probability ``probs``, else 0."""

    arg_names = ("probs",)
    aliases = {"p": "probs"}
    arg_constraints = {"probs": C.unit_interval}
    support = C.boolean
    is_discrete = True

    def _sample(self, key, shape):
        return jax.random.bernoulli(key, self.probs, shape).astype(int)

    def _log_prob(self, x):
        return xlogy(x, self.probs) + xlog1py(1 - x, -self.probs)

    @property
    def mean(self):
        return self.probs

    @property
    def variance(self):
        return self.probs * (1 - self.probs)


class Binomial(Distribution):
    """Successes in ``total_count`` independent trials of probability ``probs``.

    The language's ``Binomial(n, p)``: ``n`` and ``p`` are accepted as keywords.
    """

    arg_names = ("total_count", "probs")
    aliases = {"n": "total_count", "p": "probs"}
    arg_constraints = {"total_count": C.nonnegative_integer, "probs": C.unit_interval}
    is_discrete = True

    @property
    def support(self):
        return C.integer_interval(0, self.total_count)

    def _sample(self, key, shape):
        return jax.random.binomial(key, self.total_count, self.probs, shape).astype(int)

    def _log_prob(self, k):
        n, p = self.total_count, self.probs
        log_choose = gammaln(n + 1) - gammaln(k + 1) - gammaln(n - k + 1)
        return log_choose + xlogy(k, p) + xlog1py(n - k, -p)

    @property
    def mean(self):
        return self.total_count * self.probs

    @property
    def variance(self):
        return self.total_count * self.probs * (1 - self.probs)


class Poisson(Distribution):
    """Counts of a Poisson process: mass ``rate^k e^(-rate) / k!``."""

    arg_names = ("rate",)
    arg_constraints = {"rate": C.nonnegative}
    support = C.nonnegative_integer
    is_discrete = True

    def _sample(self, key, shape):
        return jax.random.poisson(key, self.rate, shape).astype(int)

    def _log_prob(self, k):
        return xlogy(k, self.rate) - self.rate - gammaln(k + 1)

    @property
    def mean(self):
        return self.rate

    @property
    def variance(self):
        return self.rate


class Categorical(Distribution):
    """A label in ``0 .. k-1`` drawn with the probabilities ``probs`` (last axis)."""

    arg_names = ("probs",)
    aliases = {"p": "probs"}
    arg_constraints = {"probs": C.simplex}
    is_discrete = True

    @property
    def support(self):
        return C.integer_interval(0, self.probs.shape[-1] - 1)

    def _sample(self, key, shape):
        return jax.random.categorical(key, jnp.log(self.probs), shape=shape).astype(int)

    def _log_prob(self, k):
        labels = jnp.arange(self.probs.shape[-1])
        chosen = jnp.where(labels == jnp.expand_dims(k, -1), self.probs, 0.0)
        return jnp.log(jnp.sum(chosen, axis=-1))
