"""Fuzzing the parser and the elaborator: whatever the text, the only exceptions
are CatlearnErrors, and no input recurses as deep as it is nested.

The budget is small by default (a few seconds); set ``CATLEARN_FUZZ_EXAMPLES``
(e.g. ``CATLEARN_FUZZ_EXAMPLES=100000``) for a long run by hand, which also
turns on the largest inputs (10^5-statement files, 10^4-wide tensors).
"""
import contextlib
import os
import pathlib
import sys

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from catlearn.distributions.registry import DISTRIBUTIONS
from catlearn.errors import CatlearnError
from catlearn.lang import DIAGRAM_PRIMITIVES, parse
from catlearn.primitives.ops import PRIMITIVES
from catlearn.syntax.diagram import Box, Diagram
from catlearn.syntax.ty import Ty
from refusals import is_clear, parse_or_refusal

EXAMPLES = int(os.environ.get("CATLEARN_FUZZ_EXAMPLES", "40"))
LONG = "CATLEARN_FUZZ_EXAMPLES" in os.environ
fuzz = settings(max_examples=EXAMPLES, deadline=None, derandomize=not LONG,
                suppress_health_check=list(HealthCheck))
EXAMPLE_SOURCES = sorted(p.read_text() for p in pathlib.Path("examples").glob("*.cat"))
DEPTH = 10_000


@contextlib.contextmanager
def python_recursion_limit(limit: int = 1000):
    """Python's default limit, whatever the test runner set: a construct nested
    10,000 deep must then be handled without recursion."""
    old = sys.getrecursionlimit()
    sys.setrecursionlimit(limit)
    try:
        yield
    finally:
        sys.setrecursionlimit(old)


# -- programs built from the grammar ------------------------------------------------------

names = st.sampled_from(["x", "y", "z", "w", "f", "g", "N", "T", "i", "t", "d", "m", "mu"])
types = st.builds(lambda atoms: " * ".join(atoms), st.lists(st.sampled_from(
    ["Real", "Pos", "Nat", "Int", "Prob", "Bool", "I", "Real[3]", "Real[N]", "Real[2, N]",
     "Simplex[3]", "Pos[T]", "Foo"]), min_size=1, max_size=3))
numbers = st.one_of(st.integers(0, 10**30).map(str),
                    st.floats(allow_nan=False, allow_infinity=False).map(lambda v: repr(abs(v))),
                    st.sampled_from(["1e999", "0.", ".5", "1_000", "0e0"]))


def calls(callee, args):
    return st.builds(lambda f, a: f"{f}({', '.join(a)})", callee, st.lists(args, max_size=4))


expressions = st.recursive(
    st.one_of(names, numbers, st.just('"s"')),
    lambda inner: st.one_of(
        st.builds(lambda a, op, b: f"({a} {op} {b})", inner,
                  st.sampled_from(["+", "-", "*", "/", "**"]), inner),
        inner.map(lambda a: f"-{a}"),
        calls(st.sampled_from(sorted(PRIMITIVES) + ["nope", "Normal"]), inner),
        st.builds(lambda a, i: f"{a}[{', '.join(i)}]", inner, st.lists(st.one_of(
            inner, st.builds(lambda a, b: f"{a}:{b}", inner, inner)), min_size=1, max_size=3)),
        st.builds(lambda a, n: f"{a}.{n}", inner, names),
        st.lists(inner, max_size=3).map(lambda xs: f"[{', '.join(xs)}]"),
        st.builds(lambda n, v: f"{n} = {v}", names, inner)),
    max_leaves=12)
targets = st.builds(lambda n, i: f"{n}[{', '.join(i)}]" if i else n, names,
                    st.lists(expressions, max_size=2))
model_statements = st.recursive(
    st.one_of(
        st.builds(lambda t, d, a: f"{t} ~ {d}({', '.join(a)})", targets,
                  st.sampled_from(sorted(DISTRIBUTIONS) + ["Normall", "exp"]),
                  st.lists(expressions, max_size=4)),
        st.builds(lambda t, e: f"{t} = {e}", targets, expressions),
        expressions.map(lambda e: f"factor({e})"),
        st.lists(expressions, min_size=1, max_size=2).map(lambda e: "return " + ", ".join(e))),
    lambda inner: st.builds(
        lambda v, bounds, body: f"for {v} in range({', '.join(bounds)}) {{\n"
                                + "\n".join(body) + "\n}",
        names, st.lists(expressions, min_size=1, max_size=2), st.lists(inner, max_size=3)),
    max_leaves=6)
