"""Training learners: fit, predict, accuracy, NaN detection, composite learners."""
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from catlearn.errors import DataError, TrainingError
from catlearn.learning import Loss, adam, cross_entropy, learn, mse, nll, sgd
from catlearn.primitives.nn import dense, relu, tanh


def iris():
    data = np.genfromtxt("examples/iris.csv", delimiter=",", names=True,
                         dtype=None, encoding=None)
    names = data.dtype.names
    x = np.stack([data[n] for n in names[:4]], axis=1).astype(np.float32)
    labels = data[names[4]]
    classes = sorted(set(labels))
    y = np.array([classes.index(v) for v in labels])
    return (x - x.mean(0)) / x.std(0), y


def test_mlp_learns_iris_and_is_reproducible():
    x, y = iris()
    clf = learn(dense(4, 16) >> relu(16) >> dense(16, 3), loss=cross_entropy, optimizer=adam(0.01))
    params, history = clf.fit(None, x, y, epochs=40, batch_size=16, key=jax.random.key(0),
                              progress=False)
    assert len(history) == 40 and history[-1] < history[0]
    assert clf.accuracy(params, x, y) >= 0.95
    again, _ = clf.fit(None, x, y, epochs=40, batch_size=16, key=jax.random.key(0),
                       progress=False)
    for a, b in zip(jax.tree.leaves(params), jax.tree.leaves(again)):
        np.testing.assert_array_equal(a, b)


def test_progress_bar_shows_the_loss(capsys):
    x, y = iris()
    clf = learn(dense(4, 3), loss=cross_entropy, optimizer=sgd(0.1))
    clf.fit(None, x, y, epochs=2, batch_size=50, progress=True)
    assert "loss=" in capsys.readouterr().err


def test_divergence_stops_with_the_step_and_the_layer():
    x = jnp.linspace(0, 10, 64)[:, None]
    reg = learn(dense(1, 4) >> tanh(4) >> dense(4, 1), loss=mse, optimizer=sgd(1e3))
    with pytest.raises(TrainingError) as caught:
        reg.fit(None, x, 100 * x, epochs=5, batch_size=8, key=jax.random.key(0),
                progress=False)
    message = str(caught.value)
    assert "training stopped at step" in message
    assert "dense_1 (dense(4, 1))" in message and "smaller learning rate" in message


def test_a_loss_that_is_not_finite_on_finite_parameters_names_the_data():
    # log(y - 1) at y = 1: the data are finite, the loss is not
    log_loss = Loss("log_loss", lambda yhat, y: jnp.mean(yhat) - jnp.mean(jnp.log(y - 1)))
    with pytest.raises(TrainingError, match="step 1 .*check the data"):
        learn(dense(2, 1), log_loss).fit(None, jnp.ones((8, 2)), jnp.ones(8), batch_size=4,
                                         progress=False)


def test_data_that_is_not_finite_is_refused_before_training():
    with pytest.raises(DataError, match="y holds NaN at example 0"):
        learn(dense(2, 1)).fit(None, jnp.ones((8, 2)), jnp.full(8, jnp.nan), progress=False)


def test_mismatched_data_is_a_data_error():
    with pytest.raises(DataError, match="same number of examples"):
        learn(dense(2, 1)).fit(None, jnp.ones((8, 2)), jnp.ones(7), progress=False)


def test_composite_learners_train():
    """learn(a) >> learn(b): the second learner asks the first for the inputs it
    wants (Backprop as Functor); the composite fits a function neither part
    fits alone."""
    x = jnp.linspace(-2, 2, 128)[:, None]
    y = jnp.sin(2 * x)
    first = learn(dense(1, 16) >> tanh(16), loss=mse, optimizer=adam(0.02))
    second = learn(dense(16, 1), loss=mse, optimizer=adam(0.02))
    both = first >> second
    params, history = both.fit(None, x, y, epochs=150, batch_size=32, key=jax.random.key(0),
                               progress=False)
    assert history[-1] < 0.1 * history[0]
    assert float(jnp.mean((both.predict(params, x) - y) ** 2)) < 0.05


def test_tensor_of_learners_trains_both_sides():
    x1 = jax.random.normal(jax.random.key(0), (64, 2))
    x2 = jax.random.normal(jax.random.key(1), (64, 3))
    y1, y2 = x1 @ jnp.array([[1.0], [-2.0]]), jnp.argmax(x2, axis=1)
    pair = learn(dense(2, 1), mse, sgd(0.2)) @ learn(dense(3, 3), cross_entropy, adam(0.05))
    params, history = pair.fit(None, (x1, x2), (y1, y2), epochs=60, batch_size=16,
                               key=jax.random.key(2), progress=False)
    out1, out2 = pair.predict(params, (x1, x2))
    assert float(jnp.mean((out1 - y1) ** 2)) < 1e-2
    assert float(jnp.mean(jnp.argmax(out2, 1) == y2)) > 0.9


def test_nll_learns_a_gaussian_mean():
    x = jnp.linspace(-1, 1, 64)[:, None]
    y = 2 * x[:, 0] + 0.5
    reg = learn(dense(1, 1), loss=nll("Normal", scale=1.0), optimizer=sgd(0.5))
    # the model outputs the location: shape (N, 1) against y of shape (N,)
    params, _ = reg.fit(None, x, y[:, None], epochs=60, batch_size=16,
                        key=jax.random.key(0), progress=False)
    np.testing.assert_allclose(params.weights["dense_0"]["w"][0, 0], 2.0, atol=0.05)
    np.testing.assert_allclose(params.weights["dense_0"]["b"][0], 0.5, atol=0.05)


def test_nll_learns_a_gaussian_mean_and_scale_from_two_outputs():
    from catlearn.primitives.nn import softplus
    from catlearn.syntax.diagram import Copy
    R1 = dense(1, 1).dom
    model = Copy(R1) >> (dense(1, 1) @ (dense(1, 1) >> softplus(1)))   # loc, scale
    x = jnp.ones((512, 1))
    y = 1.5 + 0.5 * jax.random.normal(jax.random.key(0), (512, 1))
    reg = learn(model, loss=nll("Normal"), optimizer=adam(0.05))
    params, _ = reg.fit(None, x, y, epochs=60, batch_size=64, key=jax.random.key(1),
                        progress=False)
    loc, scale = reg.predict(params, x[:1])
    np.testing.assert_allclose(float(loc[0, 0]), float(jnp.mean(y)), atol=0.05)
    np.testing.assert_allclose(float(scale[0, 0]), float(jnp.std(y)), atol=0.05)


def test_losses_and_optimisers_by_name():
    from catlearn.errors import UnknownNameError
    x, y = iris()
    clf = learn(dense(4, 3), loss="cross_entropy", optimizer="adam")
    params, history = clf.fit(None, x, y, epochs=5, batch_size=16, progress=False)
    assert history[-1] < history[0]
    with pytest.raises(UnknownNameError, match="unknown loss 'cross_entropi'; did you mean "
                                               "'cross_entropy'"):
        learn(dense(4, 3), loss="cross_entropi")


def test_a_loss_of_the_wrong_arity_is_a_type_error():
    from catlearn.errors import CatlearnTypeError
    with pytest.raises(CatlearnTypeError, match="nll\\(Normal\\) compares 2 prediction"):
        learn(dense(1, 1), loss=nll("Normal"))
