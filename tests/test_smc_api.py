"""SMC, resample-move and PMMH as methods of ``infer``, on the language's examples."""
import json
from pathlib import Path

import jax
import numpy as np
import pytest

from catlearn.errors import InferenceError
from catlearn.inference.pmmh import pmmh
from catlearn.inference.rmsmc import rmsmc
from catlearn.inference.smc import smc
from catlearn.inference.target import Target
from catlearn.lang.program import load, parse

EXAMPLES = Path(__file__).parents[1] / "examples"
LGSS = json.loads((EXAMPLES / "lgss.json").read_text())
COIN = json.loads((EXAMPLES / "coin.json").read_text())


@pytest.fixture(scope="module")
def lgss_program():
    return load(str(EXAMPLES / "lgss.cat"))


def coin_target():
    return Target(load(str(EXAMPLES / "coin.cat"))["coin"], {"n": COIN["n"]},
                  {"flips": COIN["flips"]})


def test_smc_filters_lgss_to_the_kalman_evidence(lgss_program):
    target = Target(lgss_program["lgss"], {"T": LGSS["T"], "rho": 0.9}, {"y": LGSS["y"]})
    post = smc(particles=2000, seed=0).run(target, jax.random.key(0))
    assert abs(post.log_evidence - (-172.454)) < 1.5
    assert post.stats["ess"].shape == (LGSS["T"],)
    assert post.method == "smc"


@pytest.mark.parametrize("method", [smc(particles=4000, seed=0),
                                    pytest.param(rmsmc(particles=4000), marks=pytest.mark.slow)])
def test_coin_gives_beta_8_4_and_its_evidence(method):
    post = method.run(coin_target(), jax.random.key(0))
    p = post.summary_dict()["p"]
    assert abs(p["mean"] - 2 / 3) < 0.02 and abs(p["sd"] - 0.1307) < 0.02
    assert abs(post.log_evidence - (-7.1854)) < 0.05
    assert post.stats["temperatures"][-1] == 1.0


def test_impossible_observation_names_its_step():
    program = parse("""
model walk(T: Nat) {
    x[0] ~ Normal(0, 1)
    y[0] ~ Uniform(x[0] - 1, x[0] + 1)
    for t in range(1, T) {
        x[t] ~ Normal(x[t-1], 1)
        y[t] ~ Uniform(x[t] - 1, x[t] + 1)
    }
}
""")
    y = np.zeros(6)
    y[3] = 1e4
    target = Target(program["walk"], {"T": 6}, {"y": y})
    with pytest.raises(InferenceError, match=r"t = 3 \(observing y\[3\]\)"):
        smc(particles=100).run(target, jax.random.key(0))


def test_options_are_checked_before_running():
    with pytest.raises(InferenceError, match="particles"):
        smc(particles=0)
    with pytest.raises(InferenceError, match="resampling"):
        smc(resampling="bogus")
    with pytest.raises(InferenceError, match="ess_threshold"):
        smc(ess_threshold=2.0)
    with pytest.raises(InferenceError, match="stages"):
        rmsmc(stages=0)


@pytest.mark.slow
def test_pmmh_on_ar1_finds_rho(lgss_program):
    target = Target(lgss_program["ar1"], {"T": LGSS["T"]}, {"y": LGSS["y"]})
    post = pmmh(particles=500, samples=2000, seed=0).run(target, jax.random.key(0))
    assert 0.8 <= post.summary_dict()["rho"]["mean"] <= 0.97
