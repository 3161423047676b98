"""Weighted samplers: the sampler monad with a log-weight, for conditioning.

A weighted sampler ``A -> B`` is ``key, a -> (b, log w)``: the Kleisli
category of ``W X = Key -> X × ℝ``, the sampler monad composed with the
writer monad of the additive monoid ``(ℝ ∪ {-∞}, +, 0)`` of log-weights.
Composition splits the key and adds the weights, so a composite's weight
is the product of its factors' weights; ``score(w)`` is the morphism
``ℝ -> I`` that only adds ``w``; every sampler is a weighted sampler of
weight 0. A weighted sampler denotes the unnormalised measure
``B ↦ E[w · 1_B(b)]``; likelihood weighting, importance sampling and each
step of a particle filter are weighted samplers.

>>> import jax, jax.numpy as jnp
>>> from catlearn.distributions import Normal
>>> observe = Weighted(1, 1, lambda key, x: ((x,), Normal(x, 1.0).log_prob(0.5)))
>>> prior = Weighted(0, 1, lambda key: ((jax.random.normal(key),), 0.0))
>>> (x,), logw = weighted_samplers.compose(prior, observe).fn(jax.random.key(0))
>>> bool(jnp.isclose(logw, Normal(x, 1.0).log_prob(0.5)))
True
"""
from __future__ import annotations

from functools import cached_property
from typing import Any, Callable, Sequence

import jax
import jax.numpy as jnp

from catlearn.categories.category import box_meaning
from catlearn.categories.sampler import Noise, Sampler, independent, run_boxes
from catlearn.syntax.hypergraph import Hypergraph
from catlearn.syntax.model import Score


class Weighted:
    """A morphism ``n_in -> n_out``: ``fn(key, *xs)`` returns ``(outputs, log_weight)``."""

    def __init__(self, n_in: int, n_out: int, fn: Callable[..., tuple]):
        self.n_in, self.n_out, self.fn = n_in, n_out, fn

    @cached_property
    def jitted(self) -> Callable[..., tuple]:
        return jax.jit(self.fn)

    def __call__(self, key: jax.Array, *xs: Any) -> tuple:
        """``(outputs, log_weight)``, with a single output unwrapped."""
        outs, logw = self.jitted(key, *xs)
        return (outs[0] if self.n_out == 1 else outs), logw

    def __repr__(self) -> str:
        return f"Weighted({self.n_in} -> {self.n_out})"


def from_sampler(s: Sampler) -> Weighted:
    """A sampler as a weighted sampler of weight 1 (log-weight 0)."""
    return Weighted(s.n_in, s.n_out, lambda key, *xs: (tuple(s.fn(key, *xs)), 0.0))


def score(n: int = 1) -> Weighted:
    """``factor``: ``n`` wires to ``I``, adding the sum of their values to the log-weight."""
    return Weighted(n, 0, lambda key, *xs: ((), sum(jnp.sum(x) for x in xs)))


class WeightedSamplers:
    """The Kleisli category of weighted samplers, with its straight-line evaluator;
    ``noise`` says how keys reach the factors (:class:`~catlearn.categories.sampler.Noise`)."""

    def __init__(self, noise: Noise = independent):
        self.noise = noise

    def lift(self, image: Any, box) -> Weighted:
        """A box's image as a :class:`Weighted`; a :class:`Sampler` gets weight 0."""
        if isinstance(image, Weighted):
            return image
        if isinstance(image, Sampler):
            return from_sampler(image)
        return Weighted(len(box.dom), len(box.cod), image)

    def id(self, ty: Sequence[Any]) -> Weighted:
        return Weighted(len(ty), len(ty), lambda key, *xs: (tuple(xs), 0.0))

    def compose(self, f: Weighted, g: Weighted) -> Weighted:
        def run(key, *xs):
            k1, k2 = self.noise.split(key)
            ys, w1 = f.fn(k1, *xs)
            zs, w2 = g.fn(k2, *ys)
            return zs, w1 + w2
        return Weighted(f.n_in, g.n_out, run)

    def tensor(self, f: Weighted, g: Weighted) -> Weighted:
        k = f.n_in

        def run(key, *xs):
            k1, k2 = self.noise.split(key)
            ys, w1 = f.fn(k1, *xs[:k])
            zs, w2 = g.fn(k2, *xs[k:])
            return tuple(ys) + tuple(zs), w1 + w2
        return Weighted(f.n_in + g.n_in, f.n_out + g.n_out, run)

    def swap(self, left: Sequence[Any], right: Sequence[Any]) -> Weighted:
        k = len(left)
        return Weighted(k + len(right), k + len(right), lambda key, *xs: (xs[k:] + xs[:k], 0.0))

    def copy(self, ty: Sequence[Any]) -> Weighted:
        return Weighted(len(ty), 2 * len(ty), lambda key, *xs: (xs + xs, 0.0))

    def discard(self, ty: Sequence[Any]) -> Weighted:
        return Weighted(len(ty), 0, lambda key, *xs: ((), 0.0))

    def evaluate(self, graph: Hypergraph, images: Sequence[Weighted], ob) -> Weighted:
        fns = [image.fn for image in images]

        def run(key, *xs):
            weights = []

            def call(k, i, args):
                ys, w = fns[i](k, *args)
                weights.append(w)
                return ys
            outs = run_boxes(graph, call, key, xs, self.noise)
            return outs, sum(weights, jnp.zeros(()))
        return Weighted(len(graph.dom), len(graph.cod), run)


weighted_samplers = WeightedSamplers()


@box_meaning.register(Score, WeightedSamplers, object)
def _score_as_weighted(box, cat, functor) -> Weighted:
    return score(len(box.dom))
