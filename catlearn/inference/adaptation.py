"""Stan's window adaptation, as a composite of small pieces.

- ``dual_averaging``: the step size ``ε`` that makes the mean acceptance statistic
  reach a target (Nesterov 2009, as tuned by Hoffman & Gelman 2014).
- ``welford``: running mean and (co)variance of the draws, regularised as in
  Stan, which becomes the inverse mass matrix.
- ``window_schedule``: which warm-up iterations feed the variance estimate
  (slow windows of doubling length between a fast initial and final buffer).
- ``find_reasonable_step_size``: the doubling/halving heuristic for a step size.
- ``window_adaptation``: those pieces around any kernel family
  ``kernel_factory(logdensity_fn, step_size, inverse_mass_matrix)``.

>>> import numpy as np
>>> slow, window_end = window_schedule(1000)
>>> [int(i) for i in np.flatnonzero(window_end)]
[99, 149, 249, 449, 949]
"""
from __future__ import annotations

from functools import partial
from typing import Any, Callable, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from jax.flatten_util import ravel_pytree

from catlearn.inference.integrators import IntegratorState, hamiltonian, leapfrog, point
from catlearn.inference.kernel import Kernel, LogDensity, State, flat_logdensity
from catlearn.inference.metrics import gaussian_euclidean

KernelFactory = Callable[[LogDensity, jax.Array, jax.Array], Kernel]


# --- dual averaging -----------------------------------------------------------

class DualAveragingState(NamedTuple):
    log_step_size: jax.Array
    log_step_size_average: jax.Array
    error_average: jax.Array     # h̄: running mean of (target - acceptance)
    count: jax.Array
    shrink_towards: jax.Array    # μ = log(10 ε₀)


def dual_averaging_init(step_size) -> DualAveragingState:
    log_step = jnp.log(step_size)
    zero = jnp.zeros_like(log_step)
    return DualAveragingState(log_step, zero, zero, zero, jnp.log(10.0) + log_step)


def dual_averaging_update(state: DualAveragingState, acceptance, target: float,
                          gamma: float = 0.05, t0: float = 10.0, kappa: float = 0.75
                          ) -> DualAveragingState:
    """One step of dual averaging: ``log ε = μ - √t h̄ / γ`` and its ``t^-κ`` average."""
    count = state.count + 1
    eta = 1.0 / (count + t0)
    error_average = (1 - eta) * state.error_average + eta * (target - acceptance)
    log_step = state.shrink_towards - jnp.sqrt(count) / gamma * error_average
    weight = count ** -kappa
    log_average = weight * log_step + (1 - weight) * state.log_step_size_average
    return DualAveragingState(log_step, log_average, error_average, count,
                              state.shrink_towards)


# --- Welford (co)variance -----------------------------------------------------

class WelfordState(NamedTuple):
    count: jax.Array
    mean: jax.Array
    m2: jax.Array                # sum of squared deviations: vector (diagonal) or matrix (dense)


def welford_init(dim: int, dense: bool, dtype=jnp.float32) -> WelfordState:
    return WelfordState(jnp.zeros((), dtype), jnp.zeros(dim, dtype),
                        jnp.zeros((dim, dim) if dense else dim, dtype))


def welford_update(state: WelfordState, x: jax.Array) -> WelfordState:
    count = state.count + 1
    delta = x - state.mean
    mean = state.mean + delta / count
    spread = jnp.outer(x - mean, delta) if state.m2.ndim == 2 else (x - mean) * delta
    return WelfordState(count, mean, state.m2 + spread)


def welford_covariance(state: WelfordState) -> jax.Array:
    """The sample (co)variance shrunk towards ``1e-3`` as Stan does: ``(n Σ + 5e-3 I) / (n + 5)``."""
    n = state.count
    covariance = state.m2 / jnp.maximum(n - 1, 1)
    shrink = 1e-3 * (jnp.eye(covariance.shape[0]) if covariance.ndim == 2 else 1.0)
    return (n / (n + 5.0)) * covariance + (5.0 / (n + 5.0)) * shrink


# --- schedule -----------------------------------------------------------------

def window_schedule(num_warmup: int, initial_buffer: int = 75, final_buffer: int = 50,
                    first_window: int = 25) -> tuple[np.ndarray, np.ndarray]:
    """Stan's schedule: ``(slow, window_end)`` flags per warm-up iteration.

    Slow windows double in length; the last is stretched to reach the final
    buffer. Short warm-ups use 15% / 75% / 10% as Stan does.
    """
    slow = np.zeros(num_warmup, bool)
    window_end = np.zeros(num_warmup, bool)
    if num_warmup < 20:
        return slow, window_end
    if initial_buffer + first_window + final_buffer > num_warmup:
        initial_buffer = int(0.15 * num_warmup)
        final_buffer = int(0.1 * num_warmup)
        first_window = num_warmup - initial_buffer - final_buffer
    end_of_slow = num_warmup - final_buffer
    start, size = initial_buffer, first_window
    while start < end_of_slow:
        stop = start + size
        if stop + 2 * size >= end_of_slow:
            stop = end_of_slow
        slow[start:stop] = True
        window_end[stop - 1] = True
        start, size = stop, 2 * size
    return slow, window_end


