"""Compile once: what a repeated query costs against the first one.

    .venv/bin/python benchmarks/bench_compile_once.py          # all parts
    .venv/bin/python benchmarks/bench_compile_once.py a c      # some parts

(a) 20 importance queries (1000 particles) of the coin model
    (``examples/coin.cat``) on 20 different data sets in one program, the
    model loaded afresh for each: the first query's wall time (it compiles),
    and the median of the other 19.
(b) the first and the second ``cl.infer`` of a session with NUTS (4 chains,
    10 + 10 draws, as in the issue) on the coin, on different data.
(c) ``catlearn run`` of an unchanged file (the coin with NUTS, 4 chains of
    10 + 10 draws) twice in fresh processes sharing one persistent
    compilation cache (a new folder), against ``python -c "import catlearn"``:
    a whole run after the first is the time it takes to start sampling plus
    20 NUTS iterations.

Goals (issue 19): a repeated query costs <= 10% of the first; a second
``catlearn run`` starts sampling in < 1 s.
"""
from __future__ import annotations

import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import jax
import numpy as np

import catlearn as cl

ROOT = Path(__file__).resolve().parents[1]
COIN = ROOT / "examples" / "coin.cat"


def coin():
    return cl.load(str(COIN))["coin"]


def flips(i: int) -> dict:
    return {"flips": np.random.default_rng(i).integers(0, 2, 10)}


def timed(method, i: int) -> float:
    start = time.perf_counter()
    post = cl.infer(coin(), args={"n": 10}, data=flips(i), method=method, key=jax.random.key(i))
    jax.block_until_ready(post.samples)
    return time.perf_counter() - start


def repeated(method, queries: int) -> tuple[float, float]:
    times = [timed(method, i) for i in range(queries)]
    return times[0], statistics.median(times[1:])


def part_a() -> None:
    first, rest = repeated(cl.importance(particles=1000, progress=False), 20)
    print(f"(a) importance x20: first {first:.3f} s, median of the other 19 {rest * 1e3:.1f} ms,"
          f" ratio {rest / first:.4f}")


def part_b() -> None:
    first, second = repeated(cl.nuts(chains=4, warmup=10, samples=10, progress=False), 2)
    print(f"(b) nuts, 4 chains of 10 + 10: first {first:.3f} s, second {second * 1e3:.1f} ms, "
          f"ratio {second / first:.4f}")


PROGRAM = COIN.read_text().split("infer coin")[0] + (
    "infer coin(n = c.n) given (flips = c.flips) with "
    "nuts(chains = 4, warmup = 10, samples = 10, seed = 0)\n")


def wall(*command: str, env: dict) -> tuple[float, float]:
    """The wall time and the CPU time (user + system) of a fresh process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True, env=env, cwd=ROOT)
    spent = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return spent, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def shown(times: tuple[float, float]) -> str:
    return f"{times[0]:.2f} s wall / {times[1]:.2f} s CPU"


def part_c() -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "coin.cat"
        path.write_text(PROGRAM)
        (Path(folder) / "coin.json").write_text((ROOT / "examples" / "coin.json").read_text())
        env = {**os.environ, "CATLEARN_CACHE_DIR": str(Path(folder) / "cache")}
        run = (sys.executable, "-m", "catlearn.cli", "run", str(path))
        first = wall(*run, env=env)
        second = min(wall(*run, env=env) for _ in range(3))
        uncached = wall(*run, "--no-cache", env=env)
        imported = min(wall(sys.executable, "-c", "import catlearn", env=env) for _ in range(3))
    print(f"(c) catlearn run: first {shown(first)}; second (best of 3) {shown(second)}; "
          f"--no-cache {shown(uncached)}; import catlearn alone {shown(imported)}; "
          f"second run past the import {second[0] - imported[0]:.2f} s wall / "
          f"{second[1] - imported[1]:.2f} s CPU")


PARTS = {"a": part_a, "b": part_b, "c": part_c}

if __name__ == "__main__":
    for name in sys.argv[1:] or PARTS:
        PARTS[name]()
