"""The particle filter from ``catlearn run``: evidence and smoothed states against Kalman.

Three models (Done-when of issue 15): the lgss example, a model with two
scans in sequence (a latent between them, an observation after them), and
one with K observations per step (``y[0, k]`` before the scan, ``y[t, k]``
inside it). Each runs ``smc`` from the command line (``--json``) with
several seeds; the log evidence lies within 3 Monte Carlo sds (the seeds'
spread) of the exact one, and the smoothed means of every ``x[t]`` lie on
average within 0.3 smoothed sds of the Rauch-Tung-Striebel ones.
"""
import json
import os
import subprocess
import sys

import numpy as np
import pytest
from scipy.stats import norm

from kalman_reference import MULTI, TWO, kalman

SEEDS = tuple(range(6))
LGSS = json.load(open("examples/lgss.json"))

def simulate(T: int, K: int, rho: float, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    x = [rng.normal()]
    for _ in range(1, T):
        x.append(rho * x[-1] + rng.normal())
    return np.asarray(x)[:, None] + 0.5 * rng.normal(size=(T, K))


def run_smc(tmp_path, model: str, call: str, data: dict, particles: int,
            smoothed: int = 100) -> list[dict]:
    """``catlearn run --json`` on ``model`` and one ``infer`` per seed, in a process of
    its own with its own compilation cache (the seeds share one compiled program)."""
    (tmp_path / "data.json").write_text(json.dumps(data))
    queries = "".join(f"infer {call} with smc(particles = {particles}, seed = {seed}, "
                      f"smoothed = {smoothed})\n" for seed in SEEDS)
    path = tmp_path / "p.cat"
    path.write_text(f'data a = json("data.json")\n{model}\n{queries}')
    env = {**os.environ, "CATLEARN_CACHE_DIR": str(tmp_path / "cache")}
    done = subprocess.run([sys.executable, "-m", "catlearn.cli", "run", str(path), "--json"],
                          capture_output=True, text=True, timeout=900, env=env)
    assert done.returncode == 0, done.stdout + done.stderr
    results = json.loads(done.stdout)
    assert [r["kind"] for r in results] == ["infer"] * len(SEEDS)
    return results


def check_evidence(results: list[dict], exact: float, wrong: float) -> None:
    """Every seed's log evidence within 3 sds of the exact one; ``wrong`` (the evidence
    of another model) is not, so the check can tell them apart."""
    estimates = np.array([r["log_evidence"] for r in results])
    sd = estimates.std(ddof=1)
    assert np.all(np.abs(estimates - exact) < 3 * sd + 1e-9), (estimates, exact, sd)
    assert np.all(np.abs(estimates - wrong) > 3 * sd), (estimates, wrong, sd)


def smoothed_error(result: dict, site: str, means: np.ndarray, sds: np.ndarray) -> float:
    """The average over t of |mean of site[t] - exact| / exact sd, every t reported."""
    params = result["params"]
    got = np.array([params[f"{site}[{t}]"]["mean"] for t in range(len(means))])
    assert f"{site}[{len(means)}]" not in params
    return float(np.mean(np.abs(got - means) / sds))


def check_k_observations(tmp_path, T: int, K: int, particles: int) -> None:
    y = simulate(T, K, 0.9, seed=T)
    results = run_smc(tmp_path, MULTI, "multi(T = a.T, K = a.K) given (y = a.y)",
                      {"T": T, "K": K, "y": y.tolist()}, particles=particles)
    exact, means, sds = kalman(y, 0.9)
    check_evidence(results, exact, kalman(y[:, :K - 1], 0.9)[0])   # one observation fewer
    errors = [smoothed_error(r, "x", means, sds) for r in results]
    assert np.mean(errors) < 0.3, errors


def test_k_observations_per_step_are_filtered_and_smoothed_exactly(tmp_path):
    check_k_observations(tmp_path, 25, 3, particles=2000)


@pytest.mark.slow
def test_the_lgss_example_is_filtered_and_smoothed_exactly(tmp_path):
    source = open("examples/lgss.cat").read()
    model = source[source.index("model lgss"):source.index("infer lgss")]
    y = np.asarray(LGSS["y"])
    results = run_smc(tmp_path, model, "lgss(T = a.T, rho = 0.9) given (y = a.y)", LGSS,
                      particles=1000)
    exact, means, sds = kalman(y, 0.9)
    check_evidence(results, exact, kalman(y, 0.8)[0])
    errors = [smoothed_error(r, "x", means, sds) for r in results]
    assert np.mean(errors) < 0.3, errors
    genealogy = run_smc(tmp_path, model, "lgss(T = a.T, rho = 0.9) given (y = a.y)", LGSS,
                        particles=1000, smoothed=0)
    lineage = [smoothed_error(r, "x", means, sds) for r in genealogy]
    assert np.mean(lineage) > 2 * np.mean(errors), (lineage, errors)  # what smoothing buys


@pytest.mark.slow
def test_two_scans_in_sequence_are_filtered_and_smoothed_exactly(tmp_path):
    T = 30
    y, w = simulate(T, 1, 0.9, seed=1)[:, 0], simulate(T, 1, 0.5, seed=2)[:, 0]
    results = run_smc(tmp_path, TWO, "two(T = a.T) given (y = a.y, w = a.w, v = a.v)",
                      {"T": T, "y": y.tolist(), "w": w.tolist(), "v": 0.3}, particles=1000)
    (lx, mx, sx), (lz, mz, sz) = kalman(y, 0.9), kalman(w, 0.5)
    exact = lx + lz + float(norm.logpdf(0.3, 0.0, 2 ** 0.5))
    check_evidence(results, exact, lx + kalman(w, 0.9)[0] + float(norm.logpdf(0.3, 0, 2 ** 0.5)))
    assert np.mean([smoothed_error(r, "x", mx, sx) for r in results]) < 0.3
    assert np.mean([smoothed_error(r, "z", mz, sz) for r in results]) < 0.3


@pytest.mark.slow
def test_k_observations_per_step_over_a_long_series(tmp_path):
    check_k_observations(tmp_path, 100, 4, particles=1000)


def test_smoothing_options_are_checked():
    import jax
    from catlearn.errors import InferenceError, NotSupportedError
    from catlearn.inference.sequential import StateSpace
    from catlearn.inference.smc import bootstrap_filter, smc
    with pytest.raises(InferenceError, match="smc: smoothed must be a whole number >= 0"):
        smc(smoothed=-1)
    assert smc(smoothed=0).smoothed == 0                                  # the genealogy
    by_hand = StateSpace(lambda k: (jax.random.normal(k), 0.0), lambda k, x, t: (x, 0.0), 3)
    with pytest.raises(NotSupportedError, match="smoothing needs the backward kernels"):
        bootstrap_filter(jax.random.key(0), by_hand, 10, smooth=5)
