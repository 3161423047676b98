"""The quasi-Borel sampler category: the Kleisli category of the sampler monad.

After Heunen, Kammar, Staton and Yang, a random element of ``X`` is a map
``Ω -> X``; here ``Ω`` is JAX's PRNG key space, so the sampler monad is
``S X = Key -> X`` and a morphism ``A -> B`` of its Kleisli category is a
function ``key, a -> b``:

* ``unit(x) = λk. x`` (return) — a deterministic sampler;
* ``bind(m, f) = λk. f(m(k₁))(k₂)`` with ``k₁, k₂ = split(k)``: the two
  halves of the key are independent, so composition and tensor of samplers
  are the composition and product of Markov kernels.

Copying a sampled wire copies the *value* (``copy`` is deterministic), so
``f >> copy`` is not ``copy >> f @ f`` unless ``f`` is deterministic: this is
a Markov category, and only deterministic boxes commute with copying.

A diagram's image is one function that runs its hypergraph as a straight
loop; box ``i`` receives the key ``fold_in(key, i)``, so the same key gives
the same draws and no two boxes share randomness.

How the key reaches the factors is a :class:`Noise` strategy, not a second
category: :data:`independent` splits it (the Kleisli category, above), while
:data:`shared` hands every factor the same key — the co-Kleisli category of
the reader comonad ``Ω × -``, where ``f ; f`` adds one draw twice.
:data:`population` is :data:`independent` for the particles of a filter run
together (:func:`over_population`): they share the stage's key, and particle
``i``'s draw at a box is element ``i`` of one draw for the whole population
(the particle index is the counter of a counter-based generator), so a
stage hashes once per draw, not once per particle and box. Weighted
and traced samplers (:mod:`~catlearn.categories.weighted`,
:mod:`~catlearn.categories.traced`) reuse the strategy and :func:`run_boxes`,
the one evaluation loop of the family.

>>> import jax, jax.numpy as jnp
>>> noise = Sampler(1, 1, lambda key, x: (x + jax.random.normal(key),))
>>> twice = samplers.compose(noise, noise)
>>> y = twice(jax.random.key(0), 0.0)
>>> bool(y == twice(jax.random.key(0), 0.0))   # same key, same draw
True
>>> bool(y == twice(jax.random.key(1), 0.0))
False
"""
from __future__ import annotations

from typing import Any, Callable, NamedTuple, Sequence

import jax
from jax import lax

from catlearn.categories.function import Function
from catlearn.syntax.hypergraph import Hypergraph, evaluate

Key = jax.Array


def _own(key: Key, dist: Any) -> jax.Array:
    return dist.sample(key)


class Noise(NamedTuple):
    """How a key reaches the factors of a composite: ``split(key)`` gives the
    two factors' keys, ``at(key, i)`` the key of box ``i`` of a hypergraph,
    ``draw(key, dist)`` a sample box's draw from its distribution."""

    split: Callable[[Key], tuple]
    at: Callable[[Key, int], Key]
    draw: Callable[[Key, Any], jax.Array] = _own


#: the axis of :func:`over_population`, the particles of a filter
PARTICLES = "particles"


def _population_draw(key: Key, dist: Any) -> jax.Array:
    """Element ``i`` of one draw from the population's distributions (each
    parameter gathered along the particle axis), for particle ``i``: the
    draws of distinct particles are distinct elements of one batch of
    independent draws. A particle run alone (no particle axis) draws its own."""
    try:
        i = lax.axis_index(PARTICLES)
    except NameError:
        return dist.sample(key)
    whole = jax.tree.map(lambda p: lax.all_gather(p, PARTICLES), dist)
    return whole.sample(key)[i]


independent = Noise(lambda key: tuple(jax.random.split(key)), jax.random.fold_in)
shared = Noise(lambda key: (key, key), lambda key, i: key)
population = independent._replace(draw=_population_draw)


def over_population(fn: Callable[..., Any]) -> Callable[..., Any]:
    """``fn(key, particle, *rest)`` on every particle (leading axis) of a population
    with one key shared: under :data:`population` noise their draws differ by
    particle index, as if each had a key of its own."""
    def run(key, particles, *rest):
        return jax.vmap(lambda particle: fn(key, particle, *rest), axis_name=PARTICLES)(particles)
    return run


