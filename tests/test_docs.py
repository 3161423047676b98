"""The guided tour runs: every ``>>>`` line of docs/tour.md (and docs/mcmc.md) and its printed answer
are checked by doctest, so the documentation cannot rot."""
import doctest
import pathlib

import pytest

DOCS = pathlib.Path(__file__).resolve().parent.parent / "docs"


@pytest.mark.parametrize("page", ["tour.md", "mcmc.md"])
def test_the_examples_of_the_docs_run(page, monkeypatch):
    monkeypatch.chdir(DOCS.parent)  # pictures go to docs/img/
    result = doctest.testfile(str(DOCS / page), module_relative=False, verbose=False,
                              optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE,
                              raise_on_error=False, report=True)
    assert result.attempted > (30 if page == "tour.md" else 5) and result.failed == 0


def test_the_tour_draws_its_pictures():
    text = (DOCS / "tour.md").read_text()
    for name in ("tour_interchange", "tour_mlp", "tour_coin"):
        assert f"](img/{name}.png)" in text
        assert (DOCS / "img" / f"{name}.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_every_example_says_what_it_teaches():
    examples = sorted((DOCS.parent / "examples").glob("*.cat")) + sorted(
        (DOCS.parent / "examples").glob("*.py"))
    assert len(examples) >= 7
    for path in examples:
        first = path.read_text().splitlines()[0]
        header = first.startswith('"""') if path.suffix == ".py" else "# " in first
        assert header, f"{path.name} has no header saying what it teaches"
