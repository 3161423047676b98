"""``fit`` trains a network with dropout in train mode (a fresh mask each minibatch,
from fit's key) and predicts in eval mode."""
import copy

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import catlearn as cl
from catlearn.categories.para import Para
from catlearn.categories.sampler import samplers
from catlearn.errors import NotSupportedError
from catlearn.functor import Functor
from catlearn.learning.learner import by_position, layer_names

NET = cl.dense(3, 8) >> cl.relu >> cl.dropout(0.5, 8) >> cl.dense(8, 1)
X = jax.random.normal(jax.random.key(0), (20, 3))
Y = jnp.sum(X, axis=1, keepdims=True)


def trained(learner, key, params=None):
    params = learner.init(jax.random.key(1)) if params is None else params
    return learner.fit(params, X, Y, epochs=2, batch_size=5, key=key, progress=False)[0]


def test_training_with_dropout_is_not_training_in_eval_mode():
    learner = cl.learn(NET, optimizer=cl.sgd(0.05))
    in_eval_mode = copy.copy(learner)
    in_eval_mode.train_update = None   # the same learner with its update in eval mode
    with_masks = trained(learner, jax.random.key(2))
    without = trained(in_eval_mode, jax.random.key(2))
    assert not np.allclose(with_masks.weights["dense_0"]["w"], without.weights["dense_0"]["w"])


def test_the_same_key_trains_the_same_network_and_another_key_another():
    learner = cl.learn(NET, optimizer=cl.adam(0.01))
    once, again = trained(learner, jax.random.key(2)), trained(learner, jax.random.key(2))
    other = trained(learner, jax.random.key(3))
    for name in ("dense_0", "dense_1"):
        np.testing.assert_array_equal(once.weights[name]["w"], again.weights[name]["w"])
    assert not np.allclose(once.weights["dense_0"]["w"], other.weights["dense_0"]["w"])


def test_a_train_step_descends_the_gradient_with_the_steps_mask():
    rate, key = 0.1, jax.random.key(5)
    learner = cl.learn(NET, loss=cl.mse, optimizer=cl.sgd(rate))
    params = learner.init(jax.random.key(1))
    stepped = learner.train_update(params, (X,), (Y,), key)
    sampled, to_params = Functor(cod=Para(samplers))(NET).arrow, by_position(layer_names(NET))

    def loss(weights):   # the network in train mode at the step's key: its mask
        return cl.mse.fn(*sampled.fn(key, to_params(weights), X), Y)
    grads = jax.grad(loss)(params.weights)
    for name in ("dense_0", "dense_1"):
        for part in ("w", "b"):
            np.testing.assert_allclose(stepped.weights[name][part],
                                       params.weights[name][part] - rate * grads[name][part],
                                       rtol=1e-5, atol=1e-6)
    eval_step = learner.update(params, (X,), (Y,))   # a control: without the mask
    assert not np.allclose(eval_step.weights["dense_0"]["w"], stepped.weights["dense_0"]["w"])


def test_prediction_after_training_is_eval_mode():
    learner = cl.learn(NET)
    params = trained(learner, jax.random.key(2))
    first, last = params.weights["dense_0"], params.weights["dense_1"]
    by_hand = jax.nn.relu(X @ first["w"] + first["b"]) @ last["w"] + last["b"]
    np.testing.assert_allclose(learner.predict(params, X), by_hand, rtol=1e-5)


def test_a_network_without_dropout_has_no_train_mode():
    assert cl.learn(cl.dense(3, 1)).train_update is None


@pytest.mark.parametrize("op", [lambda a, b: a >> b, lambda a, b: a @ b], ids=[">>", "@"])
def test_learners_with_dropout_are_composed_as_networks_not_as_learners(op):
    with pytest.raises(NotSupportedError, match="learn is given the whole network"):
        op(cl.learn(cl.dense(3, 8) >> cl.dropout(0.5, 8)), cl.learn(cl.dense(8, 1)))
