"""Bad programs: each fails with the right error class at the right line and column."""
import pytest

from catlearn.errors import (CatlearnError, CatlearnSyntaxError, CatlearnTypeError,
                             CompositionError, DataError, NotSupportedError, UnknownNameError)
from catlearn.lang import parse

BOXES = "box f : Real -> Real\nbox merge : Real * Real -> Real\n"

# (program, error class, line, column, words the message must contain)
BAD = [
    # syntax
    ("box f : Real -> -> Real", CatlearnSyntaxError, 1, 17, ["expected a name"]),
    ("box f Real -> Real", CatlearnSyntaxError, 1, 7, ["':'"]),
    ("diagram d = (f >> g", CatlearnSyntaxError, 1, 20, ["end of input", "')'"]),
    ("model m() { x ~ Normal(0, 1) ", CatlearnSyntaxError, 1, 30, ["end of input"]),
    ("diagram d = f $ g", CatlearnSyntaxError, 1, 15, ["'$'"]),
    ("model m() { 3 ~ Normal(0, 1) }", CatlearnSyntaxError, 1, 13, ["'3'"]),
    ("infer m(1) given () with nuts", CatlearnSyntaxError, 1, 9, ["must be named"]),
    # names
    (BOXES + "diagram d = f >> merj", UnknownNameError, 3, 18, ["merj", "did you mean 'merge'"]),
    ("box f : Reel -> Real", UnknownNameError, 1, 9, ["Reel", "did you mean 'Real'"]),
    (BOXES + "diagram d = frob(3)", UnknownNameError, 3, 13, ["frob"]),
    (BOXES + "box f : Real -> Real", UnknownNameError, 3, 5, ["f is already defined on line 1"]),
    ("model m() { x ~ Normall(0, 1) }", UnknownNameError, 1, 17, ["did you mean 'Normal'"]),
    ("model m() { x ~ Normal(0, 1)\n y = exq(x) }", UnknownNameError, 2, 6,
     ["exq", "did you mean 'exp'"]),
    ("model m() {\n y ~ Normal(x, 1)\n x ~ Normal(0, 1) }", UnknownNameError, 2, 13,
     ["x is used before it is defined", "line 3"]),
    ("model m() { y ~ Normal(mu, 1) }", UnknownNameError, 1, 24, ["unknown name 'mu'"]),
    ("model m() {\n x ~ Normal(0, 1)\n x ~ Normal(0, 1) }", UnknownNameError, 3, 2,
     ["x is defined twice"]),
    ("model m(T: Nat) {\n for t in range(1, T) {\n  x[t] ~ Normal(x[t-1], 1)\n }\n}",
     UnknownNameError, 3, 17, ["x[0]", "not defined before the loop"]),
    ("model m(x: Real) { y ~ Normal(x, 1) }\ninfer m(xx = 1) given () with nuts",
     UnknownNameError, 2, 9, ["no argument 'xx'", "did you mean 'x'"]),
    ("model m(x: Real) { y ~ Normal(x, 1) }\ninfer m(x = 1) given (yy = 2) with nuts",
     UnknownNameError, 2, 23, ["no random variable 'yy'", "did you mean 'y'"]),
    ("model m(x: Real) { y ~ Normal(x, 1) }\ninfer m(x = 1) given (y = 2) with nutz",
     UnknownNameError, 2, 35, ["unknown method 'nutz'", "did you mean 'nuts'"]),
    ("diagram d = relu(Real) \nlearner l = learn d with loss = msee", UnknownNameError, 2, 33,
     ["did you mean 'mse'"]),
    ("data d = cvs(\"x.csv\")", UnknownNameError, 1, 10, ["did you mean 'csv'"]),
    # types and arity
    (BOXES + "diagram bad = f >> merge", CompositionError, 3, 17,
     ["the codomain of f (Real) does not match the domain of merge (Real * Real)"]),
    (BOXES + "check f >> f == merge", CatlearnTypeError, 3, 14,
     ["Real -> Real", "Real * Real -> Real"]),
    (BOXES + "diagram d = swap(Real)", CatlearnTypeError, 3, 13, ["swap(A, B) takes 2"]),
    (BOXES + "diagram d = dense(Real, 3)", CatlearnTypeError, 3, 19, ["n_in must be"]),
    (BOXES + "diagram d = relu @ f", CatlearnTypeError, 3, 13, ["cannot tell the type of relu"]),
    ("model m() { x ~ Normal(0) }", CatlearnTypeError, 1, 17, ["Normal(loc, scale)"]),
    ("model m() { x ~ Normal(0, 1)\n y = dot(x) }", CatlearnTypeError, 2, 6, ["dot takes 2"]),
    ("model m(a: Real[3], b: Real[4]) { c = a + b }", CatlearnTypeError, 1, 41,
     ["[3] and [4] do not broadcast"]),
    ("model m(a: Real[3], b: Real[4]) { c = dot(a, b) }", CatlearnTypeError, 1, 39,
     ["dot", "differ"]),
    ("model m(a: Real[3]) { x ~ Normal(a, 1)\n y ~ Normal(x[0, 1], 1) }", CatlearnTypeError, 2, 13,
     ["2 indices"]),
    ("model m(a: Real[3], s: Real) { x = a[s] }", CatlearnTypeError, 1, 38,
     ["index must be an integer"]),
    ("model m(T: Nat) {\n x[0] ~ Normal(0, 1)\n for t in range(1, T) {\n"
     "  x[t] ~ Poisson(exp(x[t-1]))\n }\n}", CatlearnTypeError, 3, 2,
     ["state x", "changes type", "Real", "Nat"]),
    ("model m(J: Nat) { for j in range(J) { z ~ Normal(0, 1) } }", CatlearnTypeError, 1, 39,
     ["write z[j] ~"]),
    ("model m(s: Real) { for j in range(s) { z[j] ~ Normal(0, 1) } }", CatlearnTypeError, 1, 35,
     ["range bound"]),
    ("model m() { x ~ Normal(0, 1)\n return x\n y ~ Normal(x, 1) }", CatlearnTypeError, 2, 2,
     ["return must be the last"]),
    ("model m(T: Nat) {\n x[1] ~ Normal(0, 1)\n for t in range(2, T) {\n"
     "  x[t] ~ Normal(x[t-2], 1)\n }\n}", UnknownNameError, 4, 17,
     ["x[t-2] at the first iteration reads x[0]"]),
    # data
    ("data d = csv(\"does_not_exist.csv\")", DataError, 1, 1, ["cannot read"]),
    ("model m(x: Real[N]) { y ~ Normal(x, 1) }\ninfer m(x = [[1, 2], [3, 4]]) given () with nuts",
     DataError, 2, 9, ["needs 1 axes"]),
    ("model m(n: Nat) { y ~ Normal(0, 1) }\nsample m(n = 2.5) with prior", DataError, 2, 10,
     ["whole number"]),
]


@pytest.mark.parametrize("source, cls, line, column, words", BAD)
def test_bad_program_is_located(source, cls, line, column, words):
    with pytest.raises(CatlearnError) as info:
        parse(source, "bad.cat")
    err = info.value
    assert type(err) is cls, f"{type(err).__name__}: {err}"
    assert (err.line, err.column) == (line, column), str(err)
    for word in words:
        assert word in err.message, err.message
    rendered = str(err).splitlines()
    assert rendered[0].startswith(f"bad.cat:{line}:{column}: ")
    assert rendered[2].index("^") == 4 + column - 1  # the caret under the column


def test_at_least_thirty_bad_programs():
    assert len(BAD) >= 30
