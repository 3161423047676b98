"""Stochastic maps as functions of a PRNG key, composed two ways.

A stochastic map ``A -> B`` is a function ``fn(key, *xs) -> ys``: a random
element of ``B`` for each input, the key standing for the sample space Ω
(quasi-Borel spaces: a random element is a map Ω -> B). Two compositions
make it a category:

* :data:`stochastic_maps`, the Kleisli category of the sampler monad: the
  key is split and each factor gets its own half, so the noise of ``f`` and
  ``g`` is independent;
* :data:`shared_noise_maps`, the co-Kleisli category of the reader comonad
  ``Ω × -``: both factors read the same key, so their noise is shared.

>>> import jax
>>> noise = Stochastic(1, 1, lambda key, x: (x + jax.random.normal(key),))
>>> shared = shared_noise_maps.compose(noise, noise)
>>> key = jax.random.key(0)
>>> y, = shared.fn(key, 0.0)
>>> bool(y == 2 * noise.fn(key, 0.0)[0])   # the same draw, twice
True
"""
from __future__ import annotations

from typing import Any, Callable, Sequence

import jax

from catlearn.syntax.hypergraph import Hypergraph, evaluate


class Stochastic:
    """A stochastic map with ``n_in`` input and ``n_out`` output wires."""

    def __init__(self, n_in: int, n_out: int, fn: Callable[..., tuple]):
        self.n_in, self.n_out, self.fn = n_in, n_out, fn

    def __call__(self, key: Any, *xs: Any) -> Any:
        out = self.fn(key, *xs)
        return out[0] if self.n_out == 1 else out

    def __repr__(self) -> str:
        return f"Stochastic({self.n_in} -> {self.n_out})"


def deterministic(n_in: int, n_out: int, fn: Callable[..., tuple]) -> Stochastic:
    """A function as a stochastic map that ignores its key."""
    return Stochastic(n_in, n_out, lambda key, *xs: tuple(fn(*xs)))


class StochasticMaps:
    """Stochastic maps under Kleisli composition: independent noise."""

    def keys(self, key: Any) -> tuple[Any, Any]:
        """The keys handed to the two factors of a composite."""
        return tuple(jax.random.split(key))

    def id(self, ty: Sequence[Any]) -> Stochastic:
        return deterministic(len(ty), len(ty), lambda *xs: xs)

    def compose(self, f: Stochastic, g: Stochastic) -> Stochastic:
        def fn(key, *xs):
            kf, kg = self.keys(key)
            return g.fn(kg, *f.fn(kf, *xs))
        return Stochastic(f.n_in, g.n_out, fn)

    def tensor(self, f: Stochastic, g: Stochastic) -> Stochastic:
        k = f.n_in

        def fn(key, *xs):
            kf, kg = self.keys(key)
            return tuple(f.fn(kf, *xs[:k])) + tuple(g.fn(kg, *xs[k:]))
        return Stochastic(f.n_in + g.n_in, f.n_out + g.n_out, fn)

    def swap(self, left: Sequence[Any], right: Sequence[Any]) -> Stochastic:
        k = len(left)
        return deterministic(k + len(right), k + len(right), lambda *xs: xs[k:] + xs[:k])

    def copy(self, ty: Sequence[Any]) -> Stochastic:
        return deterministic(len(ty), 2 * len(ty), lambda *xs: xs + xs)

    def discard(self, ty: Sequence[Any]) -> Stochastic:
        return deterministic(len(ty), 0, lambda *xs: ())

    def unpair(self, n: int) -> Stochastic:
        return deterministic(1, n, tuple)

    def evaluate(self, graph: Hypergraph, images: Sequence[Stochastic], ob) -> Stochastic:
        """One straight loop; box ``i`` draws with the ``i``-th key of the split."""
        def fn(key, *xs):
            keys = self.box_keys(key, len(images))
            return evaluate(graph, lambda i, args: images[i].fn(keys[i], *args), xs)
        return Stochastic(len(graph.dom), len(graph.cod), fn)

    def box_keys(self, key: Any, n: int) -> Any:
        return jax.random.split(key, n)


class SharedNoiseMaps(StochasticMaps):
    """Stochastic maps under co-Kleisli composition: every factor reads one key."""

    def keys(self, key: Any) -> tuple[Any, Any]:
        return key, key

    def box_keys(self, key: Any, n: int) -> Any:
        return [key] * n


stochastic_maps = StochasticMaps()
shared_noise_maps = SharedNoiseMaps()
