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


class _FlatOn(Distribution):
    """Density 1 on a constrained set of vectors or matrices, in the chart of its
    bijector (Stan's ``ordered[K] x;`` with no statement about ``x``): the
    log density of the unconstrained point is the bijector's log-Jacobian.
    ``shape`` is any array of the shape of one value (zeros, say): it carries
    the event shape, since the set has no parameter."""

    arg_names = ("shape",)
    is_proper = False
    support: C.Constraint

    @property
    def event_shape(self):
        return self.shape.shape[self.shape.ndim - self.support.event_dim:]

    def _sample(self, key, shape):
        bijector = self.support.bijector()
        free = bijector.unconstrained_shape(tuple(self.event_shape))
        u = jax.random.uniform(key, tuple(shape) + free, jnp.result_type(self.shape), -2.0, 2.0)
        return bijector.forward(u)

    def _log_prob(self, x):
        return jnp.zeros(x.shape[:x.ndim - self.support.event_dim], x.dtype)


def _flat_on(name: str, support: C.Constraint) -> type:
    """The flat distribution on ``support``, a set of vectors or of matrices."""
    template = C.real_vector if support.event_dim == 1 else C.real_matrix
    return type(name, (_FlatOn,), {"arg_constraints": {"shape": template},
                                   "support": support,
                                   "__doc__": f"Density 1 on {support.description}s."})


FlatOrdered = _flat_on("FlatOrdered", C.ordered_vector)
FlatPositiveOrdered = _flat_on("FlatPositiveOrdered", C.positive_ordered_vector)
FlatSimplex = _flat_on("FlatSimplex", C.simplex)
FlatCholeskyCorr = _flat_on("FlatCholeskyCorr", C.corr_cholesky)
FlatCholeskyCov = _flat_on("FlatCholeskyCov", C.cov_cholesky)
