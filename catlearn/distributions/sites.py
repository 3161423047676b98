"""What a sample site means: a draw from its distribution, or a score of a given value.

A ``Sample`` box names a site and a distribution family; its inputs are the
family's parameters. In the sampler and weighted-sampler categories it draws
(weight 0). In the traced category (:mod:`catlearn.categories.traced`) a
sample box draws and records its value; the boxes conditioning rewrites it
into (:mod:`catlearn.syntax.condition`) read their value instead and add its
log density to the trace — to the likelihood for ``Observe`` (data; only its
observed elements, when it has missing ones), to the prior for ``Fixed``
values and for ``Latent`` unconstrained values, pushed through the
support's bijection with their log-Jacobian.

>>> import jax
>>> from catlearn.functor import Functor
>>> from catlearn.categories.sampler import samplers
>>> from catlearn.syntax import Ty
>>> from catlearn.syntax.model import Const, Sample
>>> R = Ty("Real")
>>> draw = Functor(cod=samplers)(Const(1.0) >> Sample("z", "HalfNormal", R, R))
>>> bool(draw(jax.random.key(0)) > 0) and bool(draw(jax.random.key(0)) == draw(jax.random.key(0)))
True
"""
from __future__ import annotations

import jax
import jax.numpy as jnp

from catlearn.categories.category import box_meaning
from catlearn.categories.sampler import Sampler, Samplers
from catlearn.categories.traced import Partial, Piece, Trace, Traced, TracedSamplers, slice_at
from catlearn.categories.weighted import Weighted, WeightedSamplers
from catlearn.distributions.distribution import Distribution
from catlearn.distributions.registry import get as get_distribution
from catlearn.syntax.condition import Fixed, Latent, Observe
from catlearn.syntax.model import Sample


def family_at(box: Sample, params) -> Distribution:
    """The site's distribution at ``params``. Constant parameters stay concrete,
    so the distribution can reject invalid ones (``Normal(0, -1)``) at trace
    time, naming them."""
    with jax.ensure_compile_time_eval():
        return get_distribution(box.dist)(*params)


@box_meaning.register(Sample, Samplers, object)
def _draw(box: Sample, cat: Samplers, functor) -> Sampler:
    return Sampler(len(box.dom), 1, lambda key, *params: (family_at(box, params).sample(key),))


@box_meaning.register(Sample, WeightedSamplers, object)
def _draw_unweighted(box: Sample, cat: WeightedSamplers, functor) -> Weighted:
    return Weighted(len(box.dom), 1,
                    lambda key, *params: ((family_at(box, params).sample(key),), 0.0))


def _piece(box: Sample, value) -> dict:
    return {box.site: (Piece(value, box.index, box.dist),)}


def _draw(box: Sample, cat: TracedSamplers, dist: Distribution, key) -> tuple:
    """A draw (as the category's noise makes it) and, for a continuous family, its
    unconstrained value as a piece."""
    x = cat.noise.draw(key, dist)
    return x, ({} if dist.is_discrete else _piece(box, dist.support.bijector().inverse(x)))


def _pushed(dist: Distribution, u) -> tuple:
    """An unconstrained value pushed onto the support, its log density there, and
    the log-Jacobian of the push (both unsummed)."""
    bijector = dist.support.bijector()
    x = bijector.forward(u)
    return x, dist.log_prob(x), bijector.log_abs_det_jacobian(u)


@box_meaning.register(Sample, TracedSamplers, object)
def _drawn(box: Sample, cat: TracedSamplers, functor) -> Traced:
    def run(key, given, *params):
        x, u = _draw(box, cat, family_at(box, params), key)
        return (x,), Trace(_piece(box, x), u, jnp.zeros(()), jnp.zeros(()))
    return Traced(len(box.dom), 1, run)


@box_meaning.register(Observe, TracedSamplers, object)
def _observed(box: Observe, cat: TracedSamplers, functor) -> Traced:
    def run(key, given, *params):
        dist, value = family_at(box, params), slice_at(given[box.site], box.index)
        if isinstance(value, Partial):
            return _partly_observed(box, cat, dist, key, value)
        pointwise = dist.log_prob(value)
        return (value,), Trace(_piece(box, value), {}, jnp.zeros(()), jnp.sum(pointwise),
                               _piece(box, pointwise))
    return Traced(len(box.dom), 1, run)


def _partly_observed(box: Observe, cat: TracedSamplers, dist: Distribution, key,
                     value: Partial) -> tuple:
    """Data where observed; elsewhere a draw, or a latent unconstrained value
    (``value.free``) scored with its log-Jacobian as prior."""
    seen = value.observed
    if value.free is None:
        x, u = _draw(box, cat, dist, key)
        prior = jnp.zeros(())
    else:
        x, logp, log_jacobian = _pushed(dist, value.free)
        u = _piece(box, value.free)
        prior = jnp.sum(jnp.where(seen, 0.0, logp + log_jacobian))
    # the missing elements hold a value on the support, so that neither the
    # likelihood nor its gradient is evaluated at whatever filled the gap
    x = jnp.where(seen, value.data, x)
    pointwise = jnp.where(seen, dist.log_prob(x), 0.0)
    return (x,), Trace(_piece(box, x), u, prior, jnp.sum(pointwise), _piece(box, pointwise))


@box_meaning.register(Latent, TracedSamplers, object)
def _latent(box: Latent, cat: TracedSamplers, functor) -> Traced:
    def run(key, given, *params):
        u = slice_at(given[box.site], box.index)
        x, logp, log_jacobian = _pushed(family_at(box, params), u)
        return (x,), Trace(_piece(box, x), _piece(box, u), jnp.sum(logp) + jnp.sum(log_jacobian),
                           jnp.zeros(()))
    return Traced(len(box.dom), 1, run)


@box_meaning.register(Fixed, TracedSamplers, object)
def _fixed(box: Fixed, cat: TracedSamplers, functor) -> Traced:
    def run(key, given, *params):
        dist, x = family_at(box, params), slice_at(given[box.site], box.index)
        return (x,), Trace(_piece(box, x), {}, jnp.sum(dist.log_prob(x)), jnp.zeros(()))
    return Traced(len(box.dom), 1, run)
