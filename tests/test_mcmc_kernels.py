"""Each kernel, and each composite of kernels, leaves its target invariant.

Chains start at exact draws of the target, so every later state is a draw of
it too when the kernel is correct. Moments are averaged over time in each of
``CHAINS`` independent chains; the spread of the chain averages gives an
honest standard error, which must be small (the kernel mixes) and cover the
closed-form moment (the kernel is exact). ``test_harness_detects_a_biased_kernel``
shows the check fails for an unadjusted Langevin kernel.
"""
from functools import partial

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from catlearn.inference.hmc import hmc
from catlearn.inference.kernel import Kernel, gibbs, handover, mixture, repeat, state_at
from catlearn.inference.mala import mala
from catlearn.inference.nuts import nuts
from catlearn.inference.rmh import rmh

CHAINS = 64
COV = jnp.array([[1.0, 0.9], [0.9, 1.0]])
PRECISION = jnp.linalg.inv(COV)


def gaussian(x):
    return -0.5 * x @ PRECISION @ x


def gaussian_draws(key, n):
    return jax.random.multivariate_normal(key, jnp.zeros(2), COV, (n,))


def gaussian_features(x):
    return jnp.array([x[0], x[1], x[0] ** 2, x[1] ** 2, x[0] * x[1]])


GAUSSIAN_MOMENTS = np.array([0.0, 0.0, 1.0, 1.0, 0.9])


def banana(x):
    """x₀ ~ N(0, 1), x₁ | x₀ ~ N(x₀², 1): a curved (Rosenbrock-like) target."""
    return -0.5 * x[0] ** 2 - 0.5 * (x[1] - x[0] ** 2) ** 2


def banana_draws(key, n):
    z = jax.random.normal(key, (n, 2))
    return jnp.stack([z[:, 0], z[:, 0] ** 2 + z[:, 1]], axis=1)


def banana_features(x):
    return jnp.array([x[0], x[1], x[0] ** 2, x[0] * x[1]])


# E x₁ = E x₀² = 1, E x₀x₁ = E x₀³ = 0.
BANANA_MOMENTS = np.array([0.0, 1.0, 1.0, 0.0])


def chain_averages(kernel: Kernel, starts, features, steps: int, key=jax.random.key(0)):
    """Time averages of ``features`` along one chain per start, all in one program."""
    def chain(key, start):
        def body(state, k):
            state, _ = kernel.step(k, state)
            return state, features(state.position)
        return jax.lax.scan(body, kernel.init(start), jax.random.split(key, steps))[1].mean(0)
    num_chains = jax.tree.leaves(starts)[0].shape[0]
    return np.asarray(jax.jit(jax.vmap(chain))(jax.random.split(key, num_chains), starts))


def assert_invariant(kernel, starts, features, truth, steps, max_se=0.05):
    averages = chain_averages(kernel, starts, features, steps)
    estimate = averages.mean(0)
    se = averages.std(0, ddof=1) / np.sqrt(len(averages))
    assert np.all(se < max_se), f"chains do not mix: standard errors {se}"
    z = (estimate - truth) / se
    assert np.all(np.abs(z) < 4.5), f"moments {estimate} vs {truth} (z = {z})"


GAUSSIAN_KERNELS = {
    "rmh": (rmh(gaussian, 0.8), 2000),
    "mala": (mala(gaussian, 0.08), 2000),
    "hmc": (hmc(gaussian, 0.25, jnp.ones(2), 8), 500),
    "hmc-dense": (hmc(gaussian, 0.8, COV, 3), 500),
    "nuts": (nuts(gaussian, 0.3, jnp.ones(2)), 500),
    "nuts-dense": (nuts(gaussian, 0.9, COV), 500),
}


@pytest.mark.parametrize("name", [pytest.param(n, marks=pytest.mark.slow if n == "nuts-dense" else [])
                                  for n in GAUSSIAN_KERNELS])
