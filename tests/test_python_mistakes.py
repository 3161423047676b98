"""Ordinary mistakes made from Python, each a CatlearnError naming the user's words.

The cases of issue 19 (``clf.loss`` on bare arrays, ``predict(None, X)``, one
target for two side-by-side learners, ``fit(key=0)``, ``Box("f", "Real",
"Real")``, ``dense(2, 2) @ relu``, NumPyro's option names) and their families;
then the typed learners: types checked when learners are composed, weights
named by layer the same whether composed before or after ``learn``.
"""
import jax
import jax.numpy as jnp
import numpy as np
import pytest

import catlearn as cl
from catlearn.categories.learn import Parameters
from catlearn.errors import (CatlearnError, CatlearnTypeError, CompositionError, DataError,
                             InferenceError, UnknownNameError)

X = np.random.default_rng(0).normal(size=(40, 4)).astype(np.float32)
Y = np.random.default_rng(1).integers(0, 3, 40)
CLF = cl.learn(cl.dense(4, 8) >> cl.relu(8) >> cl.dense(8, 3), loss=cl.cross_entropy,
               optimizer=cl.adam(0.01))
PARAMS = CLF.init(jax.random.key(0))


def raises(cls, *words):
    """A context asserting a ``cls`` whose message holds every one of ``words``."""
    class Check:
        def __enter__(self):
            self.ctx = pytest.raises(cls)
            self.info = self.ctx.__enter__()
            return self.info

        def __exit__(self, *exc):
            out = self.ctx.__exit__(*exc)
            message = str(self.info.value)
            for word in words:
                assert word in message, (word, message)
            assert isinstance(self.info.value, CatlearnError)
            return out
    return Check()


# -- learners -------------------------------------------------------------------

def test_loss_takes_bare_arrays_like_fit_and_predict():
    # the issue's clf.loss(params, X, Y) ended in "takes 2 positional arguments
    # but 41 were given"; bare arrays now mean one wire each, as in fit
    assert float(CLF.loss(PARAMS, X, Y)) == pytest.approx(cl.loss(CLF, PARAMS, X, Y), rel=1e-5)
    with raises(DataError, "loss", "1 input wire", "gives 2"):
        CLF.loss(PARAMS, (X, X), Y)


def test_predict_without_parameters():
    with raises(CatlearnTypeError, "predict", "params is None"):
        CLF.predict(None, X)


def test_predict_with_what_fit_returned_unpacked_wrongly():
    fitted = CLF.fit(None, X, Y, epochs=1, progress=False)   # (params, history)
    with raises(CatlearnTypeError, "predict", "params, history = fit"):
        CLF.predict(fitted, X)
    assert CLF.predict(fitted[0], X).shape == (40, 3)        # negative control


def test_predict_takes_the_weights_alone():
    np.testing.assert_allclose(CLF.predict(PARAMS.weights, X), CLF.predict(PARAMS, X))


def test_predict_on_inputs_of_the_wrong_width():
    with raises(DataError, "predict", "dense(4, 8)"):
        CLF.predict(PARAMS, X[:, :3])


def test_two_side_by_side_learners_need_one_target_each():
    a, b = cl.learn(cl.dense(4, 1)), cl.learn(cl.dense(4, 1))
    with raises(DataError, "fit", "Real[4] * Real[4] -> Real[1] * Real[1]", "2 targets",
                "gives 1"):
        (a @ b).fit(None, (X, X), Y, progress=False)
    with raises(DataError, "fit", "2 input wires", "gives 1"):
        (a @ b).fit(None, X, (Y, Y), progress=False)


def test_a_bare_seed_for_a_key():
    with raises(CatlearnTypeError, "fit", "jax.random.key(0)", "the int 0"):
        CLF.fit(None, X, Y, key=0, progress=False)
    with raises(CatlearnTypeError, "train_test_split", "key"):
        cl.train_test_split(3, X, Y, 0.2)


