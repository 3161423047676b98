"""The No-U-Turn sampler: multinomial trajectory sampling with the generalised U-turn criterion.

From ``(x, p)`` with ``p ~ N(0, M)`` the trajectory doubles, each time in a
random direction, by a new subtree of ``2^depth`` leapfrog steps, until a
U-turn, a divergence (energy error above 1000) or ``max_tree_depth``
doublings. Every state ``z`` of the trajectory has weight ``exp(-H(z))``; the
sample is drawn from them by progressive sampling (uniform within a subtree,
biased towards the newer subtree when merging), as in Betancourt (2017) and
current Stan and NumPyro. A (sub)trajectory from ``z⁻`` to ``z⁺`` with momentum
sum ``ρ`` (its ends included) turns when ``M⁻¹p⁻·ρ ≤ 0`` or ``M⁻¹p⁺·ρ ≤ 0``
(Betancourt 2017, the generalised criterion, as Stan writes it). As in Stan
since 2.26, when two halves merge the criterion is also checked on each half
extended by the other's nearest point (the first half with the second's first
leaf, the second with the first's last leaf): a U-turn that happens across
the seam, in neither half alone, stops the trajectory too.

The recursion of the original algorithm is unrolled into a loop over
doublings around a loop over the new subtree's leaves, one leapfrog step (one
gradient) per inner iteration: the sub-subtrees of size ``2^k`` that open and
close at leaf ``i`` of a subtree are those with ``2^k | i`` and ``2^k | i + 1``,
so the U-turn checks of all levels are kept as checkpoint rows, one per level:
the sub-subtree's first leaf (for its own check and for its first half
extended by the second half's first leaf, checked when that leaf is built)
and its first half's last leaf (for the second half extended by it, checked
when the sub-subtree closes). A check that fails before the subtree is whole
ends it at once: the subtree is then rejected, as Stan rejects it once built.
The inner loop carries only the subtree it builds; merging it into the
trajectory, and the trajectory's own checks, happen once per doubling.

>>> import jax, jax.numpy as jnp
>>> k = nuts(lambda x: -0.5 * jnp.sum(x ** 2), 0.5, jnp.ones(3))
>>> state, info = k.step(jax.random.key(0), k.init(jnp.zeros(3)))
>>> bool(info.num_steps >= 1) and not bool(info.is_divergent)
True
"""
from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp
from jax.flatten_util import ravel_pytree

from catlearn.inference.integrators import IntegratorState, hamiltonian, leapfrog
from catlearn.inference.kernel import Kernel, LogDensity, State, flat_logdensity, state_at
from catlearn.inference.metrics import gaussian_euclidean


class NUTSInfo(NamedTuple):
    acceptance_rate: jax.Array   # mean of min(1, exp(H₀ - H)) over the new states (Stan's accept_stat)
    is_divergent: jax.Array
    num_steps: jax.Array         # leapfrog steps, one gradient each
    tree_depth: jax.Array        # doublings merged into the trajectory (Stan's treedepth__)
    energy: jax.Array            # H at the sample


class _Subtree(NamedTuple):
    """A subtree being built leaf by leaf outwards from one end of the trajectory."""
    edge: IntegratorState            # its newest leaf, where the next leapfrog step starts
    sample: IntegratorState
    log_weight: jax.Array
    momentum_sum: jax.Array
    checkpoint_velocity: jax.Array   # [level, dim]: velocity at the first leaf of the open sub-subtree
    checkpoint_offset: jax.Array     # [level, dim]: momentum sum before that leaf
    middle_velocity: jax.Array       # [level, dim]: velocity at the last leaf of its first half
    middle_offset: jax.Array         # [level, dim]: momentum sum before that leaf
    leaf: jax.Array                  # leaves built so far
    sum_acceptance: jax.Array
    turning: jax.Array
    diverging: jax.Array
    turning_across: jax.Array        # the trajectory so far extended by the first leaf turns


class _Trajectory(NamedTuple):
    backward: IntegratorState        # the two ends
    forward: IntegratorState
    sample: IntegratorState
    log_weight: jax.Array
    momentum_sum: jax.Array
    depth: jax.Array                 # doublings merged (a rejected one ends the loop uncounted)
    num_steps: jax.Array
    sum_acceptance: jax.Array
    turning: jax.Array
    diverging: jax.Array


