"""NUTS stops where Stan's recursive algorithm stops.

The reference below is Stan's ``build_tree`` and transition loop written out
plainly (base_nuts.hpp, Stan >= 2.26, as the reference manual describes it):
the U-turn criterion on the momentum sum of a subtree with both ends, and the
checks across merged subtrees (each half extended by the other's nearest
leaf), in float64 with a Gaussian target whose gradient is exact. Termination
does not depend on which state is sampled, so for the momentum and directions
the kernel draws from a key, its number of doublings must be the reference's
and its leapfrog steps at most the reference's (a check that fails inside a
subtree ends the kernel's subtree at once; Stan builds it whole, then rejects it). Negative control: the criterion without the checks
across subtrees (or with the ends' momenta counted half, as before) stops
elsewhere on some of the same keys."""
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from catlearn.inference import nuts as nuts_module
from catlearn.inference.metrics import gaussian_euclidean

PRECISION = np.array([[1.0, 0.95], [0.95, 1.0]]) * 2.0
INVERSE_MASS = np.array([1.0, 0.4])
STEP = 0.35
KEYS = 30


def logdensity(x):
    return -0.5 * x @ jnp.asarray(PRECISION) @ x


def reference_steps(x, p, forward_at, cross_checks=True, half_ends=False, max_depth=10,
                    count_rejected=False):
    """(leapfrog steps, doublings) of Stan's transition from (x, p), doubling forwards
    when ``forward_at(depth)``; the doublings count only the subtrees merged, as
    Stan's ``treedepth__`` (``depth_`` grows after the subtree is found valid), or
    every doubling tried with ``count_rejected``."""
    steps = [0]

    def leapfrog(z, eps):
        x, p = z
        p = p - 0.5 * eps * PRECISION @ x
        x = x + eps * INVERSE_MASS * p
        return x, p - 0.5 * eps * PRECISION @ x

    def turning(p_minus, p_plus, rho):
        if half_ends:
            rho = rho - 0.5 * (p_minus + p_plus)
        return (INVERSE_MASS * p_minus) @ rho <= 0 or (INVERSE_MASS * p_plus) @ rho <= 0

    def build(z, depth, eps):
        """(z at the end, valid, rho, p at the first leaf, p at the last leaf)."""
        if depth == 0:
            z = leapfrog(z, eps)
            steps[0] += 1
            return z, True, z[1], z[1], z[1]
        z, valid, rho_init, p_beg, p_init_end = build(z, depth - 1, eps)
        if not valid:
            return z, False, None, None, None
        z, valid, rho_final, p_final_beg, p_end = build(z, depth - 1, eps)
        if not valid:
            return z, False, None, None, None
        rho = rho_init + rho_final
        turn = turning(p_beg, p_end, rho)
        if cross_checks:
            turn = (turn or turning(p_beg, p_final_beg, rho_init + p_final_beg)
                    or turning(p_init_end, p_end, rho_final + p_init_end))
        return z, not turn, rho, p_beg, p_end

    backward_end = forward_end = (x, p)
    rho, depth = p, 0
    while depth < max_depth:
        forward = forward_at(depth)
        edge = forward_end if forward else backward_end
        far = backward_end if forward else forward_end
        z, valid, rho_new, p_first, p_last = build(edge, depth, STEP if forward else -STEP)
        if not valid:
            depth += count_rejected
            break
        depth += 1
        if forward:
            forward_end = z
        else:
            backward_end = z
        turn = turning(backward_end[1], forward_end[1], rho + rho_new)
        if cross_checks:
            turn = (turn or turning(far[1], p_first, rho + p_first)
                    or turning(edge[1], p_last, rho_new + edge[1]))
        rho = rho + rho_new
        if turn:
            break
    return steps[0], depth


def kernel_and_draws(key, x):
    """The kernel's steps and depth from ``x`` for ``key``, with the momentum and the
    directions it draws (the same splits and hashes as ``nuts.step``)."""
    kernel = nuts_module.nuts(logdensity, STEP, jnp.asarray(INVERSE_MASS))
    _, info = jax.jit(kernel.step)(key, kernel.init(x))
    key_momentum, key_doublings, _ = jax.random.split(key, 3)
    p = gaussian_euclidean(jnp.asarray(INVERSE_MASS)).sample_momentum(key_momentum, x)
    directions = [bool(nuts_module._uniforms_at(key_doublings, jnp.int32(d))[0] < 0.5)
                  for d in range(10)]
    return int(info.num_steps), int(info.tree_depth), np.asarray(p), directions.__getitem__


@pytest.fixture(scope="module")
def runs():
    with jax.enable_x64(True):
        out = []
        for i in range(KEYS):
            key = jax.random.key(i)
            x = jax.random.normal(jax.random.fold_in(key, 7), (2,), jnp.float64)
            steps, depth, p, forward_at = kernel_and_draws(key, x)
            out.append((steps, depth, np.asarray(x), p, forward_at))
        return out


def test_nuts_stops_where_stans_recursion_stops(runs):
    for steps, depth, x, p, forward_at in runs:
        reference, reference_depth = reference_steps(x, p, forward_at)
        assert depth == reference_depth and steps <= reference


@pytest.mark.parametrize("variant", [dict(cross_checks=False),
                                     dict(cross_checks=False, half_ends=True),
                                     dict(count_rejected=True)])
def test_without_stans_checks_the_reference_stops_elsewhere(runs, variant):
    differ = sum(depth != reference_steps(x, p, forward_at, **variant)[1]
                 for steps, depth, x, p, forward_at in runs)
    assert differ > 0
