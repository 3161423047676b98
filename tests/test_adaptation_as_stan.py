"""The warm-up's step-size rules against Stan's, written out in NumPy from its
sources (``base_hmc::init_stepsize``, ``adapt_diag_e_nuts::transition``,
``stepsize_adaptation``, ``windowed_adaptation``, ``services::util``):

- the heuristic doubles ``ε`` while one leapfrog step's acceptance stays above
  0.8 (or halves it while below) and returns the first ``ε`` past the crossing;
- dual averaging shrinks towards ``μ = log(10 ε)`` of the *given* step size (1
  by default), not of the heuristic's;
- at the end of each metric window the heuristic runs again, from the last
  dual-averaging iterate, at the chain's point under the new metric
  ``(n/(n+5)) var + 1e-3 · 5/(n+5)``, and dual averaging restarts towards
  ``log(10 ε)`` of its result;
- the last warm-up iteration fixes ``exp(x̄)``, the averaged iterate.

Stan draws a fresh momentum for each probe of the heuristic; catlearn draws one
(Hoffman & Gelman's Algorithm 4), so the reference here takes that one momentum.
"""
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from catlearn.inference.adaptation import (dual_averaging_update, find_reasonable_step_size,
                                           window_adaptation, window_schedule)
from catlearn.inference.kernel import state_at
from catlearn.inference.metrics import gaussian_euclidean
from catlearn.inference.nuts import nuts

SCALES = np.array([0.05, 1.0, 4.0])


def logdensity(x):
    return -0.5 * jnp.sum((x / SCALES) ** 2)


def stan_init_stepsize(x, p, inverse_mass, eps, stop_one_early=False):
    """Stan's loop with one momentum ``p``: the direction from a probe at ``eps``, then
    double (or halve) until the acceptance crosses 0.8, returning the ε probed then
    (``stop_one_early``: the ε before it when going up, the old catlearn rule)."""
    def log_acceptance(eps):
        def energy(x, p):
            return 0.5 * np.sum((x / SCALES) ** 2) + 0.5 * np.sum(inverse_mass * p ** 2)
        q = p + 0.5 * eps * (-x / SCALES ** 2)
        y = x + eps * inverse_mass * q
        q = q + 0.5 * eps * (-y / SCALES ** 2)
        delta = energy(x, p) - energy(y, q)
        return -np.inf if np.isnan(delta) else delta

    direction = 1 if log_acceptance(eps) > np.log(0.8) else -1
    while True:
        above = log_acceptance(eps) > np.log(0.8)
        if (direction == 1 and not above) or (direction == -1 and above):
            return eps / 2 if stop_one_early and direction == 1 else eps
        eps = 2 * eps if direction == 1 else eps / 2


def heuristic_cases(n=24):
    """(x, p, inverse mass, ε₀) and the heuristic's ε for ``n`` keys, from steps far
    above and far below the crossing, double precision, in one compiled call."""
    with jax.enable_x64(True):
        keys = jax.random.split(jax.random.key(0), n)
        x = jax.vmap(lambda k: jax.random.normal(k, (3,), jnp.float64))(keys) * SCALES
        inverse_mass = jnp.exp(jax.random.normal(jax.random.key(1), (n, 3), jnp.float64))
        eps0 = jnp.asarray([[1e-4, 1.0, 30.0][i % 3] for i in range(n)], jnp.float64)

        def one(key, x, inverse_mass, eps0):
            noise = jax.random.normal(key, x.shape, x.dtype)
            found = find_reasonable_step_size(noise, logdensity,
                                              state_at(logdensity, x, grad=True),
                                              inverse_mass, eps0)
            return found, gaussian_euclidean(inverse_mass).momentum(noise)
        found, p = jax.jit(jax.vmap(one))(keys, x, inverse_mass, eps0)
        return [tuple(np.asarray(a[i]) for a in (x, p, inverse_mass)) + (float(eps0[i]),
                                                                          float(found[i]))
                for i in range(n)]


@pytest.fixture(scope="module")
def cases():
    return heuristic_cases()


def test_the_heuristic_returns_stans_step_size(cases):
    for x, p, inverse_mass, eps0, found in cases:
        assert found == stan_init_stepsize(x, p, inverse_mass, eps0)


