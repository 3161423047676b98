"""Every inference method accepts a model written as a Python function, and the
examples' models written both ways give the same posteriors (issue 19, item 1
and "Done when"): the same draws from the same key, since equal models run the
same program. Slow: one compilation per method and model.
"""
import csv
import json

import jax
import numpy as np
import pytest

import catlearn as cl
from test_python_models import ar1, coin, eight_schools, linreg

pytestmark = pytest.mark.slow

COIN = json.load(open("examples/coin.json"))
SCHOOLS = json.load(open("examples/eight_schools.json"))
LGSS = json.load(open("examples/lgss.json"))

def linreg_data() -> tuple[dict, dict]:
    with open("examples/linreg.csv") as file:
        rows = list(csv.DictReader(file))
    column = {name: np.array([float(row[name]) for row in rows]) for name in rows[0]}
    return {"x": column["x"]}, {"y": column["y"]}


CHAINS = dict(chains=2, warmup=30, samples=30, progress=False)
CASES = [
    *[(coin, "examples/coin.cat", "coin", {"n": COIN["n"]}, {"flips": COIN["flips"]}, method)
      for method in (cl.importance(particles=300), cl.smc(particles=200, moves=2, progress=False),
                     cl.rmsmc(particles=100, stages=2, moves=1), cl.nuts(**CHAINS),
                     cl.hmc(**CHAINS), cl.mala(**CHAINS), cl.rmh(**CHAINS))],
    (coin, "examples/coin.cat", "coin", {"n": COIN["n"]}, {}, cl.prior(draws=50)),
    (linreg, "examples/linreg.cat", "linreg", *linreg_data(), cl.nuts(**CHAINS)),
    (eight_schools, "examples/eight_schools.cat", "eight_schools",
     {"J": SCHOOLS["J"], "sigma": SCHOOLS["sigma"]}, {"y": SCHOOLS["y"]}, cl.nuts(**CHAINS)),
    (ar1, "examples/lgss.cat", "ar1", {"T": LGSS["T"]}, {"y": LGSS["y"]},
     cl.pmmh(particles=50, samples=30, warmup=0, progress=False)),
]


@pytest.mark.parametrize("python, path, name, args, data, method", CASES,
                         ids=[f"{case[2]}-{case[5].name}" for case in CASES])
def test_the_python_model_gives_the_language_models_posterior(python, path, name, args, data,
                                                              method):
    ours = cl.infer(python, args=args, data=data, method=method, key=jax.random.key(3))
    theirs = cl.infer(cl.load(path)[name], args=args, data=data, method=method,
                      key=jax.random.key(3))
    assert sorted(ours.samples) == sorted(theirs.samples)
    for site in theirs.samples:
        np.testing.assert_array_equal(ours.samples[site], theirs.samples[site], err_msg=site)
    other = cl.infer(python, args=args, data=data, method=method, key=jax.random.key(4))
    assert any(not np.array_equal(other.samples[s], theirs.samples[s])    # the control
               for s in theirs.samples)
