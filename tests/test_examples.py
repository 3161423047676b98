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