def run_boxes(graph: Hypergraph, call: Callable[[Key, int, Sequence], Any], key: Key,
              xs: Sequence, noise: Noise = independent) -> tuple:
    """The straight loop of a keyed category: box ``i`` runs ``call(key_i, i, args)``."""
    return evaluate(graph, lambda i, args: call(noise.at(key, i), i, args), xs)


class Sampler(Function):
    """A morphism ``n_in -> n_out``: ``fn(key, *xs)`` returns a tuple of ``n_out``.

    Called as ``sampler(key, *xs)``: the key is one more argument of the
    jitted function, so everything else is as for :class:`Function`.
    """

    def __repr__(self) -> str:
        return f"Sampler({self.n_in} -> {self.n_out})"


def unit(n: int = 1) -> Sampler:
    """``return``: the deterministic sampler ``key, xs -> xs`` (the identity on ``n`` wires)."""
    return Sampler(n, n, lambda key, *xs: tuple(xs))


def bind(m: Sampler, f: Sampler, noise: Noise = independent) -> Sampler:
    """``m >>= f``: draw from ``m`` with one half of the key, feed ``f`` with the other.

    ``m : A -> B`` and the kernel ``f : B -> C`` give ``A -> C``; with ``A = I``
    this is the monad's bind on random elements, and in general it is Kleisli
    composition.
    """
    def run(key, *xs):
        k1, k2 = noise.split(key)
        return f.fn(k2, *m.fn(k1, *xs))
    return Sampler(m.n_in, f.n_out, run)


def deterministic(n_in: int, n_out: int, fn: Callable[..., tuple]) -> Sampler:
    """A function as a sampler that ignores its key (the unit of the monad after ``fn``)."""
    return Sampler(n_in, n_out, lambda key, *xs: tuple(fn(*xs)))


class Samplers:
    """The Kleisli category of the sampler monad, with its straight-line evaluator;
    with ``noise=shared``, the co-Kleisli category of shared noise."""

    def __init__(self, noise: Noise = independent):
        self.noise = noise

    def lift(self, image: Any, box) -> Sampler:
        """A box's image as a :class:`Sampler`; a plain function is read as
        ``key, *xs -> y`` (one output) or a tuple of outputs."""
        if isinstance(image, Sampler):
            return image
        n_in, n_out = len(box.dom), len(box.cod)
        if n_out == 1:
            return Sampler(n_in, 1, lambda key, *xs: (image(key, *xs),))
        return Sampler(n_in, n_out, lambda key, *xs: tuple(image(key, *xs)))

    def id(self, ty: Sequence[Any]) -> Sampler:
        return unit(len(ty))

    def compose(self, f: Sampler, g: Sampler) -> Sampler:
        return bind(f, g, self.noise)

    def tensor(self, f: Sampler, g: Sampler) -> Sampler:
        k = f.n_in

        def run(key, *xs):
            k1, k2 = self.noise.split(key)
            return tuple(f.fn(k1, *xs[:k])) + tuple(g.fn(k2, *xs[k:]))
        return Sampler(f.n_in + g.n_in, f.n_out + g.n_out, run)

    def swap(self, left: Sequence[Any], right: Sequence[Any]) -> Sampler:
        k = len(left)
        return Sampler(k + len(right), k + len(right), lambda key, *xs: xs[k:] + xs[:k])

    def copy(self, ty: Sequence[Any]) -> Sampler:
        return Sampler(len(ty), 2 * len(ty), lambda key, *xs: xs + xs)

    def discard(self, ty: Sequence[Any]) -> Sampler:
        return Sampler(len(ty), 0, lambda key, *xs: ())

    def unpair(self, n: int) -> Sampler:
        """One ``n``-tuple wire spread on ``n`` wires (for ``Para`` over samplers)."""
        return deterministic(1, n, tuple)

    def evaluate(self, graph: Hypergraph, images: Sequence[Sampler], ob) -> Sampler:
        fns = [image.fn for image in images]

        def run(key, *xs):
            return run_boxes(graph, lambda k, i, args: fns[i](k, *args), key, xs, self.noise)
        return Sampler(len(graph.dom), len(graph.cod), run)


samplers = Samplers()
shared_noise_samplers = Samplers(shared)