def _where(condition, a, b):
    """``a`` where ``condition`` holds, else ``b``, leaf by leaf. Selects, not
    indexing: under ``vmap`` the condition differs by chain, and an index would
    become a gather (and an update, a scatter) at every leapfrog step."""
    return jax.tree.map(lambda x, y: jnp.where(condition, x, y), a, b)


def _uniforms_at(key: jax.Array, counter: jax.Array) -> jax.Array:
    """Two uniform draws in (0, 1), the ``counter``-th pair of ``key``'s stream: the
    two words of ``fold_in(key, counter)`` themselves. One small hash where it is
    used (at every leapfrog step, at every doubling) rather than an array of draws
    made in advance: each random array is a threefry kernel that XLA compiles."""
    bits = jax.random.key_data(jax.random.fold_in(key, counter)).reshape(-1)[:2]
    return ((bits >> 8).astype(jnp.float32) + 0.5) * 2.0 ** -24


def _turning(velocity_a, velocity_b, rho):
    """The generalised U-turn criterion, over the last axis: for one (sub)trajectory,
    or for a row per level at once. Sums, not ``dot``: they fuse with what feeds them."""
    return (jnp.sum(velocity_a * rho, axis=-1) <= 0) | (jnp.sum(velocity_b * rho, axis=-1) <= 0)


