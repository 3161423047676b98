"""The acceptance programs: every example checks, laws.cat matches its EXPECT comments."""
import glob
import re

import pytest

from catlearn.errors import CompositionError
from catlearn.lang import load

EXAMPLES = sorted(p for p in glob.glob("examples/*.cat") if not p.endswith("_error.cat"))


@pytest.mark.parametrize("path", EXAMPLES)
def test_example_elaborates(path):
    program = load(path)
    assert program.statements


def test_laws_hold_and_fail_as_expected():
    lines = open("examples/laws.cat").read().splitlines()
    expected = {n: m.group(1) == "holds" for n, line in enumerate(lines, 1)
                if (m := re.search(r"# EXPECT (holds|fails)", line))}
    results = load("examples/laws.cat").run()
    assert len(expected) == 6
    assert {r["line"]: r["holds"] for r in results} == expected


def test_laws_error_names_line_and_both_types():
    with pytest.raises(CompositionError) as info:
        load("examples/laws_error.cat")
    assert info.value.line == 3
    assert ("the codomain of f (Real) does not match the domain of merge (Real * Real)"
            in str(info.value))


@pytest.mark.slow
def test_coin_importance_matches_the_beta_posterior(tmp_path):
    # Beta(1, 1) prior and 7 heads in 10 flips: the posterior is Beta(8, 4)
    source = open("examples/coin.cat").read().split("\ninfer")[0] + "\n"
    (tmp_path / "coin.json").write_text(open("examples/coin.json").read())
    path = tmp_path / "coin.cat"
    path.write_text(source + "infer coin(n = c.n) given (flips = c.flips) with "
                    "importance(particles = 20000, seed = 0)\n")
    (result,) = load(str(path)).run()
    a, b = 8, 4
    assert abs(result["params"]["p"]["mean"] - a / (a + b)) < 0.02
    assert abs(result["params"]["p"]["sd"] - (a * b / ((a + b) ** 2 * (a + b + 1))) ** 0.5) < 0.02
    assert abs(result["log_evidence"] - (-7.1854)) < 0.05