def test_kernel_leaves_correlated_gaussian_invariant(name):
    kernel, steps = GAUSSIAN_KERNELS[name]
    starts = gaussian_draws(jax.random.key(1), CHAINS)
    assert_invariant(kernel, starts, gaussian_features, GAUSSIAN_MOMENTS, steps)


BANANA_KERNELS = {
    "rmh": (rmh(banana, 1.0), 4000),
    "mala": (mala(banana, 0.2), 10000),
    "hmc": (hmc(banana, 0.15, jnp.ones(2), 10), 1000),
    "nuts": (nuts(banana, 0.2, jnp.ones(2)), 1000),
}


@pytest.mark.parametrize("name", [pytest.param(n, marks=[] if n == "hmc" else pytest.mark.slow)
                                  for n in BANANA_KERNELS])
def test_kernel_leaves_banana_invariant(name):
    kernel, steps = BANANA_KERNELS[name]
    starts = banana_draws(jax.random.key(2), CHAINS)
    assert_invariant(kernel, starts, banana_features, BANANA_MOMENTS, steps, max_se=0.08)


def unadjusted_langevin(logdensity_fn, step_size):
    """Langevin steps without the MHG correction: biased (a coordinate of precision a
    gets variance 1 / (a (1 - h a / 2)) instead of 1 / a)."""
    def step(key, state):
        x = state.position + step_size * state.logdensity_grad
        x = x + jnp.sqrt(2 * step_size) * jax.random.normal(key, x.shape)
        return state_at(logdensity_fn, x, grad=True), None
    return Kernel(lambda x: state_at(logdensity_fn, x, grad=True), step)


def test_harness_detects_a_biased_kernel():
    starts = gaussian_draws(jax.random.key(1), CHAINS)
    with pytest.raises(AssertionError, match="moments"):
        assert_invariant(unadjusted_langevin(gaussian, 0.15), starts, gaussian_features,
                         GAUSSIAN_MOMENTS, 2000)


def test_cycle_of_two_kernels_is_invariant():
    kernel = rmh(gaussian, 0.5) >> hmc(gaussian, 0.3, jnp.ones(2), 5)
    assert_invariant(kernel, gaussian_draws(jax.random.key(3), CHAINS),
                     gaussian_features, GAUSSIAN_MOMENTS, 500)


def test_mixture_is_invariant_and_picks_by_probability():
    kernel = mixture([rmh(gaussian, 0.8), mala(gaussian, 0.08)], [0.3, 0.7])
    assert_invariant(kernel, gaussian_draws(jax.random.key(4), CHAINS),
                     gaussian_features, GAUSSIAN_MOMENTS, 2000)
    state = kernel.init(jnp.zeros(2))
    keys = jax.random.split(jax.random.key(5), 4000)
    (index, infos) = jax.jit(jax.vmap(kernel.step, in_axes=(0, None)))(keys, state)[1]
    assert abs(float(jnp.mean(index == 1)) - 0.7) < 0.03
    # the info of the kernel that did not run is zero
    assert not bool(jnp.any(infos[0].is_accepted & (index == 1)))


def test_repeat_is_invariant_and_stacks_infos():
    kernel = repeat(mala(gaussian, 0.08), 4)
    assert_invariant(kernel, gaussian_draws(jax.random.key(6), CHAINS),
                     gaussian_features, GAUSSIAN_MOMENTS, 500)
    _, info = kernel.step(jax.random.key(0), kernel.init(jnp.zeros(2)))
    assert info.is_accepted.shape == (4,)


# A 3-D Gaussian on a dict position {"a": scalar, "b": 2-vector}.
COV3 = jnp.array([[1.0, 0.6, 0.3], [0.6, 2.0, 0.5], [0.3, 0.5, 1.5]])
PRECISION3 = jnp.linalg.inv(COV3)


def joint(position):
    x = jnp.concatenate([position["a"][None], position["b"]])
    return -0.5 * x @ PRECISION3 @ x