def nuts(logdensity_fn: LogDensity, step_size: float | jax.Array,
         inverse_mass_matrix: jax.Array, max_tree_depth: int = 10,
         divergence_threshold: float = 1000.0) -> Kernel:
    """The NUTS kernel with a diagonal (vector) or dense (matrix) inverse mass matrix."""
    metric = gaussian_euclidean(inverse_mass_matrix)
    levels = jnp.arange(1, max_tree_depth + 1)
    level_sizes = 2 ** levels

    def init(position):
        return state_at(logdensity_fn, position, grad=True)

    def step(key, state):
        x, unravel, logdensity = flat_logdensity(logdensity_fn, state.position)
        integrate = leapfrog(logdensity, metric)
        key_momentum, key_doublings, key_leaf = jax.random.split(key, 3)
        momentum = metric.sample_momentum(key_momentum, x)
        start = IntegratorState(x, momentum, state.logdensity,
                                ravel_pytree(state.logdensity_grad)[0])
        energy0 = hamiltonian(metric, start)
        zeros = jnp.zeros((max_tree_depth, x.shape[0]), x.dtype)

        def grow(s: _Subtree, signed_step, depth, first_step, far_velocity,
                 trajectory_sum) -> _Subtree:
            point = integrate(s.edge, signed_step)
            velocity = metric.velocity(point.momentum)
            delta = -point.logdensity + 0.5 * jnp.dot(point.momentum, velocity) - energy0
            delta = jnp.where(jnp.isnan(delta), jnp.inf, delta)

            # Uniform progressive sampling within the subtree.
            log_weight = jnp.logaddexp(s.log_weight, -delta)
            u = _uniforms_at(key_leaf, first_step + s.leaf)[0]
            sample = _where(jnp.log(u) < -delta - log_weight, point, s.sample)
            momentum_sum = s.momentum_sum + point.momentum

            # U-turns of the sub-subtrees of size 2^k around this leaf: the whole one when
            # it closes here, its first half extended by this leaf when this leaf opens its
            # second half, its second half extended by the first half's last leaf when it
            # closes. ρ of the leaves from a to here is S - S_(a-1), S the running sum.
            active = (levels <= depth)[:, None]
            position_in = (s.leaf % level_sizes)[:, None]
            half = (level_sizes // 2)[:, None]
            opens, closes = active & (position_in == 0), active & (position_in == half * 2 - 1)
            checkpoint_velocity = jnp.where(opens, velocity, s.checkpoint_velocity)
            checkpoint_offset = jnp.where(opens, s.momentum_sum, s.checkpoint_offset)
            middle = active & (position_in == half - 1)
            middle_velocity = jnp.where(middle, velocity, s.middle_velocity)
            middle_offset = jnp.where(middle, s.momentum_sum, s.middle_offset)
            from_first = _turning(checkpoint_velocity, velocity, momentum_sum - checkpoint_offset)
            from_middle = _turning(middle_velocity, velocity, momentum_sum - middle_offset)
            second_half_opens = (active & (position_in == half))[:, 0]
            closes = closes[:, 0]
            turning = jnp.any(((closes | second_half_opens) & from_first)
                              | (closes & from_middle))
            # The trajectory so far extended by this subtree's first leaf: a check of the
            # merged trajectory, which stops it after the merge, not one that rejects this.
            across = jnp.where(s.leaf == 0, _turning(far_velocity, velocity,
                                                     trajectory_sum + point.momentum),
                               s.turning_across)
            return _Subtree(point, sample, log_weight, momentum_sum,
                            checkpoint_velocity, checkpoint_offset, middle_velocity,
                            middle_offset, s.leaf + 1,
                            s.sum_acceptance + jnp.exp(jnp.minimum(-delta, 0.0)),
                            turning, delta > divergence_threshold, across)

        # The leaves of one doubling are a loop inside the loop over doublings. One loop
        # over all leaves computes the same, but under vmap every carried array costs a
        # select per leaf, and XLA's CPU runtime hands a big loop body between two
        # threads at every step; the inner loop carries only the new subtree.
        def doubling(t: _Trajectory) -> _Trajectory:
            # The doubling's direction and its merge decision, from one hash.
            direction_uniform, merge_uniform = _uniforms_at(key_doublings, t.depth)
            forward = direction_uniform < 0.5
            signed_step = jnp.where(forward, step_size, -step_size)
            edge = _where(forward, t.forward, t.backward)
            far = _where(forward, t.backward, t.forward)
            s = jax.lax.while_loop(
                lambda s: ~s.turning & ~s.diverging & (s.leaf < 2 ** t.depth),
                lambda s: grow(s, signed_step, t.depth, t.num_steps,
                               metric.velocity(far.momentum), t.momentum_sum),
                _Subtree(edge, edge, jnp.full((), -jnp.inf, x.dtype), jnp.zeros_like(x),
                         zeros, zeros, zeros, zeros, jnp.zeros((), jnp.int32),
                         jnp.zeros((), x.dtype), jnp.zeros((), bool), jnp.zeros((), bool),
                         jnp.zeros((), bool)))

            # Merge the subtree unless it failed, biased towards it (progressive sampling).
            merge = ~s.turning & ~s.diverging
            take = merge & (jnp.log(merge_uniform) < s.log_weight - t.log_weight)
            backward = _where(forward, t.backward, s.edge)
            forward = _where(forward, s.edge, t.forward)
            momentum_sum = t.momentum_sum + s.momentum_sum
            # The whole trajectory, the new subtree extended by the old end it grew from,
            # and the old trajectory extended by the new subtree's first leaf.
            trajectory_turning = _turning(
                metric.velocity(backward.momentum), metric.velocity(forward.momentum),
                momentum_sum) | _turning(metric.velocity(edge.momentum),
                                         metric.velocity(s.edge.momentum),
                                         s.momentum_sum + edge.momentum) | s.turning_across
            return _Trajectory(
                backward, forward, _where(take, s.sample, t.sample),
                jnp.logaddexp(t.log_weight, s.log_weight), momentum_sum,
                t.depth + merge.astype(t.depth.dtype),
                t.num_steps + s.leaf, t.sum_acceptance + s.sum_acceptance,
                s.turning | (merge & trajectory_turning), s.diverging)

        t = jax.lax.while_loop(
            lambda t: ~t.turning & ~t.diverging & (t.depth < max_tree_depth), doubling,
            _Trajectory(start, start, start, jnp.zeros((), x.dtype), momentum,
                        jnp.zeros((), jnp.int32), jnp.zeros((), jnp.int32),
                        jnp.zeros((), x.dtype), jnp.zeros((), bool), jnp.zeros((), bool)))

        new_state = State(unravel(t.sample.position), t.sample.logdensity,
                          unravel(t.sample.logdensity_grad))
        info = NUTSInfo(t.sum_acceptance / t.num_steps, t.diverging, t.num_steps, t.depth,
                        hamiltonian(metric, t.sample))
        return new_state, info

    return Kernel(init, step)