def _indicator(flags: np.ndarray) -> Callable[[jax.Array], jax.Array]:
    """``t ↦ flags[t]`` (false past the end) as comparisons of ``t`` with the ends
    of the runs of ``flags``: a few literals in the compiled program rather than
    an array constant the size of the warm-up."""
    edges = np.flatnonzero(np.diff(np.concatenate([[0], flags.astype(np.int8), [0]])))
    runs = list(zip(edges[::2].tolist(), edges[1::2].tolist()))

    def at(t):
        hit = jnp.asarray(False)
        for start, stop in runs:
            hit = hit | ((t >= start) & (t < stop))
        return hit

    return at


# --- initial step size --------------------------------------------------------

def find_reasonable_step_size(noise: jax.Array, logdensity_fn: LogDensity, state: State,
                              inverse_mass_matrix: jax.Array, step_size,
                              max_iterations: int = 100) -> jax.Array:
    """The heuristic of Hoffman & Gelman (2014, Algorithm 4), as Stan runs it:
    from ``ε``, double it while one leapfrog step's acceptance ``exp(H₀ - H₁)``
    stays above 0.8, or halve it while it stays below, and return the first ``ε``
    past the crossing (going up, the first whose acceptance fell to 0.8 or
    below; going down, the first above it). From the chain's ``state`` (whose
    gradient is reused when it has one) and one momentum made from ``noise``,
    a standard normal draw the size of the position (Algorithm 4's single
    draw; Stan draws one per probe, but a draw inside the loop would be one
    more threefry for XLA to compile)."""
    x, _, logdensity = flat_logdensity(logdensity_fn, state.position)
    metric = gaussian_euclidean(inverse_mass_matrix)
    integrate = leapfrog(logdensity, metric)
    if state.logdensity_grad is None:
        gradient_point = point(logdensity, x, jnp.zeros_like(x))
    else:
        gradient_point = IntegratorState(x, jnp.zeros_like(x), state.logdensity,
                                         ravel_pytree(state.logdensity_grad)[0])
    start = gradient_point._replace(momentum=metric.momentum(noise))

    def log_acceptance(eps):
        delta = hamiltonian(metric, start) - hamiltonian(metric, integrate(start, eps))
        return jnp.where(jnp.isnan(delta), -jnp.inf, delta)

    # The first probe, at ε itself, sets the direction; it shares the loop's leapfrog
    # so that the compiled program holds one copy of the gradient here, not two.
    def keep_going(carry):
        i, eps, direction, crossed = carry
        return ~crossed & (i <= max_iterations)

    def scale(carry):
        i, eps, direction, _ = carry
        first = i == 0
        new = jnp.where(first, eps, eps * 2.0 ** direction)
        above = log_acceptance(new) > jnp.log(0.8)
        direction = jnp.where(first, jnp.where(above, 1.0, -1.0), direction)
        crossed = ~first & jnp.where(direction > 0, ~above, above)
        return i + 1, new, direction, crossed

    eps = jnp.asarray(step_size, x.dtype)
    _, eps, _, _ = jax.lax.while_loop(
        keep_going, scale, (0, eps, jnp.ones_like(eps), jnp.zeros((), bool)))
    return eps


# --- window adaptation --------------------------------------------------------

class AdaptationState(NamedTuple):
    kernel_state: Any
    step_size: jax.Array
    inverse_mass_matrix: jax.Array
    dual_averaging: DualAveragingState
    welford: WelfordState
    heuristic_noise: jax.Array    # (runs, dim): each run of the heuristic's momentum noise


class WindowAdaptation(NamedTuple):
    init: Callable[[jax.Array, Any], AdaptationState]                      # key, position
    step: Callable[[jax.Array, AdaptationState, jax.Array], tuple[AdaptationState, Any]]
    final: Callable[[AdaptationState], tuple[jax.Array, jax.Array]]
    ready: Callable[[AdaptationState, jax.Array], AdaptationState]        # state, t