def test_gibbs_blocks_of_a_dict_position_are_invariant():
    kernel = gibbs(joint, {"a": lambda ld: rmh(ld, 1.0),
                           "b": lambda ld: hmc(ld, 0.4, jnp.ones(2), 4)})
    x = jax.random.multivariate_normal(jax.random.key(7), jnp.zeros(3), COV3, (CHAINS,))
    starts = {"a": x[:, 0], "b": x[:, 1:]}

    def features(p):
        x = jnp.concatenate([p["a"][None], p["b"]])
        return jnp.concatenate([x, jnp.outer(x, x)[jnp.triu_indices(3)]])

    truth = np.concatenate([np.zeros(3), np.asarray(COV3)[np.triu_indices(3)]])
    assert_invariant(kernel, starts, features, truth, 1000, max_se=0.08)


def test_handover_reuses_a_state_of_the_same_type_and_rebuilds_otherwise():
    hmc_kernel = hmc(gaussian, 0.3, jnp.ones(2), 5)
    state = nuts(gaussian, 0.3, jnp.ones(2)).init(jnp.ones(2))
    assert handover(hmc_kernel, state) is state
    rebuilt = handover(rmh(gaussian, 0.5), state)
    assert rebuilt.logdensity_grad is None and float(rebuilt.logdensity) == float(gaussian(jnp.ones(2)))


@pytest.mark.parametrize("family", [pytest.param(nuts, marks=pytest.mark.slow),
                                    partial(hmc, num_integration_steps=5)])
def test_pytree_positions_match_flat_positions(family):
    """A kernel on a dict position is the kernel on its flattening, bit for bit."""
    flat = family(gaussian, 0.3, jnp.ones(2))
    tree = family(lambda p: gaussian(jnp.concatenate([p["u"], p["v"]])), 0.3, jnp.ones(2))
    key = jax.random.key(8)
    s_flat, _ = flat.step(key, flat.init(jnp.array([0.3, -0.2])))
    s_tree, _ = tree.step(key, tree.init({"u": jnp.array([0.3]), "v": jnp.array([-0.2])}))
    np.testing.assert_array_equal(s_flat.position, jnp.concatenate([s_tree.position["u"],
                                                                    s_tree.position["v"]]))


def test_nuts_flags_divergences_and_respects_max_tree_depth():
    def narrow(x):
        return -0.5 * jnp.sum((x / 0.01) ** 2)

    def step(step_size):
        kernel = nuts(narrow, step_size, jnp.ones(2), max_tree_depth=4)
        return kernel.step(jax.random.key(0), kernel.init(jnp.full(2, 0.01)))[1]

    info = jax.jit(jax.vmap(step))(jnp.array([1.0, 1e-6]))
    # a step 100 times the scale: the energy error explodes at once
    assert bool(info.is_divergent[0]) and int(info.num_steps[0]) == 1
    # ... and that first doubling, rejected, is not counted (Stan's treedepth__ is 0)
    assert int(info.tree_depth[0]) == 0
    # a tiny step never turns: the tree stops at its maximum depth, 2^4 - 1 steps
    assert int(info.tree_depth[1]) == 4 and int(info.num_steps[1]) == 2 ** 4 - 1
    assert not bool(info.is_divergent[1])


def test_nuts_one_gradient_per_leapfrog_step():
    calls = []

    def counted(x):
        jax.debug.callback(lambda: calls.append(1))
        return gaussian(x)

    kernel = nuts(counted, 0.3, jnp.ones(2))
    state = kernel.init(jnp.ones(2))
    calls.clear()
    _, info = jax.jit(kernel.step)(jax.random.key(3), state)
    jax.effects_barrier()
    assert len(calls) == int(info.num_steps)


def test_same_key_same_result():
    kernel = repeat(hmc(banana, 0.2, jnp.ones(2), 3) >> rmh(banana, 1.0), 5)
    run = jax.jit(kernel.step)
    a, _ = run(jax.random.key(9), kernel.init(jnp.ones(2)))
    b, _ = run(jax.random.key(9), kernel.init(jnp.ones(2)))
    c, _ = run(jax.random.key(10), kernel.init(jnp.ones(2)))
    np.testing.assert_array_equal(a.position, b.position)
    assert not np.array_equal(a.position, c.position)
