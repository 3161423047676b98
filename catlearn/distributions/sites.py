"""What a sample site means: a draw from its distribution, or a score of a given value.

A ``Sample`` box names a site and a distribution family; its inputs are the
family's parameters. In the sampler and weighted-sampler categories it draws
(weight 0). In the traced category (:mod:`catlearn.categories.traced`) a
site with no given value draws and records its value; a given value is read,
not drawn, and its log density is added to the trace — to the likelihood
for ``OBSERVED`` data, to the prior for ``FIXED`` values and for ``LATENT``
unconstrained values, pushed through the support's bijection with their
log-Jacobian.

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
from catlearn.categories.traced import (LATENT, OBSERVED, Piece, Trace, Traced, TracedSamplers,
                                        slice_at)
from catlearn.categories.weighted import Weighted, WeightedSamplers
from catlearn.distributions.distribution import Distribution
from catlearn.distributions.registry import get as get_distribution
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


@box_meaning.register(Sample, TracedSamplers, object)
def _site(box: Sample, cat: TracedSamplers, functor) -> Traced:
    site, index, mode = box.site, box.index, cat.modes.get(box.site)

    def piece(value):
        return {site: (Piece(value, index, box.dist),)}

    def run(key, given, *params):
        dist = family_at(box, params)
        if mode is None:
            x = dist.sample(key)
            u = {} if dist.is_discrete else piece(dist.support.bijector().inverse(x))
            return (x,), Trace(piece(x), u, jnp.zeros(()), jnp.zeros(()))
        value = slice_at(given[site], index)
        if mode == LATENT:
            bijector = dist.support.bijector()
            x = bijector.forward(value)
            logp = jnp.sum(dist.log_prob(x)) + jnp.sum(bijector.log_abs_det_jacobian(value))
            return (x,), Trace(piece(x), piece(value), logp, jnp.zeros(()))
        pointwise = dist.log_prob(value)
        logp = jnp.sum(pointwise)
        if mode == OBSERVED:
            return (value,), Trace(piece(value), {}, jnp.zeros(()), logp, piece(pointwise))
        return (value,), Trace(piece(value), {}, logp, jnp.zeros(()))
    return Traced(len(box.dom), 1, run)