def window_adaptation(kernel_factory: KernelFactory, logdensity_fn: LogDensity,
                      num_warmup: int, target_accept: float = 0.8, dense_mass: bool = False,
                      initial_step_size: float | None = None) -> WindowAdaptation:
    """Warm-up of ``kernel_factory``, then sampling, one iteration at a time.

    ``step(key, state, t)`` runs iteration ``t``: the kernel at the current step
    size and inverse mass matrix and, while ``t < num_warmup``, the adaptation,
    as Stan's ``adapt_diag_e_nuts`` runs it: dual averaging of the step size
    throughout, shrinking towards ``μ = log(10 ε)`` with ``ε`` the given step
    size (1 when ``None``, whose heuristic ε then starts the chain); the inverse
    mass matrix from the draws of each slow window, after which the heuristic
    runs again from the current ``ε`` under the new metric and dual averaging
    restarts towards ``log(10 ε)`` of its result. The last warm-up iteration
    fixes the averaged step size, which sampling (``t >= num_warmup``) then uses.

    Warm-up and sampling are the same ``step``, so a run is one loop holding
    one copy of the kernel and one of the heuristic: it compiles once. The
    heuristic's runs, before the first iteration and after each window, are
    both ``ready(state, t)`` at the start of an iteration: the state the kernel
    of iteration ``t`` steps from. Their momenta's noise is drawn by ``init``,
    outside the loop: a draw inside it costs XLA more to compile than all the
    rest of the heuristic. ``t`` is the same for every chain, so the
    bookkeeping is branches, not selects.
    """
    slow, window_end = window_schedule(num_warmup)
    in_slow, at_window_end = _indicator(slow), _indicator(window_end)
    first_run = initial_step_size is None
    ends = np.flatnonzero(window_end).tolist()
    runs = int(first_run) + len(ends)

    def init(key, position) -> AdaptationState:
        x, _ = ravel_pytree(position)
        mass = jnp.eye(x.shape[0], dtype=x.dtype) if dense_mass else jnp.ones_like(x)
        step_size = jnp.asarray(1.0 if first_run else initial_step_size, x.dtype)
        kernel_state = kernel_factory(logdensity_fn, step_size, mass).init(position)
        return AdaptationState(kernel_state, step_size, mass,
                               dual_averaging_init(step_size),   # μ from ε before the heuristic
                               welford_init(x.shape[0], dense_mass, x.dtype),
                               jax.random.normal(key, (runs,) + x.shape, x.dtype))

    def heuristic(state: AdaptationState, t) -> AdaptationState:
        run = sum((t > end).astype(int) for end in ends) - 1 + int(first_run)
        step_size = find_reasonable_step_size(state.heuristic_noise[run], logdensity_fn,
                                              state.kernel_state, state.inverse_mass_matrix,
                                              state.step_size)
        # After a window dual averaging restarts towards log(10 ε) of the result, as Stan.
        averaging = jax.tree.map(partial(jnp.where, t > 0),
                                 dual_averaging_init(step_size), state.dual_averaging)
        return state._replace(step_size=step_size, dual_averaging=averaging)

    def ready(state: AdaptationState, t) -> AdaptationState:
        if runs == 0:
            return state
        rerun = at_window_end(t - 1) | ((t == 0) & first_run)
        return jax.lax.cond(rerun, heuristic, lambda s, t: s, state, t)

    def adapt(state: AdaptationState, acceptance, t) -> AdaptationState:
        averaging = dual_averaging_update(state.dual_averaging, acceptance, target_accept)
        x, _ = ravel_pytree(state.kernel_state.position)
        welford = jax.tree.map(lambda new, old: jnp.where(in_slow(t), new, old),
                               welford_update(state.welford, x), state.welford)
        last = t == num_warmup - 1
        state = state._replace(
            step_size=jnp.exp(jnp.where(last, averaging.log_step_size_average,
                                        averaging.log_step_size)),
            dual_averaging=averaging, welford=welford)

        def end_window(state):
            # The heuristic runs from the last iterate (not the average) at the chain's
            # point, as Stan's init_stepsize, when the next iteration is made ready.
            return state._replace(inverse_mass_matrix=welford_covariance(state.welford),
                                  welford=welford_init(x.shape[0], dense_mass, x.dtype))

        return jax.lax.cond(at_window_end(t), end_window, lambda s: s, state)

    def step(key, state: AdaptationState, t) -> tuple[AdaptationState, Any]:
        state = ready(state, t)
        kernel = kernel_factory(logdensity_fn, state.step_size, state.inverse_mass_matrix)
        kernel_state, info = kernel.step(key, state.kernel_state)
        state = state._replace(kernel_state=kernel_state)
        state = jax.lax.cond(t < num_warmup, adapt, lambda s, a, t: s, state,
                             info.acceptance_rate, t)
        return state, info

    def final(state: AdaptationState) -> tuple[jax.Array, jax.Array]:
        """The ``(step_size, inverse_mass_matrix)`` that sampling uses."""
        return state.step_size, state.inverse_mass_matrix

    return WindowAdaptation(init, step, final, ready)
