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
    10 + 10 draws) in fresh processes sharing one cache folder (a new one):
    the first run, the second (best of 3) and one with ``--no-cache``; for
    each, when its import ends, when it starts sampling (see ``DRIVER``)
    and when it ends, from the process's start.

Goals (issue 19): a repeated query costs <= 10% of the first; a second
``catlearn run`` starts sampling in < 1 s.
"""
from __future__ import annotations

import json
import os
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


# Runs ``catlearn run`` as ``python -m catlearn.cli`` does, and reports when it
# starts sampling: when XLA hands over the compiled sampling program (the end of the
# backend compilation, from its persistent cache or not, of the MCMC run, exported
# or not), the moment before it runs. Times are from the parent's clock just before
# it started the process, so the interpreter's own start is included.
DRIVER = """
import json, sys, time
start = float(sys.argv[1])
import catlearn.cli, jax
marks = {"imported": time.time() - start, "imported_cpu": time.process_time()}
def listen(event, duration, fun_name=None, **kwargs):
    if (event.endswith("backend_compile_duration") and "sampling" not in marks
            and fun_name in ("jit(_run)", "jit(call_exported)")):
        marks["sampling"] = time.time() - start
        marks["sampling_cpu"] = time.process_time()
jax.monitoring.register_event_duration_secs_listener(listen)
assert catlearn.cli.main(sys.argv[2:]) == 0
marks["done"] = time.time() - start
print(json.dumps(marks), file=sys.stderr)
"""


def started(*flags: str, path: Path, env: dict) -> dict:
    """The seconds from process start to the import's end, to sampling, and to the end
    (wall clock), and the process's CPU time (all its threads) at the first two."""
    done = subprocess.run((sys.executable, "-c", DRIVER, repr(time.time()), "run", str(path),
                           "--json", *flags), check=True, capture_output=True, text=True,
                          env=env, cwd=ROOT)
    return json.loads(done.stderr.strip().splitlines()[-1])


def shown(marks: dict) -> str:
    return (f"import {marks['imported']:.2f} s, starts sampling at {marks['sampling']:.2f} s "
            f"({marks['sampling'] - marks['imported']:.2f} s past the import), "
            f"done at {marks['done']:.2f} s; CPU: import {marks['imported_cpu']:.2f} s, "
            f"{marks['sampling_cpu'] - marks['imported_cpu']:.2f} s more to start sampling")


def best(runs: list[dict]) -> dict:
    return min(runs, key=lambda marks: marks["sampling"] - marks["imported"])


def part_c() -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "coin.cat"
        path.write_text(PROGRAM)
        (Path(folder) / "coin.json").write_text((ROOT / "examples" / "coin.json").read_text())
        env = {**os.environ, "CATLEARN_CACHE_DIR": str(Path(folder) / "cache")}
        first = started(path=path, env=env)
        second = best([started(path=path, env=env) for _ in range(3)])
        uncached = started("--no-cache", path=path, env=env)
    print(f"(c) catlearn run (load average {os.getloadavg()[0]:.1f}), wall clock:\n"
          f"    first run:           {shown(first)}\n"
          f"    second (best of 3):  {shown(second)}\n"
          f"    --no-cache:          {shown(uncached)}")


PARTS = {"a": part_a, "b": part_b, "c": part_c}

if __name__ == "__main__":
    for name in sys.argv[1:] or PARTS:
        PARTS[name]()
