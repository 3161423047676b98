"""Truncated distributions: Stan's ``y ~ normal(mu, sigma) T[L, U]``.

``truncated(Normal)`` is the family ``Truncated(Normal)`` with the
parameters of ``Normal`` followed by ``low`` and ``high`` (either infinite
for none). Its density is the base density renormalised to the interval,

    p(x) = f(x) / (F(high) - F(low))   for low <= x <= high,

with ``F`` the base's cumulative distribution function, so a truncation
whose bounds or parameters are latent has the right normalising constant.
Draws are ``F⁻¹(U)`` for ``U`` uniform on ``(F(low), F(high))`` where the
base has a quantile function, else draws of the base kept when they land
inside (at most :data:`MAX_REJECTIONS` rounds; a draw still outside is NaN).
Only continuous bases with a ``_cdf`` can be truncated.

>>> import jax.numpy as jnp
>>> from catlearn.distributions.continuous import Normal
>>> half = truncated(Normal)(0.0, 1.0, 0.0, jnp.inf)     # Normal(0, 1) T[0, ]
>>> round(float(half.log_prob(0.5)), 4)                # log 2 + log N(0.5 | 0, 1)
-0.3508
"""
from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
from jax import lax

from catlearn.distributions import constraints as C
from catlearn.distributions.distribution import Distribution
from catlearn.errors import NotSupportedError

MAX_REJECTIONS = 100
TRUNCATED = "Truncated"   # the language's name: y ~ Truncated(Normal(0, 1), lower = 0)
#: the lower and upper ends of the supports a base may have
_SUPPORT_BOUNDS = ((C.real, (-jnp.inf, jnp.inf)), (C.positive, (0.0, jnp.inf)),
                   (C.nonnegative, (0.0, jnp.inf)), (C.unit_interval, (0.0, 1.0)))


def can_truncate(base: type[Distribution]) -> bool:
    return not base.is_discrete and hasattr(base, "_cdf")


@functools.lru_cache(maxsize=None)
def truncated(base: type[Distribution]) -> type[Distribution]:
    """The family of ``base`` truncated to ``[low, high]`` (one class per base)."""
    if not can_truncate(base):
        what = "a discrete distribution" if base.is_discrete else "a distribution without " \
                                                                   "a cumulative distribution"
        raise NotSupportedError(f"not supported yet: truncating {base.name}, {what} "
                                "function in catlearn")

    class Truncated(Distribution):
        name = f"{TRUNCATED}({base.name})"
        arg_names = base.arg_names + ("low", "high")
        arg_constraints = {**base.arg_constraints, "low": C.extended_real,
                           "high": C.extended_real}

        @property
        def untruncated(self) -> Distribution:
            # parameters already valid (or made feasible): no second check
            return base.tree_unflatten(None, self.params[:-2])

        def _ends(self):
            """The interval: the bounds, inside the base's own support."""
            family = self.untruncated
            support = family.support
            ends = next((e for c, e in _SUPPORT_BOUNDS if support is c), None)
            if ends is None:  # a support with parameters (Uniform's): its own bounds
                ends = (support.low, support.high)
            return jnp.maximum(self.low, ends[0]), jnp.minimum(self.high, ends[1])

        @property
        def support(self):
            return C.bounded(*self._ends())

        def _checks(self):
            return super()._checks() + [("high", "greater than low", self.high,
                                         self.high > self.low)]

        def _mass(self):
            """``F(high)`` and ``F(low)``, exactly 1 and 0 at infinite ends."""
            family, (low, high) = self.untruncated, self._ends()
            upper = jnp.where(jnp.isinf(high), 1.0, family._cdf(jnp.where(jnp.isinf(high),
                                                                           0.0, high)))
            lower = jnp.where(jnp.isinf(low), 0.0, family._cdf(jnp.where(jnp.isinf(low),
                                                                          0.0, low)))
            return lower, upper

        def _log_prob(self, x):
            lower, upper = self._mass()
            return self.untruncated._log_prob(x) - jnp.log(upper - lower)

        def _sample(self, key, shape):
            family = self.untruncated
            if hasattr(family, "_icdf"):
                lower, upper = self._mass()
                u = jax.random.uniform(key, shape, jnp.result_type(self.low))
                return family._icdf(lower + (upper - lower) * u)
            return self._rejection(key, shape)

        def _rejection(self, key, shape):
            family, (low, high) = self.untruncated, self._ends()
            inside = lambda x: (x >= low) & (x <= high)  # noqa: E731

            def draw(state):
                k, x, round_ = state
                k, sub = jax.random.split(k)
                y = family._sample(sub, shape)
                return k, jnp.where(inside(x), x, y), round_ + 1
            first = jnp.full(shape, jnp.nan, jnp.result_type(self.low))
            _, x, _ = lax.while_loop(
                lambda s: ~jnp.all(inside(s[1])) & (s[2] < MAX_REJECTIONS), draw,
                (key, first, 0))
            return jnp.where(inside(x), x, jnp.nan)

    Truncated.__name__ = Truncated.__qualname__ = f"Truncated{base.__name__}"
    return Truncated
