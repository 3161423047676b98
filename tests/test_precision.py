"""Double precision: ``precision = "float64"`` for a whole program or one query,
and ``catlearn run --x64``. A Gaussian-process covariance K + 1e-10 I on close
points has a Cholesky factor that is NaN in float32 and finite in float64."""
import json

import jax
import numpy as np
import pytest
from refusals import assert_refused

from catlearn.cli import main
from catlearn.errors import CatlearnTypeError, UnknownNameError
from catlearn.lang import parse

X = ", ".join(f"{0.1 * i:.1f}" for i in range(16))
GP = f"""
model gp(N: Nat, x: Real[N]) {{
    rho ~ LogNormal(1, 0.1)
    K = exp_quad_cov(x, 1.0, rho) + 1e-10 * eye(N)
    total = sum(cholesky(K))
    return total
}}
"""
QUERY = f"sample gp(N = 16, x = [{X}]) with prior(draws = 8, seed = 0{{}})\n"


def _totals(result: dict) -> float:
    return result["params"]["total"]["mean"]


def test_a_program_in_float64_factors_what_float32_cannot():
    source = 'precision = "float64"\n' + GP + QUERY.format("") + QUERY.format(
        ', precision = "float32"')
    in_float64, in_float32 = parse(source).run()
    assert in_float32["params"]["rho"]["mean"] is not None
    assert _totals(in_float32) is None  # NaN: the summary has no mean
    assert np.isfinite(_totals(in_float64)) and _totals(in_float64) > 0
    assert not jax.config.jax_enable_x64  # the queries' precision does not leak


@pytest.mark.slow
def test_x64_runs_the_whole_program_in_float64(capsys, tmp_path):
    path = tmp_path / "gp.cat"
    path.write_text(GP + QUERY.format(""))
    assert main(["run", str(path), "--json", "--no-cache"]) == 0
    assert _totals(json.loads(capsys.readouterr().out)[0]) is None
    assert main(["run", str(path), "--json", "--no-cache", "--x64"]) == 0
    assert np.isfinite(_totals(json.loads(capsys.readouterr().out)[0]))
    assert not jax.config.jax_enable_x64  # scoped to the run


BAD = [
    ('precision = "float16"\n', CatlearnTypeError, 1, 13, ['"float32" or "float64"']),
    ('precision = "float64"\nprecision = "float64"\n', UnknownNameError, 2, 1,
     ["already set on line 1"]),
    ("model m() { mu ~ Normal(0, 1) }\nsample m() with prior(precision = \"double\")",
     CatlearnTypeError, 2, 23, ['"float32" or "float64"']),
]


@pytest.mark.parametrize("source, cls, line, column, words", BAD)
def test_misuse_is_refused_where_it_is_written(source, cls, line, column, words):
    assert_refused(source, cls, line, column, words)


def test_the_keywords_precision_and_fn_stay_usable_as_names():
    model = parse("model m() {\n precision ~ Gamma(1, 1)\n fn = 1 / precision\n"
                  " y ~ Normal(0, fn)\n}")["m"]
    assert [s.site for s in model.sites()] == ["precision", "y"]
