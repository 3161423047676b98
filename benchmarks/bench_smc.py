"""SMC benchmarks: catlearn's composites against hand-written JAX and BlackJAX.

    .venv/bin/python benchmarks/bench_smc.py            # all parts
    .venv/bin/python benchmarks/bench_smc.py a c        # some parts

(a) bootstrap filter on lgss (T = 100, 10^4 particles, systematic resampling at
    every step) vs a hand-written JAX bootstrap filter: wall-time ratio.
(b) adaptive tempered SMC on Bayesian logistic regression (N = 1000, D = 10,
    1000 particles, random-walk Metropolis with step 0.1, 10 moves per stage,
    target ESS 0.5, systematic resampling) vs BlackJAX's adaptive tempered SMC
    with the same kernel and moves: wall time and log evidence.
(c) time of the bootstrap filter vs particles (10^3 … 10^6, T = 100) and vs
    T (10 … 10^4, 10^4 particles).

Times are the best of several runs of the compiled program (compilation excluded).
"""
from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
from jax.scipy.special import logsumexp

from catlearn.inference.kalman import ar1_log_likelihood
from catlearn.inference.move import fixed_rmh
from catlearn.inference.sequential import StateSpace, StaticTarget
from catlearn.inference.smc import bootstrap_filter, tempered_smc

Y = jnp.asarray(json.loads((Path(__file__).parents[1] / "examples" / "lgss.json").read_text())["y"])
RHO = 0.9


def best_times(fns, *args, repeats: int = 5) -> list[float]:
    """The best wall time of each compiled ``fn(*args)``, the runs interleaved so
    that a busy machine slows them all alike."""
    for fn in fns:
        jax.block_until_ready(fn(*args))        # compile
    times = [[] for _ in fns]
    for _ in range(repeats):
        for fn, spent in zip(fns, times):
            start = time.perf_counter()
            jax.block_until_ready(fn(*args))
            spent.append(time.perf_counter() - start)
    return [min(spent) for spent in times]


def best_time(fn, *args, repeats: int = 5) -> float:
    return best_times([fn], *args, repeats=repeats)[0]


def observe(y, x):
    return -0.5 * ((y - x) / 0.5) ** 2 - jnp.log(0.5) - 0.5 * jnp.log(2 * jnp.pi)


def lgss(y):
    """The lgss model, one particle at a time (run under vmap, a key per particle)."""
    def init(key):
        x = jax.random.normal(key)
        return x, observe(y[0], x)

    def step(key, x, t):
        x = RHO * x + jax.random.normal(key)
        return x, observe(y[t], x)
    return StateSpace(init, step, y.shape[0])


def lgss_vectorised(y):
    """The same model written on whole populations, one key for all particles."""
    def init(key, n):
        x = jax.random.normal(key, (n,))
        return x, observe(y[0], x)

    def step(key, x, t):
        x = RHO * x + jax.random.normal(key, x.shape)
        return x, observe(y[t], x)
    return StateSpace(init, step, y.shape[0], vectorised=True)


def language_lgss(y):
    """``examples/lgss.cat`` cut at its loop (``Target.sequential``): the filter
    ``infer … with smc`` runs, its smoothing apart."""
    from catlearn.inference.target import Target
    from catlearn.lang import load
    model = load(str(Path(__file__).parents[1] / "examples" / "lgss.cat"))["lgss"]
    return Target(model, {"T": y.shape[0], "rho": RHO}, {"y": y}).sequential()


def by_hand(key, y, n):
    """A bootstrap filter written directly in JAX: systematic resampling every step."""
    key_init, key_scan = jax.random.split(key)
    x = jax.random.normal(key_init, (n,))
    log_w = observe(y[0], x)

    def step(carry, inputs):
        x, log_w, log_z = carry
        key, y_t = inputs
        key_u, key_x = jax.random.split(key)
        total = logsumexp(log_w)
        cdf = jnp.cumsum(jnp.exp(log_w - total))
        u = (jax.random.uniform(key_u) + jnp.arange(n)) / n
        x = x[jnp.minimum(jnp.searchsorted(cdf, u * cdf[-1], side="right"), n - 1)]
        x = RHO * x + jax.random.normal(key_x, (n,))
        return (x, observe(y_t, x), log_z + total - jnp.log(n)), None

    (x, log_w, log_z), _ = jax.lax.scan(step, (x, log_w, jnp.zeros(())),
                                        (jax.random.split(key_scan, y.shape[0] - 1), y[1:]))
    return log_z + logsumexp(log_w) - jnp.log(n)


