"""Backward simulation: smoothed paths from a particle filter's stages.

The genealogy of a filter's final particles is a draw from its joint
smoothing distribution, but after ``T`` resamplings few ancestors survive at
early times (at ``T = 100`` often one). Backward simulation (Godsill, Doucet
& West 2004) draws each path afresh, from the last stage to the first:

    j_S ~ W_S,     j_s ~ W_s^i · p(d_{s+1}^{j_{s+1}}, y_{s+1} | x_s^i)   (i = 1 … n),

where ``W_s`` are the filter weights at stage ``s`` (after reweighting, before
resampling), ``d_{s+1}`` the draws of stage ``s + 1`` and ``x_s`` the wires a
particle carries. The density is the stage's own, from the model's semantics
(each stage's :class:`~catlearn.inference.sequential.Backward` kernel). For a
state-space cut whose state is the sampled site (``x[t] ~ …``) this is
forward-filtering backward-sampling.

A particle ``i`` can only precede the draws ``d_{s+1}`` if replaying the stage
on its wires leads to the wires the chosen particle carries: what a stage does
not draw (a parameter drawn earlier, a state computed by ``=``) is copied or
computed, and must agree. Paths therefore move freely between particles that
agree on those, and keep their genealogy on the rest; the true ancestor always
agrees. Each backward stage is ``M × n`` density evaluations under ``vmap``,
and a phase's stages are one reverse ``lax.scan``.
"""
from __future__ import annotations

from typing import Any, NamedTuple, Sequence

import jax
import jax.numpy as jnp

from catlearn.inference.sequential import Backward

Array = jax.Array


class Record(NamedTuple):
    """The stages of one phase segment, stacked: ``states`` (``env`` and the stage's
    draws) with leading axes (stage, particle), the filter's ``log_weights``
    and the ``ancestors`` resampling chose after each stage."""

    env: Any
    drawn: Any
    log_weights: Array
    ancestors: Array


class Segment(NamedTuple):
    """Stages ``first, first + 1, …`` of a phase that one kernel made."""

    kernel: Backward
    record: Record
    first: int


def _at(tree: Any, index) -> Any:
    return jax.tree.map(lambda leaf: leaf[index], tree)


def _agree(a: Any, b: Any) -> Array:
    """Whether two sets of wires hold the same values (to rounding)."""
    leaves = [jnp.all(jnp.isclose(x, y, rtol=1e-5, atol=1e-6)
                      if jnp.issubdtype(x.dtype, jnp.inexact) else x == y)
              for x, y in zip(jax.tree.leaves(a), jax.tree.leaves(b))]
    return jnp.all(jnp.stack(leaves)) if leaves else jnp.asarray(True)


def draw_index(key: Array, log_weights: Array) -> Array:
    """An index drawn with probability ∝ ``exp(log_weights)``, by the inverse CDF: one
    uniform, where ``jax.random.categorical`` hashes one Gumbel per candidate."""
    cdf = jnp.cumsum(jnp.exp(log_weights - jnp.max(log_weights)))
    u = jax.random.uniform(key) * cdf[-1]
    return jnp.minimum(jnp.searchsorted(cdf, u, side="right"), log_weights.shape[0] - 1)


def choose(key: Array, kernel: Backward, before: Record, after: Record, j: Array,
           k) -> Array:
    """For each path at particle ``j`` of stage ``k``, its particle at stage ``k - 1``:
    ``before`` and ``after`` are the two stages (particle axis first)."""
    n = before.log_weights.shape[0]

    def one(key, jm):
        draws, wires, parent = _at(after.drawn, jm), _at(after.env, jm), before.ancestors[jm]
        def weigh(env):
            log_p, led = kernel.density(env, draws, k)
            return log_p, _agree(led, wires)
        log_p, agree = jax.vmap(weigh, axis_size=n)(before.env)
        ok = (agree | (jnp.arange(n) == parent)) & ~jnp.isnan(log_p)
        return draw_index(key, jnp.where(ok, before.log_weights + log_p, -jnp.inf))

    return jax.vmap(one)(jax.random.split(key, j.shape[0]), j)


def backward_simulation(key: Array, segments: Sequence[Segment], trajectories: int,
                        sites: dict) -> dict:
    """``trajectories`` smoothed paths through the stages of ``segments`` (in order),
    as each latent site's whole value, stacked: ``{site: (M, …)}``."""
    key, first = jax.random.split(key)
    j = jax.vmap(draw_index, (0, None))(jax.random.split(first, trajectories),
                                        segments[-1].record.log_weights[-1])
    paths = jax.tree.map(lambda leaf: jnp.broadcast_to(leaf, (trajectories,) + leaf.shape), sites)

    def place(kernel, paths, after, j, k):
        return jax.vmap(lambda p, jm: kernel.place(p, _at(after.drawn, jm), k))(paths, j)

    def move(kernel, carry, before, after, k):
        key, j, paths = carry
        key, sub = jax.random.split(key)
        paths = place(kernel, paths, after, j, k)
        return key, choose(sub, kernel, before, after, j, k), paths

    carry = (key, j, paths)
    for g in reversed(range(len(segments))):
        kernel, record, first_k = segments[g]
        length = record.log_weights.shape[0]
        if length > 1:
            pairs = (_at(record, slice(0, -1)), _at(record, slice(1, None)),
                     first_k + jnp.arange(1, length))
            carry, _ = jax.lax.scan(lambda c, x: (move(kernel, c, *x), None), carry, pairs,
                                    reverse=True)
        head = _at(record, 0)
        if g:
            carry = move(kernel, carry, _at(segments[g - 1].record, -1), head, first_k)
        else:
            _, j, paths = carry
            paths = place(kernel, paths, head, j, first_k)
    return paths