def test_stopping_one_doubling_early_is_not_stans(cases):
    """Negative control: the rule catlearn had (going up, the last ε still accepted)
    gives half of Stan's step size wherever the heuristic went up."""
    early = [found != stan_init_stepsize(x, p, m, eps0, stop_one_early=True)
             for x, p, m, eps0, found in cases]
    assert sum(early) >= 4


def run_warmup(num_warmup, key=jax.random.key(3)):
    """Every iteration's key, adaptation state (``states[t]``: the state iteration
    ``t``'s kernel steps from, made ready; ``states[-1]``: after the last) and
    acceptance statistic, for one chain of NUTS on the Gaussian."""
    adaptation = window_adaptation(nuts, logdensity, num_warmup, 0.8, False, None)
    keys = [jax.random.fold_in(key, t + 1) for t in range(num_warmup)]

    @jax.jit
    def run(keys):
        def iteration(state, t_key):
            state, info = adaptation.step(t_key[1], state, t_key[0])
            return state, (state, info.acceptance_rate)
        first = adaptation.init(jax.random.fold_in(key, 0), jnp.zeros(3))
        return first, jax.lax.scan(iteration, first, (jnp.arange(num_warmup), keys))[1]
    first, (stacked, acceptance) = run(jnp.stack(keys))
    after = [first] + [jax.tree.map(lambda a: a[t], stacked) for t in range(num_warmup)]
    ready = jax.jit(adaptation.ready)
    states = [ready(state, t) for t, state in enumerate(after[:-1])] + after[-1:]
    return keys, states, acceptance


WARMUP = 250   # windows end at iterations 99 and 199 (75 fast, 25 and 100 slow, 50 fast)


@pytest.fixture(scope="module")
def warmup():
    return run_warmup(WARMUP)


def test_dual_averaging_first_shrinks_towards_ten_times_the_given_step_size(warmup):
    _, states, _ = warmup
    assert float(states[0].dual_averaging.shrink_towards) == pytest.approx(np.log(10.0))
    assert float(states[0].step_size) != 1.0            # the heuristic moved the start
    given = window_adaptation(nuts, logdensity, WARMUP, 0.8, False, 0.3).init(
        jax.random.key(0), jnp.zeros(3))
    assert float(given.dual_averaging.shrink_towards) == pytest.approx(np.log(3.0))
    assert float(given.step_size) == pytest.approx(0.3)


def test_after_each_window_the_heuristic_restarts_the_step_size(warmup):
    """At each window's end the new metric is the regularised variance of the
    window's draws, the step size Stan's heuristic from the last iterate under it
    (its momentum from the noise ``init`` drew for that run), and dual
    averaging restarts towards ten times that step size."""
    keys, states, acceptance = warmup
    slow, ends = window_schedule(WARMUP)
    assert list(np.flatnonzero(ends)) == [99, 199]
    start = int(np.flatnonzero(slow)[0])
    for end in np.flatnonzero(ends):
        before, after = states[end], states[end + 1]
        window = np.stack([np.asarray(s.kernel_state.position)
                           for s in states[start + 1:end + 2]])
        n = len(window)
        mass = n / (n + 5) * window.var(0, ddof=1) + 1e-3 * 5 / (n + 5)
        np.testing.assert_allclose(after.inverse_mass_matrix, mass, rtol=1e-4)
        last_iterate = float(jnp.exp(dual_averaging_update(
            before.dual_averaging, acceptance[end], 0.8).log_step_size))
        x = np.asarray(after.kernel_state.position, np.float64)
        run = 1 + list(np.flatnonzero(ends)).index(end)     # the first run was before t = 0
        p = gaussian_euclidean(after.inverse_mass_matrix).momentum(after.heuristic_noise[run])
        expected = stan_init_stepsize(x, np.asarray(p, np.float64), np.asarray(mass),
                                      last_iterate)
        assert float(after.step_size) == pytest.approx(expected, rel=1e-4)
        assert float(after.dual_averaging.count) == 0
        assert float(after.dual_averaging.shrink_towards) == pytest.approx(
            np.log(10 * expected), rel=1e-4)
        start = end + 1


def test_the_last_warmup_iteration_fixes_the_averaged_step_size(warmup):
    _, states, _ = warmup
    last = states[-1]
    assert float(last.step_size) == pytest.approx(
        float(np.exp(last.dual_averaging.log_step_size_average)), rel=1e-6)
    assert float(states[-2].step_size) == pytest.approx(
        float(np.exp(states[-2].dual_averaging.log_step_size)), rel=1e-6)
