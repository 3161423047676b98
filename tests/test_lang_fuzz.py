"""Robustness: no input makes the language raise anything but a CatlearnError."""
import glob

from hypothesis import given, settings, strategies as st

from catlearn.lang import parse
from refusals import is_clear, parse_or_refusal

TOKENS = ["box", "diagram", "check", "model", "data", "infer", "sample", "train", "learner",
          "learn", "with", "given", "on", "for", "in", "range", "return", "factor", "f", "g",
          "x", "y", "t", "Real", "Pos", "Nat", "I", "Normal", "exp", "id", "copy", "swap",
          "relu", "dense", ":", "->", "=", "==", "~", ">>", "@", "*", "+", "-", "/", "**",
          "(", ")", "[", "]", "{", "}", ",", ".", "0", "1", "2.5", "1e-3", "\"a.csv\"", "\n",
          "#", "$", "x[t-1]", "csv", "json", "nuts"]
SOURCES = [open(p).read() for p in sorted(glob.glob("examples/*.cat"))]


@settings(max_examples=150, deadline=None)
@given(st.lists(st.sampled_from(TOKENS), max_size=30))
def test_token_soup(tokens):
    assert is_clear(parse_or_refusal(" ".join(tokens))[1])


@settings(max_examples=150, deadline=None)
@given(st.sampled_from(SOURCES), st.integers(0, 10**6), st.integers(0, 10**6),
       st.sampled_from(TOKENS + [""]))
def test_mutated_examples(source, at, length, token):
    i = at % (len(source) + 1)
    j = min(len(source), i + length % 12)
    assert is_clear(parse_or_refusal(source[:i] + token + source[j:])[1])


def test_deep_nesting_does_not_recurse():
    depth = 5000
    assert is_clear(parse_or_refusal("box f : Real -> Real\ndiagram d = " + "(" * depth + "f"
                                     + ")" * depth)[1])
    program = parse("model m(x: Real) { y = " + "-(" * depth + "x" + ")" * depth
                    + "\n return y }")
    assert len(program["m"].diagram.boxes) == depth
