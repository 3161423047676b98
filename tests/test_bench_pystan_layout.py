"""The posteriordb benchmark reads Stan's draws as pystan lays them out.

pystan's ``fit[name]`` is ``(*dims, draws x chains)`` with the chains interleaved
(draw 1 of every chain, then draw 2, …). The benchmark once read that axis as
consecutive chains, so each of its "chains" cycled through the four real ones:
lag-1 autocorrelations became those of independent chains and Stan's bulk ESS
came out near the number of draws (eight schools' tau: 3,802 where arviz's own
``from_pystan`` gives 1,985 on the same fit). A real ``stan.fit.Fit`` is built here
from synthetic sampler output whose every value names its chain and draw."""
import importlib.util
import json
import sys

import numpy as np
import pytest

stan_fit = pytest.importorskip("stan.fit")

CHAINS, DRAWS = 3, 5


def _bench():
    spec = importlib.util.spec_from_file_location("bench_posteriordb",
                                                  "benchmarks/bench_posteriordb.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module   # its dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def _code(chain, draw, coordinate=0):
    return 1000 * chain + 10 * draw + coordinate


def _fit():
    """A Fit of a scalar ``a`` and a vector ``b`` of 2, as pystan builds it from the
    JSON lines its chains send."""
    outputs = []
    for chain in range(CHAINS):
        lines = [json.dumps({"topic": "sample", "values": {
            "lp__": 0.0, "n_leapfrog__": float(_code(chain, draw)),
            "a": float(_code(chain, draw)), "b.1": float(_code(chain, draw, 1)),
            "b.2": float(_code(chain, draw, 2))}}) for draw in range(DRAWS)]
        outputs.append("\n".join(lines).encode())
    return stan_fit.Fit(tuple(outputs), CHAINS, ("a", "b"), ("a", "b.1", "b.2"),
                        ([], [2]), 0, DRAWS, 1, False)


def test_draws_are_read_chain_by_chain():
    bench, fit = _bench(), _fit()
    chain, draw = np.meshgrid(np.arange(CHAINS), np.arange(DRAWS), indexing="ij")
    a = bench.pystan_chains(fit["a"], [], CHAINS, DRAWS)
    np.testing.assert_array_equal(a, _code(chain, draw))
    b = bench.pystan_chains(fit["b"], [2], CHAINS, DRAWS)
    assert b.shape == (CHAINS, DRAWS, 2)
    for k in (1, 2):
        np.testing.assert_array_equal(b[..., k - 1], _code(chain, draw, k))
    sampler = bench.pystan_chains(fit["n_leapfrog__"], [], CHAINS, DRAWS)
    np.testing.assert_array_equal(sampler, _code(chain, draw))


def test_reading_the_flat_axis_as_consecutive_chains_mixes_them():
    # Negative control: the former reading puts several real chains into one.
    fit = _fit()
    former = np.asarray(fit["a"]).reshape(CHAINS, DRAWS)
    assert len(set((former[0] // 1000).tolist())) > 1
