"""Every example runs end to end from the command line, reproduces the truth
in its EXPECT lines, and gets its plots (slow: each runs real inference)."""
import json
import os

import pytest

from catlearn.cli import main

BETA_8_4 = (0.6667, 0.1307)
LINREG = {"w": (2.119, 0.130), "b": (0.962, 0.080), "sigma": (0.309, 0.033)}


def run(name, tmp_path, capsys):
    plots = tmp_path / "plots"
    status = main(["run", f"examples/{name}.cat", "--json", "--plot", str(plots)])
    results = json.loads(capsys.readouterr().out)
    assert status == 0, results
    queries = [r for r in results if r["kind"] in ("infer", "sample", "train")]
    for r in queries:  # every query left its pictures
        assert any(f.startswith(f"line{r['line']}_") for f in os.listdir(plots))
    return queries


@pytest.mark.slow
def test_coin(tmp_path, capsys):
    results = run("coin", tmp_path, capsys)
    assert [r["method"] for r in results] == ["nuts", "smc", "importance"]
    for r in results:
        p = r["params"]["p"]
        assert abs(p["mean"] - BETA_8_4[0]) < 0.02 and abs(p["sd"] - BETA_8_4[1]) < 0.02
        if r["method"] != "nuts":
            assert abs(r["log_evidence"] - (-7.1854)) < 0.05
        else:
            assert p["r_hat"] < 1.01


@pytest.mark.slow
def test_linreg(tmp_path, capsys):
    prior, nuts, rmsmc = run("linreg", tmp_path, capsys)
    assert prior["method"] == "prior" and nuts["method"] == "nuts"
    for r in (nuts, rmsmc):
        for name, (mean, sd) in LINREG.items():
            got = r["params"][name]
            assert abs(got["mean"] - mean) < 0.1 * sd
            assert abs(got["sd"] - sd) < 0.1 * sd
    assert all(nuts["params"][n]["r_hat"] < 1.01 for n in LINREG)


@pytest.mark.slow
def test_lgss(tmp_path, capsys):
    smc, pmmh = run("lgss", tmp_path, capsys)
    assert abs(smc["log_evidence"] - (-172.454)) < 1.5  # the Kalman filter's, exact
    assert 0.8 < pmmh["params"]["rho"]["mean"] < 0.97


@pytest.mark.slow
def test_eight_schools(tmp_path, capsys):
    (nuts,) = run("eight_schools", tmp_path, capsys)
    # a long NumPyro run (4 x 50,000 draws): mu 4.3953, tau 3.5905
    assert abs(nuts["params"]["mu"]["mean"] - 4.3953) < 0.4
    assert abs(nuts["params"]["tau"]["mean"] - 3.5905) < 0.4
    assert all(s["r_hat"] < 1.01 for s in nuts["params"].values())


@pytest.mark.slow
def test_iris_and_digits(tmp_path, capsys):
    (iris,) = run("iris", tmp_path, capsys)
    assert iris["accuracy"] >= 0.95
    (digits,) = run("digits", tmp_path / "d", capsys)
    assert digits["test_accuracy"] >= 0.95
