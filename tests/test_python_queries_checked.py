"""``cl.infer`` checks a query against the model's definition as ``catlearn
run`` does (catlearn/lang/queries.py): a parameter an argument puts outside its
support is refused where the model reads it, in its Python file for a model
written as a Python function, instead of sampling with it."""
import numpy as np
import pytest

import catlearn as cl


@cl.model
def scaled(s: cl.Real, n: cl.Nat):
    w = cl.sample("w", cl.Normal(0, 2 * s))   # the line the error names
    with cl.plate("i", n):
        cl.sample("y", cl.Normal(w, 1))


def test_a_python_models_argument_outside_the_support_is_refused_at_its_line():
    with pytest.raises(cl.DistributionError) as caught:
        cl.infer(scaled, args={"s": -1.0, "n": 2}, method=cl.prior(draws=3))
    err = caught.value
    assert err.file == __file__ and "the line the error names" in str(err)
    assert "Normal: scale must be positive, got -2.0 (from 2 * s)" in str(err)


def test_a_loaded_models_argument_outside_the_support_is_refused():
    model = cl.parse("model m(s: Real) {\n    x ~ Normal(0, s)\n}")["m"]
    with pytest.raises(cl.DistributionError, match="scale must be positive, got -1.0"):
        cl.infer(model, args={"s": -1.0}, method=cl.prior(draws=3))


def test_a_data_index_out_of_range_is_refused_too():
    @cl.model
    def indexed(x: cl.Real[3], k: cl.Nat):
        cl.sample("y", cl.Normal(x[k], 1))   # the index named
    with pytest.raises(cl.CatlearnError, match="the index k of x reaches 5") as caught:
        cl.infer(indexed, args={"x": np.zeros(3), "k": 5}, method=cl.prior(draws=3))
    assert "the index named" in str(caught.value)


def test_valid_arguments_sample():   # the control
    draws = cl.infer(scaled, args={"s": 1.0, "n": 2}, data={"y": np.zeros(2)},
                     method=cl.importance(particles=50))
    assert np.asarray(draws.samples["w"]).size == 50 and np.isfinite(draws.samples["w"]).all()
