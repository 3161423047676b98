"""NUTS with window adaptation: catlearn against NumPyro and BlackJAX, in one run.

Models: eight schools (non-centred, ``examples/eight_schools.cat``) and a
Bayesian logistic regression (N = 1000, D = 10, synthetic, seed 0), each the
same density in every library (the same unconstrained parametrisation). Each
library runs 4 chains, 1000 warm-up + 1000 draws, vectorised in one process:

- **cold**: the first run, tracing and compilation included (catlearn: ``infer``
  from the model), after JAX itself has compiled once; **warm**: the mean of
  five more runs with keys 1 to 5, compiled program reused; **compile** = cold -
  warm;
- **ESS/s**: the minimum bulk ESS over all scalar parameters (catlearn's
  ``ess_bulk``, which agrees with arviz) per second: cold, and warm as the mean
  minimum ESS of the five runs over their mean time (one run's minimum ESS
  varies by about 10% from key to key);
- **µs/leapfrog**: warm wall time over the mean number of leapfrog steps per
  chain, warm-up included (the 4 chains step together); NumPyro reports the
  steps of its draws only, so its warm-up steps are counted in an extra run of
  ``MCMC.warmup(collect_warmup=True)``, not timed;
- **gradient**: one gradient of the log density (4 chains under ``vmap``) inside
  a compiled loop, through catlearn's model functor and written by hand in JAX;
- **lockstep leapfrog**: the NUTS kernel alone (catlearn's and BlackJAX's, at
  catlearn's adapted step size and metric), 4 chains under ``vmap``: time per
  step of the longest chain at each iteration, the counterpart of one 4-chain
  gradient (the µs/leapfrog column also charges each step with the chains that
  wait in lockstep, and the warm-up's bookkeeping).

Each library's runs form one block (cold, then its warm runs). Warm runs taken in
rounds across the libraries were tried: they made BlackJAX's warm runs 1.5-2x
slower, with CPU time above wall time (XLA's thread pool, left awake by NumPyro's
run just before, picks up work that otherwise stays on one thread).

Wall-clock and CPU seconds are both printed: on a shared machine the load
average (printed too) inflates wall time; ratios come from the same run.

    .venv/bin/pip install numpyro blackjax      # benchmark-only peers
    .venv/bin/python benchmarks/bench_mcmc.py [--models eight_schools logreg]
"""
from __future__ import annotations

import argparse
import math
import os
import time

import jax
import jax.numpy as jnp
import numpy as np

from catlearn.inference.api import infer, nuts
from catlearn.inference.nuts import nuts as catlearn_nuts
from catlearn.inference.diagnostics import ess_bulk
from catlearn.inference.target import Target
from catlearn.lang import load, parse

CHAINS, WARMUP, SAMPLES = 4, 1000, 1000
REPEATS = 5   # warm runs, with keys 1 … REPEATS
HERE = os.path.dirname(os.path.abspath(__file__))
EXAMPLES = os.path.join(HERE, "..", "examples")

LOGREG = """
model logreg(D: Nat, X: Real[N, D], y: Real[N]) {
    for d in range(D) {
        w[d] ~ Normal(0, 1)
    }
    z = matmul(X, w)
    factor(sum(y * z - softplus(z)))
}
"""


# --- the models, in each library ------------------------------------------------

def eight_schools():
    import json
    data = json.load(open(os.path.join(EXAMPLES, "eight_schools.json")))
    y, sigma = (np.asarray(data[k], np.float32) for k in ("y", "sigma"))
    model = load(os.path.join(EXAMPLES, "eight_schools.cat"))["eight_schools"]

    def by_hand(u):   # [mu, log tau, theta_raw[8]], as catlearn lays them out
        mu, log_tau, theta_raw = u[0], u[1], u[2:]
        tau = jnp.exp(log_tau)
        return (-0.5 * (mu / 5.0) ** 2 - jnp.log1p((tau / 5.0) ** 2) + log_tau
                - 0.5 * jnp.sum(theta_raw ** 2)
                - 0.5 * jnp.sum(((y - mu - tau * theta_raw) / sigma) ** 2))

    def numpyro_model():
        import numpyro
        import numpyro.distributions as dist
        mu = numpyro.sample("mu", dist.Normal(0, 5))
        tau = numpyro.sample("tau", dist.HalfCauchy(5))
        with numpyro.plate("J", len(y)):
            theta_raw = numpyro.sample("theta_raw", dist.Normal(0, 1))
            numpyro.sample("y", dist.Normal(mu + tau * theta_raw, sigma), obs=y)

    def constrain(u):
        return {"mu": u[..., 0], "tau": jnp.exp(u[..., 1]), "theta_raw": u[..., 2:]}

    return (model, {"J": len(y), "sigma": sigma}, {"y": y}, by_hand, numpyro_model,
            constrain, 10)