@pytest.mark.parametrize("option, suggestion", [("epoch", "epochs"), ("num_epochs", "epochs"),
                                                ("batch", "batch_size")])
def test_misspelt_fit_options(option, suggestion):
    with raises(UnknownNameError, f"'{option}'", f"did you mean '{suggestion}'"):
        CLF.fit(None, X, Y, progress=False, **{option: 2})


def test_fit_with_the_weights_alone_names_the_optimiser_state():
    with raises(CatlearnTypeError, "fit", "optimiser's state"):
        CLF.fit(PARAMS.weights, X, Y, progress=False)


def test_learn_of_what_is_not_a_diagram():
    with raises(CatlearnTypeError, "learn(relu)", "relu(4)"):
        cl.learn(cl.relu)
    with raises(CatlearnTypeError, "learn", "str"):
        cl.learn("mlp")
    with raises(CatlearnTypeError, "optimizer", "adam()"):
        cl.learn(cl.dense(4, 3), optimizer=cl.adam)


def test_fit_of_what_is_not_a_learner():
    with raises(CatlearnTypeError, "fit", "learner"):
        cl.fit(cl.dense(4, 3), None, X, Y)


# -- diagrams --------------------------------------------------------------------

def test_box_types_given_as_strings():
    with raises(CatlearnTypeError, "Box 'f'", "domain", "Ty('Real')"):
        cl.Box("f", "Real", "Real")
    with raises(CatlearnTypeError, "Box 'f'", "codomain"):
        cl.Box("f", cl.Ty("Real"), "Real")
    with raises(CatlearnTypeError, "Ty", "the int 4"):
        cl.Ty(4)


def test_an_activation_side_by_side():
    with raises(CompositionError, "dense(2, 2) @ relu", "relu(2)"):
        cl.dense(2, 2) @ cl.relu
    with raises(CompositionError, "relu @ dense(2, 2)"):
        cl.relu @ cl.dense(2, 2)
    assert (cl.dense(2, 2) @ cl.relu(2)).cod == cl.Ty("Real")[2] @ cl.Ty("Real")[2]


def test_composing_a_diagram_with_what_is_not_one():
    with raises(CompositionError, "dense", "the int 3"):
        cl.dense(2, 2) >> 3
    with raises(CompositionError, "the int 3"):
        3 >> cl.dense(2, 2)
    with raises(CompositionError, "the str"):
        cl.relu >> "dense"
    with raises(CatlearnTypeError, "relu(n)", "0"):
        cl.relu(0)


def test_a_learner_composed_with_a_diagram():
    with raises(CompositionError, "Real[4] -> Real[3]", "learn(...) it first"):
        CLF >> cl.dense(3, 2)


# -- inference options -----------------------------------------------------------

@pytest.mark.parametrize("method, option, suggestion", [
    (cl.nuts, "num_chains", "chains"), (cl.nuts, "num_warmup", "warmup"),
    (cl.hmc, "num_samples", "samples"), (cl.hmc, "num_integration_steps", "num_steps"),
    (cl.nuts, "target_accept_prob", "target_accept"), (cl.smc, "num_particles", "particles"),
    (cl.importance, "num_particles", "particles"), (cl.prior, "num_draws", "draws"),
    (cl.rmsmc, "particle", "particles"), (cl.pmmh, "num_samples", "samples")])
def test_numpyro_option_names_suggest_catlearn_ones(method, option, suggestion):
    with raises(UnknownNameError, f"'{option}'", f"did you mean '{suggestion}'"):
        method(**{option: 2})


def test_positional_options_are_named():
    with raises(UnknownNameError, "importance takes at most 3"):
        cl.importance(100, 0, None, 3)


MODEL = cl.load("examples/coin.cat")["coin"]


