"""A call one argument short (scikit-learn's ``learner.fit(x, y)``, where
catlearn takes the parameters first) names what is missing and the order the
arguments come in, as a CatlearnTypeError, not Python's bare TypeError."""
import jax
import numpy as np
import pytest

import catlearn as cl
from catlearn.options import checked_options

X = np.random.default_rng(0).random((10, 4), np.float32)
Y = np.arange(10) % 3
CLF = cl.learn(cl.dense(4, 3) >> cl.softmax(3), loss=cl.cross_entropy)


@pytest.mark.parametrize("call, words", [
    (lambda: CLF.fit(X, Y), r"fit\(params, x, y\) is missing y \(given 2 arguments"),
    (lambda: CLF.predict(X), r"predict\(params, x\) is missing x \(given 1 argument:"),
    (lambda: CLF.accuracy(X, Y), r"accuracy\(params, x, y\) is missing y"),
    (lambda: CLF.loss(X, Y), r"loss\(params, xs, ys\) is missing ys"),
    (lambda: cl.fit(CLF, X, Y), r"fit\(learner, params, x, y\) is missing y"),
    (lambda: cl.loss(CLF, X, Y), r"loss\(learner, params, x, y\) is missing y"),
    (lambda: CLF.init(), r"init\(key\) is missing key \(given 0 arguments"),
    (lambda: CLF.init(0), r"init: key must be a JAX key such as jax.random.key\(0\)"),
], ids=["fit", "predict", "accuracy", "loss", "cl.fit", "cl.loss", "init", "init-seed"])
def test_a_call_one_argument_short_names_what_is_missing(call, words):
    with pytest.raises(cl.CatlearnTypeError, match=words):
        call()


def test_the_same_calls_in_full_run():   # the control
    params = CLF.init(jax.random.key(0))
    assert CLF.predict(params, X).shape == (10, 3)
    assert CLF.predict(params=params, x=X).shape == (10, 3)   # by name too
    assert 0 <= CLF.accuracy(params, X, Y) <= 1
    assert np.isfinite(CLF.loss(params, X, Y))


def test_keyword_only_and_defaulted_arguments_are_counted_by_name():
    @checked_options
    def f(a, b=1, *, c):
        return a + b + c
    with pytest.raises(cl.CatlearnTypeError, match=r"f\(a, c\) is missing c"):
        f(1, 2)
    assert f(1, 2, c=3) == 6 and f(a=1, c=3) == 5