def logreg():
    rng = np.random.default_rng(0)
    n, d = 1000, 10
    x = rng.normal(size=(n, d)).astype(np.float32)
    w = rng.normal(size=d)
    y = (rng.uniform(size=n) < 1 / (1 + np.exp(-x @ w))).astype(np.float32)
    model = parse(LOGREG)["logreg"]

    def by_hand(w):
        z = x @ w
        return -0.5 * jnp.sum(w ** 2) + jnp.sum(y * z - jax.nn.softplus(z))

    def numpyro_model():
        import numpyro
        import numpyro.distributions as dist
        w = numpyro.sample("w", dist.Normal(0, 1).expand([d]).to_event(1))
        numpyro.factor("y", jnp.sum(y * (x @ w) - jax.nn.softplus(x @ w)))

    return (model, {"D": d, "X": x, "y": y}, {}, by_hand, numpyro_model,
            lambda u: {"w": u}, d)


MODELS = {"eight_schools": eight_schools, "logreg": logreg}


# --- measuring ----------------------------------------------------------------------

def timed(fn):
    wall, cpu = time.perf_counter(), time.process_time()
    out = jax.block_until_ready(fn())
    return out, time.perf_counter() - wall, time.process_time() - cpu


def min_ess(samples: dict) -> float:
    """The smallest bulk ESS over every scalar parameter of ``{site: (chain, draw, ...)}``."""
    flat = [np.reshape(np.asarray(v, np.float64), v.shape[:2] + (-1,)) for v in samples.values()]
    return float(np.min(ess_bulk(jnp.asarray(np.concatenate(flat, axis=2)))))


def measure(run, cold=None, constrain=lambda draws: draws) -> dict:
    """Time ``run(key) -> (draws, leapfrog steps per chain, divergences)``: once cold
    (``cold()``, by default key 0), then warm with keys 1 … ``REPEATS``, averaged, as
    the minimum ESS of one run varies by about 10% from key to key. A ``steps`` that
    is a function is called after the timing."""
    (draws, _, _), cold_s, cold_cpu = timed(cold or (lambda: run(jax.random.key(0))))
    warm = [timed(lambda: run(jax.random.key(k))) for k in range(1, REPEATS + 1)]
    outs = [out for out, _, _ in warm]
    return dict(cold=cold_s, cold_cpu=cold_cpu, ess_cold=min_ess(constrain(draws)),
                warm=float(np.mean([w for _, w, _ in warm])),
                warm_cpu=float(np.mean([c for _, _, c in warm])),
                ess_warm=float(np.mean([min_ess(constrain(d)) for d, _, _ in outs])),
                steps=float(np.mean([float(n() if callable(n) else n) for _, n, _ in outs])),
                divergences=int(sum(int(v) for _, _, v in outs)))


def run_catlearn(model, args, data, by_hand, numpyro_model, constrain, dim):
    method = nuts(chains=CHAINS, warmup=WARMUP, samples=SAMPLES, seed=0, progress=False)
    cold_posterior = []

    def outcome(post):
        steps = (post.stats["warmup_num_steps"] + post.stats["n_steps"].sum(1)).mean()
        # The parameters alone, as the peers report them: the posterior also holds the
        # model's assignments (logistic regression's z = X w, 1000 of them), whose
        # smallest ESS would otherwise be catlearn's minimum.
        latent = {site: post.samples[site] for site in post.target.latent_names}
        return latent, steps, post.stats["divergences"]

    def cold():  # from the model, as a user calls it (conditioning and tracing included)
        cold_posterior.append(infer(model, args, data, method))
        return outcome(cold_posterior[0])
    result = measure(lambda key: outcome(method.run(cold_posterior[0].target, key)), cold=cold)
    return {**result, "step_size": cold_posterior[0].stats["step_size"],
            "inverse_mass": cold_posterior[0].stats["inverse_mass_matrix"]}