models = st.builds(
    lambda name, params, body: f"model {name}({', '.join(params)}) {{\n" + "\n".join(body)
    + "\n}", names, st.lists(st.builds(lambda n, t: f"{n}: {t}", names, types), max_size=3),
    st.lists(model_statements, max_size=6))
diagram_exprs = st.recursive(
    st.one_of(names, calls(st.sampled_from(sorted(DIAGRAM_PRIMITIVES)),
                           st.one_of(types, numbers))),
    lambda inner: st.builds(lambda a, op, b: f"({a} {op} {b})", inner,
                            st.sampled_from([">>", "@"]), inner),
    max_leaves=8)
queries = st.one_of(
    st.builds(lambda m, a, g, meth: f"infer {m}({', '.join(a)}) given ({', '.join(g)}) "
              f"with {meth}", names, st.lists(st.builds(lambda n, v: f"{n} = {v}", names,
                                                        expressions), max_size=2),
              st.lists(st.builds(lambda n, v: f"{n} = {v}", names, expressions), max_size=2),
              calls(st.sampled_from(["nuts", "smc", "prior", "bogus"]),
                    st.builds(lambda n, v: f"{n} = {v}", names, numbers))),
    st.builds(lambda m, a: f"sample {m}({', '.join(a)}) with prior", names,
              st.lists(st.builds(lambda n, v: f"{n} = {v}", names, expressions), max_size=2)),
    st.builds(lambda n, d: f"learner {n} = learn {d} with loss = mse", names, diagram_exprs),
    st.builds(lambda a, b: f"check {a} == {b}", diagram_exprs, diagram_exprs),
    st.builds(lambda n, fmt, p: f'data {n} = {fmt}("{p}")', names,
              st.sampled_from(["csv", "json", "xml"]),
              st.sampled_from(["iris.csv", "coin.json", "nope.csv", "../x.csv", "/etc/hosts"])))
programs = st.lists(st.one_of(
    st.builds(lambda n, a, b: f"box {n} : {a} -> {b}", names, types, types),
    st.builds(lambda n, d: f"diagram {n} = {d}", names, diagram_exprs),
    models, queries), max_size=6).map("\n".join)


@fuzz
@given(programs)
def test_programs_from_the_grammar(source):
    assert is_clear(parse_or_refusal(source)[1])


# -- mutations of the examples --------------------------------------------------------------

edits = st.tuples(st.integers(0, 10**6), st.integers(0, 40),
                  st.one_of(st.text(max_size=8), st.sampled_from(
                      ["(", ")", "{", "}", "[", "]", ">>", "@", "~", "__class__", "\x00",
                       "\r\n", "\t", "1e999", "-", "'", '"', "é", "\u2028"])))


@fuzz
@given(st.sampled_from(EXAMPLE_SOURCES), st.lists(edits, min_size=1, max_size=4))
def test_mutated_examples(source, changes):
    for at, length, text in changes:
        i = at % (len(source) + 1)
        source = source[:i] + text + source[i + length:]
    assert is_clear(parse_or_refusal(source)[1])


@fuzz
@given(st.sampled_from(EXAMPLE_SOURCES), st.sampled_from(EXAMPLE_SOURCES),
       st.integers(0, 10**6), st.integers(0, 10**6))
def test_spliced_examples(first, second, i, j):
    assert is_clear(parse_or_refusal(
        first[:i % (len(first) + 1)] + second[j % (len(second) + 1):])[1])


@fuzz
@given(st.sampled_from(EXAMPLE_SOURCES), st.randoms(use_true_random=False))
def test_shuffled_lines_of_examples(source, random):
    lines = source.splitlines()
    random.shuffle(lines)
    assert is_clear(parse_or_refusal("\n".join(lines))[1])


# -- very long identifiers ---------------------------------------------------------------------

LONG_NAME_PLACES = [
    "box {n} : Real -> Real\ndiagram d = {n} >> {n}",
    "box f : Real -> Real\ndiagram d = {n} >> f",
    "model {n}({n}: Real) {{\n {n}2 ~ Normal({n}, 1)\n}}",
    "model m(x: Real) {{\n y ~ {n}(0, 1)\n}}",
    "model m(x: Real) {{\n y = {n}(x)\n}}",
    "model m(x: Real) {{\n y ~ Normal(0, 1)\n}}\nsample m(x = 1) with prior({n} = 1)",
    'data d = csv("iris.csv")\nmodel m(x: Real[N]) {{\n y ~ Normal(0, 1)\n}}\n'
    "sample m(x = d.{n}) with prior",
    "box f : {n} -> Real",
]


