"""The Gaussian-process posteriors of posteriordb and arK, written as their Stan
sources read (benchmarks/posteriordb/), run by ``catlearn run`` and compared with
posteriordb's reference (10 x 1,000 Stan NUTS draws): every mean within 0.2
reference sds, every sd within 20%. gp_pois_regr runs in float64 (its Cholesky
factor of K + 1e-10 I); accel_gp is 66 parameters of two basis-function GPs."""
import json

import pytest

from catlearn.cli import main
from test_posteriordb_as_written import stan_name

DB = "benchmarks/posteriordb/{}.{}"


def agreement(result: dict, reference: dict) -> list[str]:
    """The reference's parameters the run misses (mean off by 0.2 sd or more, sd off
    by 20% or more, or not reported)."""
    params = {stan_name(name): row for name, row in result["params"].items()}
    return [name for name, ref in reference.items()
            if name not in params
            or not abs(params[name]["mean"] - ref["mean"]) < 0.2 * ref["sd"]
            or not abs(params[name]["sd"] - ref["sd"]) < 0.2 * ref["sd"]]


def test_the_comparison_fails_on_a_shifted_posterior():
    """Negative control: the check above sees a mean moved by 0.3 sd and a missing name."""
    reference = {"a": {"mean": 1.0, "sd": 2.0}, "b[1]": {"mean": 0.0, "sd": 1.0}}
    good = {"params": {"a": {"mean": 1.1, "sd": 2.1}, "b[0]": {"mean": 0.1, "sd": 0.9}}}
    assert agreement(good, reference) == []
    shifted = {"params": {"a": {"mean": 1.6, "sd": 2.0}}}
    assert agreement(shifted, reference) == ["a", "b[1]"]


@pytest.mark.slow
@pytest.mark.parametrize("posterior", [
    "gp_pois_regr-gp_regr",
    "gp_pois_regr-gp_pois_regr",   # f, a transformed parameter, reported
    "mcycle_gp-accel_gp",          # user functions, d.slambda_1[:, 0] in the query
    "arK-arK",                     # y observed on range(K, T), the lags a loop
])
def test_the_posterior_matches_posteriordb(posterior, capsys):
    assert main(["run", DB.format(posterior, "cat"), "--json"]) == 0
    (result,) = json.loads(capsys.readouterr().out)
    reference = json.load(open(DB.format(posterior, "ref.json")))["ref"]
    assert agreement(result, reference) == []


@pytest.mark.slow
@pytest.mark.xfail(strict=False, reason="measured 2026-12-03 (issue 16h): in float64, with "
                   "Stan's warm-up, seeds 1 and 2 still miss 40 of 66 parameters (sdgp_1 "
                   "first): a chain started at log density -1.2e6 is still far in the tails "
                   "after the warm-up (every draw divergent)")
@pytest.mark.parametrize("seed", [1, 2])
def test_accel_gp_matches_at_other_seeds(seed, tmp_path, capsys):
    """The program as vendored, with another seed, matches the reference with every
    chain. Seed 1 strands a chain in float32 (its start, log density -8.6e9, leaves
    it a step size below float32's resolution of its position); float64 is not
    enough for these two seeds yet."""
    name = "mcycle_gp-accel_gp"
    program = open(DB.format(name, "cat")).read()
    assert program.count("seed = 0") == 1
    (tmp_path / f"{name}.cat").write_text(program.replace("seed = 0", f"seed = {seed}"))
    (tmp_path / f"{name}.data.json").write_text(open(DB.format(name, "data.json")).read())
    assert main(["run", str(tmp_path / f"{name}.cat"), "--json"]) == 0
    (result,) = json.loads(capsys.readouterr().out)
    reference = json.load(open(DB.format(name, "ref.json")))["ref"]
    assert agreement(result, reference) == []