def run_blackjax(model, args, data, by_hand, numpyro_model, constrain, dim):
    import blackjax

    def program(key, positions):
        def chain(key, position):
            key_warmup, key_sample = jax.random.split(key)
            adaptation = blackjax.window_adaptation(blackjax.nuts, by_hand)
            (state, parameters), info = adaptation.run(key_warmup, position, WARMUP)
            kernel = blackjax.nuts(by_hand, **parameters)

            def step(state, key):
                state, info = kernel.step(key, state)
                return state, (state.position, info.num_integration_steps, info.is_divergent)
            _, (draws, steps, divergent) = jax.lax.scan(
                step, state, jax.random.split(key_sample, SAMPLES))
            return draws, info.info.num_integration_steps.sum() + steps.sum(), divergent.sum()
        draws, steps, divergent = jax.vmap(chain)(jax.random.split(key, CHAINS), positions)
        return draws, steps.mean(), divergent.sum()

    # Stan's initialisation, as catlearn and NumPyro make it: uniform on (-2, 2).
    starts = jax.random.uniform(jax.random.key(0), (CHAINS, dim), minval=-2, maxval=2)
    compiled = jax.jit(program)
    return measure(lambda key: compiled(key, starts), constrain=constrain)


def run_numpyro(model, args, data, by_hand, numpyro_model, constrain, dim):
    from numpyro.infer import MCMC, NUTS
    # jit_model_args: NumPyro's documented way to reuse the compiled run on a second call.
    mcmc = MCMC(NUTS(numpyro_model), num_warmup=WARMUP, num_samples=SAMPLES,
                num_chains=CHAINS, chain_method="vectorized", progress_bar=False,
                jit_model_args=True)
    counter = MCMC(NUTS(numpyro_model), num_warmup=WARMUP, num_samples=SAMPLES,
                   num_chains=CHAINS, chain_method="vectorized", progress_bar=False)

    def run(key):
        mcmc.run(key, extra_fields=("num_steps", "diverging"))
        fields = mcmc.get_extra_fields(group_by_chain=True)
        sampling_steps = np.asarray(fields["num_steps"]).sum(1).mean()

        def steps():  # NumPyro reports its draws' steps only: count the warm-up's apart
            counter.warmup(key, collect_warmup=True, extra_fields=("num_steps",))
            return sampling_steps + np.asarray(
                counter.get_extra_fields(group_by_chain=True)["num_steps"]).sum(1).mean()
        return (mcmc.get_samples(group_by_chain=True), steps,
                int(np.asarray(fields["diverging"]).sum()))
    return measure(run)


def gradient_cost(logdensity, dim: int, iterations: int = 2000) -> float:
    """Microseconds per gradient of ``logdensity`` for 4 chains, inside a compiled loop."""
    grad = jax.vmap(jax.grad(logdensity))

    @jax.jit
    def loop(x):
        return jax.lax.fori_loop(0, iterations, lambda _, x: x + 1e-6 * grad(x), x)
    x = jnp.zeros((CHAINS, dim))
    jax.block_until_ready(loop(x))
    best = min(timed(lambda: loop(x))[1] for _ in range(5))
    return best / iterations * 1e6