def part_a():
    n = 10 ** 4
    hand = jax.jit(lambda k: by_hand(k, Y, n))
    language = language_lgss(Y)
    runs = {
        "catlearn, vectorised model": lambda k: bootstrap_filter(
            k, lgss_vectorised(Y), n, ess_threshold=1.0).log_evidence,
        "catlearn, per-particle model": lambda k: bootstrap_filter(
            k, lgss(Y), n, ess_threshold=1.0).log_evidence,
        "catlearn, vectorised, ESS<n/2": lambda k: bootstrap_filter(
            k, lgss_vectorised(Y), n).log_evidence,
        "catlearn, the language's lgss": lambda k: bootstrap_filter(
            k, language, n, ess_threshold=1.0).log_evidence}
    key = jax.random.key(0)
    print(f"(a) lgss T=100, n=10^4; Kalman log Z = {float(ar1_log_likelihood(Y, RHO)):.3f}")
    compiled = [hand] + [jax.jit(run) for run in runs.values()]
    t_hand, *t_ours = best_times(compiled, key, repeats=30)
    print(f"    {'hand-written JAX':30s} {t_hand * 1e3:8.2f} ms   log Z {float(hand(key)):.3f}")
    for name, run, t in zip(runs, compiled[1:], t_ours):
        print(f"    {name:30s} {t * 1e3:8.2f} ms   log Z {float(run(key)):.3f}"
              f"   ratio {t / t_hand:.3f}")


def logistic_regression(key, n_data=1000, dim=10):
    k_x, k_w, k_y = jax.random.split(key, 3)
    X = jax.random.normal(k_x, (n_data, dim))
    w = jax.random.normal(k_w, (dim,))
    y = (jax.random.uniform(k_y, (n_data,)) < jax.nn.sigmoid(X @ w)).astype(jnp.float32)

    def log_likelihood(w):
        logits = X @ w
        return jnp.sum(y * jax.nn.log_sigmoid(logits) + (1 - y) * jax.nn.log_sigmoid(-logits))

    def log_prior(w):
        return -0.5 * jnp.sum(w ** 2) - 0.5 * dim * jnp.log(2 * jnp.pi)
    return log_prior, log_likelihood, dim


def part_b(seeds: int = 5):
    import blackjax
    from blackjax.mcmc.random_walk import build_additive_step, normal
    from blackjax.smc import resampling
    log_prior, log_likelihood, dim = logistic_regression(jax.random.key(42))
    n, moves, step, target_ess = 1000, 10, 0.1, 0.5

    target = StaticTarget(lambda k: jax.random.normal(k, (dim,)), log_prior, log_likelihood)
    ours = jax.jit(lambda k: tempered_smc(k, target, n, target_ess=target_ess,
                                          kernel=fixed_rmh(step), moves=moves).log_evidence)

    rw = build_additive_step()
    smc = blackjax.adaptive_tempered_smc(
        log_prior, log_likelihood,
        lambda key, state, logdensity: rw(key, state, logdensity, normal(step * jnp.ones(dim))),
        blackjax.additive_step_random_walk.init, {}, resampling.systematic, target_ess,
        num_mcmc_steps=moves)

    @jax.jit
    def theirs(key):
        key_init, key_run = jax.random.split(key)
        state = smc.init(jax.random.normal(key_init, (n, dim)))

        def body(carry):
            key, state, log_z = carry
            key, key_step = jax.random.split(key)
            state, info = smc.step(key_step, state)
            return key, state, log_z + info.log_likelihood_increment
        _, _, log_z = jax.lax.while_loop(lambda c: c[1].tempering_param < 1, body,
                                         (key_run, state, jnp.zeros(())))
        return log_z

    keys = jax.random.split(jax.random.key(0), seeds)
    t_theirs, t_ours = best_times([theirs, ours], keys[0], repeats=3)
    z_theirs = np.array([float(theirs(k)) for k in keys])
    z_ours = np.array([float(ours(k)) for k in keys])
    print(f"(b) logistic regression N=1000, D=10, n=1000, RWM step {step}, {moves} moves")
    print(f"    BlackJAX  {t_theirs:7.3f} s   log Z {z_theirs.mean():.3f} ± {z_theirs.std():.3f}"
          f" ({seeds} seeds)")
    print(f"    catlearn  {t_ours:7.3f} s   log Z {z_ours.mean():.3f} ± {z_ours.std():.3f}"
          f"   ratio {t_ours / t_theirs:.3f}")


def part_c():
    key = jax.random.key(0)
    print("(c) bootstrap filter, time vs particles (T = 100)")
    for n in (10 ** 3, 10 ** 4, 10 ** 5, 10 ** 6):
        run = jax.jit(lambda k, n=n: bootstrap_filter(k, lgss_vectorised(Y), n).log_evidence)
        t = best_time(run, key, repeats=3)
        print(f"    n = 10^{int(np.log10(n))}  {t * 1e3:9.1f} ms  {t / n * 1e9:7.1f} ns/particle"
              f"   log Z {float(run(key)):.3f}")
    print("(c) bootstrap filter, time vs T (n = 10^4; the data tiled)")
    for T in (10, 100, 1000, 10 ** 4):
        y = jnp.tile(Y, T // 100 + 1)[:T]
        run = jax.jit(lambda k, y=y: bootstrap_filter(k, lgss_vectorised(y), 10 ** 4).log_evidence)
        t = best_time(run, key, repeats=3)
        print(f"    T = 10^{int(np.log10(T))}  {t * 1e3:9.1f} ms  {t / T * 1e6:7.1f} µs/step")


if __name__ == "__main__":
    parts = sys.argv[1:] or ["a", "b", "c"]
    print(f"jax {jax.__version__} on {jax.devices()[0].platform}, {jax.device_count()} device(s)")
    for part in parts:
        {"a": part_a, "b": part_b, "c": part_c}[part]()
