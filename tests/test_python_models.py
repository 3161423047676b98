"""Models written as Python functions equal the same models written in the language."""
import numpy as np
import pytest

import catlearn as cl
from catlearn.lang import python as py
from catlearn.lang.python import (Bernoulli, Beta, HalfCauchy, HalfNormal, Nat, Normal, Pos,
                                  Real, Uniform, deterministic, factor, model, plate, sample)


@model
def coin(n: Nat):
    p = sample("p", Beta(1, 1))
    with plate("i", n):
        sample("flips", Bernoulli(p))


@model
def linreg(x: Real["N"]):
    w = sample("w", Normal(0, 1))
    b = sample("b", Normal(0, 1))
    sigma = sample("sigma", HalfNormal(1))
    mu = deterministic("mu", w * x + b)  # the language reports mu = w * x + b
    sample("y", Normal(mu, sigma))
    return mu


@model
def eight_schools(J: Nat, sigma: Pos["J"]):
    mu = sample("mu", Normal(0, 5))
    tau = sample("tau", HalfCauchy(5))
    with plate("j", J) as j:
        theta_raw = sample("theta_raw", Normal(0, 1))
        sample("y", Normal(mu + tau * theta_raw, sigma[j]))


@model
def ar1(T: Nat):
    rho = sample("rho", Uniform(-1, 1))
    x = sample("x", Normal(0, 1), at=0)
    sample("y", Normal(x, 0.5), at=0)
    with py.scan("t", 1, T) as t:
        xt = sample("x", Normal(rho * x[t - 1], 1))
        sample("y", Normal(xt, 0.5))


def boxes(m):
    return sorted(repr(box.key) for box in m.diagram.boxes)


@pytest.mark.parametrize("python, path, name", [
    (coin, "examples/coin.cat", "coin"), (linreg, "examples/linreg.cat", "linreg"),
    (eight_schools, "examples/eight_schools.cat", "eight_schools"),
    (ar1, "examples/lgss.cat", "ar1")])
def test_a_python_model_is_the_language_model(python, path, name):
    theirs = cl.load(path)[name]
    assert python == theirs
    # Model equality is up to the Markov axioms, under which a model with no
    # outputs discards every sample box: the boxes must be the same ones too
    # (a loop's box holds its body, whose outputs are its sites, compared up to
    # the axioms); only the order of a loop's shared wires may differ
    assert boxes(python) == boxes(theirs)
    assert (python.args, python.returns) == (theirs.args, theirs.returns)


def test_a_different_model_is_not_equal():   # negative control
    @model
    def coin(n: Nat):
        p = sample("p", Beta(2, 1))
        with plate("i", n):
            sample("flips", Bernoulli(p))
    assert boxes(coin) != boxes(cl.load("examples/coin.cat")["coin"])


def test_a_python_model_gives_the_language_models_posterior():
    data = {"flips": np.array([1, 1, 0, 1, 0, 1, 1, 1, 0, 1])}
    method = cl.importance(particles=2000, seed=0)
    ours = cl.infer(coin, args={"n": 10}, data=data, method=method)
    theirs = cl.infer(cl.load("examples/coin.cat")["coin"], args={"n": 10}, data=data,
                      method=method)
    np.testing.assert_array_equal(ours.samples["p"], theirs.samples["p"])
    assert ours.log_evidence == theirs.log_evidence


def test_factor_is_a_score():
    @model
    def soft(x: Real):
        z = sample("z", Normal(0, 1))
        factor(-(z - x) * (z - x))
    assert soft == cl.parse("model soft(x: Real) {\n z ~ Normal(0, 1)\n factor(-(z - x) * (z - x))\n}")["soft"]


def test_a_shape_error_names_the_python_line():
    with pytest.raises(cl.CatlearnTypeError) as caught:
        @model
        def bad(x: Real[3], z: Real[4]):
            sample("y", Normal(x, z))   # line of the mistake
    err = caught.value
    assert err.file == __file__ and "Normal" in str(err)
    assert "line of the mistake" in str(err)


def test_python_mistakes_in_models():
    with pytest.raises(cl.CatlearnTypeError, match="needs a type"):
        @model
        def untyped(x):
            sample("w", Normal(x, 1))
    with pytest.raises(cl.CatlearnTypeError, match="no truth value"):
        @model
        def branching(x: Real):
            if x:
                sample("w", Normal(0, 1))
    with pytest.raises(cl.CatlearnTypeError, match="draw from a distribution"):
        @model
        def no_dist(x: Real):
            sample("w", 3.0)
    with pytest.raises(cl.CatlearnTypeError, match="pass data as an argument"):
        @model
        def with_data(x: Real):
            sample("w", Normal(np.zeros(3), 1))
    with pytest.raises(cl.CatlearnTypeError, match="@model"):
        sample("w", Normal(0, 1))


def test_given_is_the_data_of_the_query():
    data = {"flips": np.array([1, 0, 1])}
    method = cl.importance(particles=100, seed=0)
    a = cl.infer(coin, args={"n": 3}, data=data, method=method)
    b = cl.infer(coin, args={"n": 3}, given=data, method=method)
    np.testing.assert_array_equal(a.samples["p"], b.samples["p"])
    with pytest.raises(cl.InferenceError, match="not both"):
        cl.infer(coin, args={"n": 3}, data=data, given=data, method=method)
