"""Scaling: time against the number of devices for SMC particles and NUTS chains,
and the memory a particle and a chain cost.

    .venv/bin/python benchmarks/bench_scaling.py             # devices 1, 2, 4
    .venv/bin/python benchmarks/bench_scaling.py --memory    # bytes per particle and chain,
                                                             # 10^6 particles on lgss

On a CPU the devices are simulated (``--xla_force_host_platform_device_count``
is set to 4 unless XLA_FLAGS already sets it): they share the machine's cores,
so the figures show what sharding costs and what it can win on these cores,
not what 4 accelerators would give. On a GPU or TPU machine the real devices
are used. Each time is the best of ``--repeat`` runs of the compiled program
(compilation excluded); the ratio is against the same program on 1 device,
measured in the same run.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import time
from pathlib import Path

if "xla_force_host_platform_device_count" not in os.environ.get("XLA_FLAGS", ""):
    os.environ["XLA_FLAGS"] = (os.environ.get("XLA_FLAGS", "")
                               + " --xla_force_host_platform_device_count=4").strip()

import jax  # noqa: E402  (after XLA_FLAGS)
import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402

from catlearn import sharding  # noqa: E402
from catlearn.inference.chains import sample  # noqa: E402
from catlearn.inference.nuts import nuts  # noqa: E402
from catlearn.inference.smc import bootstrap_filter  # noqa: E402
from catlearn.inference.target import Target  # noqa: E402
from catlearn.lang import load  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
def lgss():
    data = json.loads((ROOT / "examples" / "lgss.json").read_text())
    model = load(str(ROOT / "examples" / "lgss.cat"))["lgss"]
    return Target(model, {"T": data["T"], "rho": 0.9}, {"y": data["y"]}).sequential()


def schools():
    return Target(load(str(ROOT / "examples" / "eight_schools.cat"))["eight_schools"],
                  {"J": 8, "sigma": [15.0, 10.0, 16.0, 11.0, 9.0, 11.0, 10.0, 18.0]},
                  {"y": [28.0, 8.0, -3.0, 7.0, -1.0, 1.0, 18.0, 12.0]})


def best(run, repeat: int) -> float:
    run()                                   # compile (and warm caches)
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        jax.block_until_ready(run())
        times.append(time.perf_counter() - start)
    return min(times)


def smc_time(particles: int, devices: int, repeat: int) -> float:
    model = lgss()
    mesh = sharding.mesh(devices)
    run = jax.jit(lambda k: bootstrap_filter(k, model, particles, mesh=mesh).log_evidence)
    return best(lambda: run(jax.random.key(0)), repeat)


def nuts_time(chains: int, devices: int, repeat: int, draws: int) -> float:
    # a fresh target (fresh closures) for each mesh: with jax 0.10.2, re-running a
    # program traced once and compiled again for new input shardings fails
    # ("Execution supplied 2 arguments but compiled program expected 13")
    target = schools()
    starts = jax.vmap(target.init)(jax.random.split(jax.random.key(1), chains))
    run = sharding.independent(lambda positions, key: sample(
        nuts, target.logdensity, positions, key, warmup=draws, samples=draws,
        progress=False)[0], sharding.mesh(devices))
    return best(lambda: run(starts, jax.random.key(0)), repeat)


def scaling(args) -> None:
    counts = [d for d in (1, 2, 4) if d <= jax.device_count()]
    print(f"devices: {jax.device_count()} x {jax.devices()[0].device_kind} "
          f"({jax.devices()[0].platform}), {os.cpu_count()} CPU cores")
    rows = [("SMC lgss T=100", f"{args.particles} particles",
             {d: smc_time(args.particles, d, args.repeat) for d in counts}),
            ("NUTS eight schools", f"{args.chains} chains x {2 * args.draws} its",
             {d: nuts_time(args.chains, d, args.repeat, args.draws) for d in counts})]
    print(f"{'program':<20} {'size':<24}" + "".join(f"{f'{d} dev (s)':>12}" for d in counts)
          + "".join(f"{f'1/{d} ratio':>12}" for d in counts[1:]))
    for name, size, times in rows:
        print(f"{name:<20} {size:<24}" + "".join(f"{times[d]:>12.3f}" for d in counts)
              + "".join(f"{times[1] / times[d]:>12.2f}" for d in counts[1:]))


def per_item_bytes(make, small: int, large: int) -> float:
    """The slope of the compiled program's memory (temporaries, arguments and
    outputs, as XLA plans them) in the number of particles or chains."""
    def total(n):
        stats = make(n).memory_analysis()
        return (stats.temp_size_in_bytes + stats.argument_size_in_bytes
                + stats.output_size_in_bytes)
    return (total(large) - total(small)) / (large - small)


def memory(args) -> None:
    model, target = lgss(), schools()
    n = 1_000_000                        # first, so that the peak RSS is this run's
    run = jax.jit(lambda k: bootstrap_filter(k, model, n).log_evidence)
    baseline = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    compiled = run.lower(jax.random.key(0)).compile()
    start = time.perf_counter()
    evidence = float(compiled(jax.random.key(0)))
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"SMC lgss T=100, 10^6 particles, 1 device: log evidence {evidence:.3f} "
          f"(Kalman -172.454) in {seconds:.1f} s; XLA temporaries "
          f"{compiled.memory_analysis().temp_size_in_bytes / 2**20:.0f} MiB; "
          f"peak RSS {peak:.0f} MiB (before compiling {baseline:.0f} MiB)")
    per_particle = per_item_bytes(lambda n: jax.jit(
        lambda k: bootstrap_filter(k, model, n).log_evidence).lower(jax.random.key(0)).compile(),
        10_000, 20_000)
    with_paths = per_item_bytes(lambda n: jax.jit(
        lambda k: bootstrap_filter(k, model, n, paths=True).paths).lower(
            jax.random.key(0)).compile(), 10_000, 20_000)
    from catlearn.inference.chains import _run
    per_chain = per_item_bytes(lambda c: _run.lower(
        nuts, target.logdensity, jax.random.key(0), jnp.zeros((c, 10)), warmup=500,
        samples=500, step_size=None, target_accept=0.8, dense_mass=False,
        progress_every=None).compile(), 64, 128)
    print(f"bytes per particle, bootstrap filter on lgss (T=100): {per_particle:.0f}; "
          f"with paths: {with_paths:.0f}")
    print(f"bytes per chain, NUTS on eight schools (dim 10, 500+500 its): {per_chain:.0f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--particles", type=int, default=100_000)
    parser.add_argument("--chains", type=int, default=16)
    parser.add_argument("--draws", type=int, default=200, help="warm-up and sampling its")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--memory", action="store_true",
                        help="measure memory instead of time")
    args = parser.parse_args()
    if args.memory:      # in a process of its own, so that its peak RSS is the run's
        memory(args)
    else:
        scaling(args)
    sys.stdout.flush()
