"""The fast LALR loop computes exactly what lark's own parser computes.

The loop (:class:`catlearn.lang.parser._Driver`) runs lark's tables with its
own lexer; wherever it gives an answer, that answer must equal lark's, and
every example must be answered by it (else the speed is lost silently).
"""
import glob

import lark
import pytest
from hypothesis import given, settings, strategies as st

from catlearn.errors import CatlearnSyntaxError
from catlearn.lang.parser import _driver, _parser, parse_source

SOURCES = [open(p).read() for p in sorted(glob.glob("examples/*.cat"))]
# where a lexer may go wrong: keywords, numbers against integers, multi-character
# operators against their prefixes, comments, line breaks, names reserved to Python
TOKENS = ["box", "data", "in", "range", "learn", "with", "given", "on", "for", "return", "x",
          "Real", "3", "3.", ".5", "1e-3", "1_000", "-", "->", ">>", "*", "**", "=", "==",
          ":", "(", ")", "[", "]", "{", "}", ",", ".", "~", "@", "# c", "\n", '"a.csv"',
          "__x", "x'"]

CONTEXTUAL = [
    # keywords where the parser state wants a name, as lark's contextual lexer reads them
    "model m(data: Real) { in ~ Normal(data, 1) range = in * 2 return range }",
    # 3 is an integer in a shape and a number in an expression
    "model m(x: Real[3]) { y ~ Normal(x * 3, 1.5) }",
    "box f : Real[N, 3] * Pos -> Real[N]  # a comment\n\n  # another\ndiagram d = f",
    "",
    "# only a comment",
]


def lark_says(source: str):
    """lark's statements for ``source``, or the class of its error."""
    try:
        return _parser().parse(source)
    except (lark.exceptions.UnexpectedInput, CatlearnSyntaxError) as err:
        return type(err)


def driver_says(source: str):
    try:
        return _driver().parse(source)
    except CatlearnSyntaxError:
        return None


@pytest.mark.parametrize("source", SOURCES + CONTEXTUAL)
def test_the_loop_parses_every_example_as_lark_does(source):
    statements = driver_says(source)
    assert statements is not None
    assert statements == lark_says(source)


def test_positions_follow_lines_and_columns():
    (_, check) = parse_source("box f : Real -> Real\n\n   check f == f")
    assert check.pos == (3, 4) and check.eq_pos == (3, 12)


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(SOURCES), st.integers(0, 10**6), st.integers(0, 10**6),
       st.sampled_from(TOKENS + [""]))
def test_the_loop_agrees_with_lark_or_defers_to_it(source, at, length, token):
    i = at % (len(source) + 1)
    j = min(len(source), i + length % 12)
    mutated = source[:i] + token + source[j:]
    statements = driver_says(mutated)
    assert statements is None or statements == lark_says(mutated)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(TOKENS), max_size=30))
def test_token_soups_agree_with_lark_or_defer_to_it(tokens):
    soup = " ".join(tokens)
    statements = driver_says(soup)
    assert statements is None or statements == lark_says(soup)