@settings(max_examples=max(8, EXAMPLES // 5), deadline=None, derandomize=not LONG)
@given(st.sampled_from(LONG_NAME_PLACES),
       st.integers(10**3, 10**5).map(lambda n: "v" * n) | st.just("a" * 100_000 + "'"))
def test_very_long_identifiers(template, name):
    program, refusal = parse_or_refusal(template.format(n=name))
    assert is_clear(refusal)
    if template.startswith("box {n}"):
        assert program["d"].boxes == (Box(name, Ty("Real"), Ty("Real")),) * 2


# -- deep nesting, 10,000 levels -------------------------------------------------------------------

def nested(opening: str, core: str, closing: str, depth: int = DEPTH) -> str:
    return opening * depth + core + closing * depth


F = "box f : Real -> Real\n"
M = "model m(x: Real) {{\n y = {}\n}}"
DEEP = {
    "parenthesised diagram": (F + "diagram d = " + nested("(", "f", ")"), 1),
    "right-nested composite": (F + "diagram d = " + nested("(f >> ", "f", ")"), DEPTH + 1),
    "left composite chain": (F + "diagram d = f" + " >> f" * DEPTH, DEPTH + 1),
    "negations": (M.format(nested("-(", "x", ")")), DEPTH),
    "unary minus run": (M.format("-" * DEPTH + "x"), DEPTH),
    "function calls": (M.format(nested("exp(", "x", ")")), DEPTH),
    "parentheses": (M.format(nested("(", "x", ")")), 0),
    "sum chain": (M.format(" + ".join(["x"] * DEPTH)), DEPTH - 1),
    "power tower": (M.format(" ** ".join(["x"] * DEPTH)), DEPTH - 1),
    "index chain": (M.format("x" + "[0]" * DEPTH), None),
    "nested lists": ("model m(x: Real) {\n y ~ Normal(0, 1)\n}\nsample m(x = "
                     + nested("[", "1", "]") + ") with prior", None),
    "nested loops": ("model m(n: Nat) {\n" + "".join(f"for i{k} in range(n) {{\n"
                                                      for k in range(DEPTH))
                     + "y ~ Normal(0, 1)\n" + "}\n" * DEPTH + "}", None),
    "unclosed parentheses": (F + "diagram d = " + "(" * DEPTH + "f", None),
    "unclosed braces": ("model m(x: Real) {\n" + "for i in range(3) {\n" * DEPTH, None),
}
if LONG:  # quadratic in the syntax layer today: see the report of issue 9
    DEEP["right-nested tensor"] = (F + "diagram d = " + nested("(f @ ", "f", ")"), DEPTH + 1)
    DEEP["tensor chain"] = (F + "diagram d = f" + " @ f" * DEPTH, DEPTH + 1)


@pytest.mark.parametrize("kind", sorted(DEEP))
def test_deep_nesting_never_recurses(kind):
    source, boxes = DEEP[kind]
    with python_recursion_limit():
        program, refusal = parse_or_refusal(source)
    assert is_clear(refusal)
    if boxes is not None:
        value = program["d"] if "d" in program else program["m"].diagram
        assert isinstance(value, Diagram) and len(value.boxes) == boxes


@pytest.mark.parametrize("extra, holds", [(0, True), (1, False)])
def test_laws_decided_on_deep_diagrams(extra, holds):
    source = F + "check " + nested("(f >> ", "f", ")") + " == f" + " >> f" * (DEPTH + extra)
    with python_recursion_limit():
        (result,) = parse(source).run()
    assert result["holds"] is holds


# -- 10^5-line files --------------------------------------------------------------------------------

def test_a_file_of_100000_lines():
    statements = 100_000 if LONG else 5_000
    every = 100_000 // statements
    lines = [f"box f{k // every} : Real -> Real" if k % every == 0 else
             ("# a comment line" if k % 3 else "") for k in range(100_000)]
    lines.append("diagram d = " + " >> ".join(f"f{k}" for k in range(0, statements, 7)))
    program = parse("\n".join(lines), "big.cat")
    assert len(program) == statements + 1
    assert len(program["d"].boxes) == len(range(0, statements, 7))
    broken = lines[:-1] + ["diagram d = f0 >> >> f1"]
    with pytest.raises(CatlearnError) as info:
        parse("\n".join(broken), "big.cat")
    assert (info.value.line, info.value.column) == (100_001, 19)


def test_a_model_of_20000_lines():
    n = 20_000 if LONG else 2_000
    body = "\n".join(f"  y{k} = y{k - 1} + {k}" for k in range(1, n))
    program = parse(f"model m(x: Real) {{\n  y0 = x\n{body}\n  return y{n - 1}\n}}")
    assert len(program["m"].diagram.boxes) >= n - 1