def test_infer_options_and_keys():
    method = cl.importance(particles=10)
    with raises(UnknownNameError, "'rng_key'", "did you mean 'key'"):
        cl.infer(MODEL, args={"n": 2}, data={"flips": [1, 0]}, method=method, rng_key=1)
    with raises(CatlearnTypeError, "infer coin", "key", "the int 1"):
        cl.infer(MODEL, args={"n": 2}, data={"flips": [1, 0]}, method=method, key=1)
    with raises(InferenceError, "nuts", "method=nuts()"):
        cl.infer(MODEL, args={"n": 2}, data={"flips": [1, 0]}, method=cl.nuts)
    with raises(InferenceError, "infer", "model"):
        cl.infer("coin", method=method)


# -- typed learners ----------------------------------------------------------------

def test_learners_carry_their_types():
    assert (CLF.dom, CLF.cod) == (cl.Ty("Real")[4], cl.Ty("Real")[3])
    both = cl.learn(cl.dense(4, 2)) @ cl.learn(cl.dense(3, 1))
    assert (both.dom, both.cod) == (cl.Ty("Real")[4] @ cl.Ty("Real")[3],
                                    cl.Ty("Real")[2] @ cl.Ty("Real")[1])


def test_mismatched_learners_are_refused_when_composed():
    with raises(CompositionError, "Real[4] -> Real[8]", "Real[16] -> Real[3]"):
        cl.learn(cl.dense(4, 8)) >> cl.learn(cl.dense(16, 3))
    assert (cl.learn(cl.dense(4, 8)) >> cl.learn(cl.dense(8, 3))).cod == cl.Ty("Real")[3]


def test_mismatched_para_morphisms_are_refused_when_composed():
    f, g = cl.learning.to_para(cl.dense(4, 8)), cl.learning.to_para(cl.dense(16, 3))
    assert (f.dom, f.cod) == (cl.Ty("Real")[4], cl.Ty("Real")[8])
    with raises(CompositionError, "Real[8]", "Real[16]"):
        cl.para.compose(f, g)


def shapes(params):
    return {name: {k: v.shape for k, v in layer.items()} for name, layer in params.items()}


def test_weights_are_named_by_layer_the_same_before_or_after_learn():
    d1, d2 = cl.dense(4, 8) >> cl.relu(8), cl.dense(8, 3)
    before = cl.learn(d1 >> d2, loss=cl.cross_entropy)
    after = cl.learn(d1, loss=cl.mse) >> cl.learn(d2, loss=cl.cross_entropy)
    p, q = before.init(jax.random.key(0)), after.init(jax.random.key(0))
    assert isinstance(p, Parameters) and isinstance(q, Parameters)
    assert shapes(p.weights) == shapes(q.weights) == {
        "dense_0": {"w": (4, 8), "b": (8,)}, "dense_1": {"w": (8, 3), "b": (3,)}}
    # the same weights give the same predictions either way
    np.testing.assert_allclose(before.predict(p.weights, X), after.predict(p.weights, X),
                               rtol=1e-6)
    # and the optimiser state is apart from them: sgd keeps none
    assert jax.tree.leaves(p.state) == []


def test_the_optimiser_state_mirrors_the_named_weights():
    params = CLF.init(jax.random.key(0))
    names = {str(path[-2]) for path, _ in jax.tree_util.tree_flatten_with_path(
        params.state)[0] if len(path) >= 2}
    assert {"['dense_0']", "['dense_1']"} <= names


def test_training_a_composite_updates_every_named_layer():
    reg = cl.learn(cl.dense(4, 4), optimizer=cl.sgd(0.1)) >> cl.learn(cl.dense(4, 1),
                                                                      optimizer=cl.sgd(0.1))
    start = reg.init(jax.random.key(0))
    trained, history = reg.fit(start, X, X[:, :1], epochs=3, progress=False)
    assert set(trained.weights) == {"dense_0", "dense_1"}
    for name in trained.weights:
        assert not np.allclose(trained.weights[name]["w"], start.weights[name]["w"])
    assert history[-1] < history[0]
