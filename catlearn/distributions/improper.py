"""The flat (improper) prior of a declared parameter: Stan's ``real<lower=a> x;``.

``Flat(low, high)`` has density 1 on ``[low, high]`` with respect to
Lebesgue measure, where either bound may be infinite: the whole real line,
a half-line, or an interval. It is not normalised, even on a bounded
interval (it is *not* ``Uniform(low, high)``, whose density is
``1 / (high - low)``: with a bound that depends on another parameter the two
give different posteriors). It has no sampler in the probabilistic sense;
``sample`` draws Stan's initial point, uniform on ``(-2, 2)`` in
unconstrained space, pushed onto the support, and the inference API refuses
methods that would read those draws as prior draws (``is_proper`` is False).

>>> import jax.numpy as jnp
>>> d = Flat(0.0, jnp.inf)
>>> float(d.log_prob(3.0)), float(d.log_prob(-1.0))
(0.0, -inf)
>>> float(d.support.bijector().forward(0.0))  # 0 + exp(0)
1.0
"""
from __future__ import annotations

import jax
import jax.numpy as jnp

from catlearn.distributions import constraints as C
from catlearn.distributions.distribution import Distribution


class Flat(Distribution):
    """Density 1 on ``[low, high]``; ``-inf``/``inf`` for an absent bound."""

    arg_names = ("low", "high")
    arg_constraints = {"low": C.extended_real, "high": C.extended_real}
    is_proper = False

    @property
    def support(self):
        return C.bounded(self.low, self.high)

    def _checks(self):
        return super()._checks() + [("high", "greater than low", self.high, self.high > self.low)]

    def _sample(self, key, shape):
        u = jax.random.uniform(key, shape, jnp.result_type(self.low), -2.0, 2.0)
        return self.support.bijector().forward(u)

    def _log_prob(self, x):
        return jnp.zeros_like(x)