def lockstep_leapfrog_cost(kernel, dim: int, iterations: int = 500) -> float:
    """Microseconds per leapfrog step of ``kernel`` (a NUTS kernel, fixed step size
    and metric) for 4 chains stepping together under ``vmap``: time over the steps
    of the longest chain at each iteration, which is what chains in lockstep run
    (the others idle): the counterpart of one 4-chain gradient. Timed from where a
    first, untimed run from the origin ended."""
    def run(key, positions):
        def chain(key, position):
            def step(state, key):
                state, info = kernel.step(key, state)
                return state, getattr(info, "num_steps", getattr(
                    info, "num_integration_steps", None))
            state, steps = jax.lax.scan(step, kernel.init(position),
                                        jax.random.split(key, iterations))
            return state.position, steps
        return jax.vmap(chain)(jax.random.split(key, CHAINS), positions)
    compiled = jax.jit(run)
    positions, _ = jax.block_until_ready(compiled(jax.random.key(0), jnp.zeros((CHAINS, dim))))
    best = math.inf
    for k in range(1, 4):
        (_, steps), seconds, _ = timed(lambda: compiled(jax.random.key(k), positions))
        best = min(best, seconds / float(np.max(np.asarray(steps), axis=0).sum()))
    return best * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="+", default=list(MODELS), choices=list(MODELS))
    parser.add_argument("--peers", nargs="+", default=["numpyro", "blackjax"],
                        choices=["numpyro", "blackjax"])
    options = parser.parse_args()
    runners = {"catlearn": run_catlearn, "numpyro": run_numpyro, "blackjax": run_blackjax}
    # JAX's own start-up (its first compilation) is paid here, not by whichever
    # library happens to run first.
    jax.block_until_ready(jax.jit(jax.grad(lambda x: jnp.sum(jnp.sin(x))))(jnp.ones(3)))
    print(f"load average at start: {os.getloadavg()[0]:.1f} ({os.cpu_count()} cores); "
          f"jax {jax.__version__}, {jax.default_backend()}")
    for name in options.models:
        spec = MODELS[name]()
        model, args, data, by_hand, _, _, dim = spec
        results = {lib: runners[lib](*spec) for lib in ["catlearn", *options.peers]}
        target = Target(model, args, data)
        grad_catlearn = gradient_cost(target.logdensity, dim)
        grad_hand = gradient_cost(by_hand, dim)
        # Both NUTS kernels at catlearn's adapted step size and metric, from its draws.
        step_size, inverse_mass = (float(np.mean(results["catlearn"]["step_size"])),
                                   jnp.mean(results["catlearn"]["inverse_mass"], axis=0))
        lockstep = {"catlearn": lockstep_leapfrog_cost(
            catlearn_nuts(by_hand, step_size, inverse_mass), dim)}
        if "blackjax" in options.peers:
            import blackjax
            lockstep["blackjax"] = lockstep_leapfrog_cost(
                blackjax.nuts(by_hand, step_size, inverse_mass), dim)
        print(f"\n{name} (dim {dim}), {CHAINS} chains x {WARMUP} warm-up + {SAMPLES} draws; "
              f"load average {os.getloadavg()[0]:.1f}")
        print(f"{'':10}{'cold s':>8}{'(cpu)':>8}{'warm s':>8}{'(cpu)':>8}{'compile':>9}"
              f"{'ESS/s c':>9}{'ESS/s w':>9}{'min ESS':>9}{'us/leap':>9}{'leaps':>7}{'div':>5}")
        for lib, r in results.items():
            r["compile"] = r["cold"] - r["warm"]
            r["ess_s_cold"], r["ess_s_warm"] = r["ess_cold"] / r["cold"], r["ess_warm"] / r["warm"]
            r["us_leapfrog"] = r["warm"] / r["steps"] * 1e6
            print(f"{lib:10}{r['cold']:8.2f}{r['cold_cpu']:8.2f}{r['warm']:8.2f}"
                  f"{r['warm_cpu']:8.2f}{r['compile']:9.2f}{r['ess_s_cold']:9.0f}"
                  f"{r['ess_s_warm']:9.0f}{r['ess_warm']:9.0f}{r['us_leapfrog']:9.1f}"
                  f"{r['steps']:7.0f}{r['divergences']:5d}")
        ours = results["catlearn"]
        for lib in options.peers:
            peer = results[lib]
            print(f"catlearn / {lib}: ESS/s cold {ours['ess_s_cold'] / peer['ess_s_cold']:.2f}, "
                  f"warm {ours['ess_s_warm'] / peer['ess_s_warm']:.2f}; "
                  f"compile {ours['compile'] / peer['compile']:.2f}; "
                  f"us/leapfrog {ours['us_leapfrog'] / peer['us_leapfrog']:.2f}")
        print(f"gradient (4 chains): catlearn functor {grad_catlearn:.1f} us, by hand "
              f"{grad_hand:.1f} us, ratio {grad_catlearn / grad_hand:.2f}; catlearn leapfrog / "
              f"raw gradient {ours['us_leapfrog'] / grad_hand:.2f}")
        print("NUTS kernel alone, 4 chains in lockstep, us per leapfrog: " + ", ".join(
            f"{lib} {cost:.1f} ({cost / grad_hand:.2f} raw gradients)"
            for lib, cost in lockstep.items()))


if __name__ == "__main__":
    main()
