"""Split-R̂ and bulk/tail ESS agree with arviz on the same draws (to 1%)."""
import warnings

import numpy as np
import pytest

from catlearn.inference.diagnostics import ess_bulk, ess_tail, rhat

arviz = pytest.importorskip("arviz")


def ar1(phi, shape, offsets, seed):
    """AR(1) chains (autocorrelation ``phi``) shifted per chain by ``offsets``."""
    rng = np.random.default_rng(seed)
    noise = rng.normal(size=shape)
    x = np.zeros(shape)
    x[:, 0] = noise[:, 0]
    for t in range(1, shape[1]):
        x[:, t] = phi * x[:, t - 1] + noise[:, t]
    return x + np.reshape(offsets, (-1,) + (1,) * (len(shape) - 1))


CASES = {
    "independent": ar1(0.0, (4, 800, 6), [0, 0, 0, 0], 0),
    "sticky": ar1(0.95, (4, 800, 6), [0, 0, 0, 0], 1),
    "antithetic": ar1(-0.4, (4, 800, 6), [0, 0, 0, 0], 2),
    "unmixed": ar1(0.5, (4, 800, 6), [0, 0.2, 0, 0.6], 3),
    "skewed": np.exp(ar1(0.7, (4, 800, 6), [0, 0, 0, 0], 4)),
    "ties": np.round(ar1(0.6, (4, 800, 6), [0, 0, 0, 0], 5)),
    "matrix-sites": ar1(0.3, (4, 800, 2, 3), [0, 0, 0, 0], 6),
    "odd-length": ar1(0.2, (3, 777, 2), [0, 0, 0], 7),
}


def reference(function, draws, **options):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        flat = draws.reshape(draws.shape[0], draws.shape[1], -1)
        values = [float(function(flat[:, :, i], **options)) for i in range(flat.shape[2])]
    return np.reshape(values, draws.shape[2:])


@pytest.mark.parametrize("case", list(CASES))
def test_rhat_matches_arviz(case):
    draws = CASES[case]
    np.testing.assert_allclose(rhat(draws), reference(arviz.rhat, draws), rtol=0.01)


@pytest.mark.parametrize("case", list(CASES))
@pytest.mark.parametrize("method,ours", [("bulk", ess_bulk), ("tail", ess_tail)])
def test_ess_matches_arviz(case, method, ours):
    draws = CASES[case]
    np.testing.assert_allclose(ours(draws), reference(arviz.ess, draws, method=method),
                               rtol=0.01)


def test_rhat_flags_chains_that_disagree():
    assert np.all(np.asarray(rhat(CASES["unmixed"])) > 1.01)
    assert np.all(np.asarray(rhat(CASES["independent"])) < 1.01)
