"""conv2d, max_pool, reshape, embedding, layer_norm, attention and residual: what
each computes, its lens against jax.grad, and typed composition."""
import jax
import jax.numpy as jnp
import numpy as np
import pytest

import catlearn as cl
from catlearn.categories.lens import parametric_lens
from catlearn.categories.para import para
from catlearn.errors import CatlearnTypeError, CompositionError
from catlearn.functor import Functor
from catlearn.categories.para import Para
from catlearn.categories.sampler import samplers
from catlearn.primitives.layers import (attention, conv2d, dropout, embedding, layer_norm,
                                        max_pool, reshape, residual)
from catlearn.primitives.nn import dense, relu

to_para = Functor(cod=para)


def net_of(diagram):
    net = to_para(diagram)
    return net, net.init(jax.random.key(0))


def normal(shape, seed=1):
    return jax.random.normal(jax.random.key(seed), shape)


CASES = [  # (diagram, a batch of inputs)
    (conv2d(6, 5, 2, 3, kernel=3), normal((4, 6, 5, 2))),
    (conv2d(7, 7, 1, 2, kernel=3, stride=2, padding="valid"), normal((4, 7, 7, 1))),
    (max_pool(4, 6, 2) >> reshape((2, 3, 2), (12,)) >> dense(12, 2), normal((3, 4, 6, 2))),
    (layer_norm((3, 8)), normal((2, 3, 8))),
    (attention(5, 8, heads=2), normal((3, 5, 8))),
    (attention(5, 8, heads=4, causal=True), normal((3, 5, 8))),
    (residual(layer_norm((5, 8)) >> attention(5, 8, heads=2)), normal((3, 5, 8))),
]


@pytest.mark.parametrize("diagram, x", CASES, ids=lambda c: getattr(c, "label", ""))
def test_the_lens_is_the_reverse_derivative(diagram, x):
    net, p = net_of(diagram)
    lens = parametric_lens(net)
    dy = normal(np.shape(net(p, x)), seed=2)
    dp, dx = lens.arrow.put((p, x), (dy,))
    gp, gx = jax.grad(lambda p, x: jnp.sum(net(p, x) * dy), argnums=(0, 1))(p, x)
    assert jax.tree.structure(dp) == jax.tree.structure(gp)
    for a, b in zip(jax.tree.leaves(dp), jax.tree.leaves(gp)):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(dx, gx, rtol=1e-4, atol=1e-5)
    assert float(jnp.sum(jnp.abs(dx))) > 0      # the check sees a real gradient


def test_conv2d_is_the_sum_over_the_window():
    net, p = net_of(conv2d(4, 4, 2, 3, kernel=3))
    x = normal((4, 4, 2))
    y = np.asarray(net(p, x))
    padded = np.pad(np.asarray(x), ((1, 1), (1, 1), (0, 0)))
    w, b = np.asarray(p[0]["w"]), np.asarray(p[0]["b"])
    by_hand = np.array([[np.einsum("ijc,ijco->o", padded[r:r + 3, c:c + 3], w) + b
                         for c in range(4)] for r in range(4)])
    np.testing.assert_allclose(y, by_hand, rtol=1e-4, atol=1e-5)


def test_conv2d_types_follow_stride_and_padding():
    assert conv2d(8, 8, 1, 4).cod == cl.Ty("Real", shape=(8, 8, 4))
    assert conv2d(7, 7, 1, 2, stride=2, padding="valid").cod == cl.Ty("Real", shape=(3, 3, 2))
    assert conv2d(7, 5, 1, 2, stride=2).cod == cl.Ty("Real", shape=(4, 3, 2))


def test_layer_norm_standardises_each_vector():
    net, p = net_of(layer_norm(16))
    y = np.asarray(net(p, 3.0 + 5.0 * normal((10, 16))))
    np.testing.assert_allclose(y.mean(-1), 0, atol=1e-5)
    np.testing.assert_allclose(y.std(-1), 1, atol=1e-3)


def test_a_causal_attention_does_not_look_ahead():
    x = normal((5, 8))
    later = x.at[3:].add(1.0)
    causal, p = net_of(attention(5, 8, heads=2, causal=True))
    np.testing.assert_allclose(causal(p, x)[:3], causal(p, later)[:3], rtol=1e-5, atol=1e-6)
    full, q = net_of(attention(5, 8, heads=2))   # negative control: it does look
    assert not np.allclose(full(q, x)[:3], full(q, later)[:3], atol=1e-3)


def test_attention_is_softmax_of_scaled_scores_for_one_head():
    net, p = net_of(attention(4, 6))
    x = normal((4, 6))
    w = p[0]
    q, k, v = x @ w["q"], x @ w["k"], x @ w["v"]
    by_hand = jax.nn.softmax(q @ k.T / np.sqrt(6)) @ v @ w["o"]
    np.testing.assert_allclose(net(p, x), by_hand, rtol=1e-4, atol=1e-5)


def test_embedding_picks_rows_and_marks_unknown_ids():
    net, p = net_of(embedding(10, 4, length=3))
    table = p[0]["table"]
    ids = jnp.array([[0, 9, 2], [3, 3, 1]])
    np.testing.assert_allclose(net(p, ids), table[ids])
    outside = np.asarray(net(p, jnp.array([[10, -1, 2]])))
    assert np.isnan(outside[0, :2]).all() and np.isfinite(outside[0, 2]).all()


def test_the_embedding_lens_gives_the_table_gradient():
    net, p = net_of(embedding(6, 3, length=4) >> reshape((4, 3), (12,)) >> dense(12, 1))
    ids = jnp.array([[0, 1, 1, 5], [2, 2, 2, 2]])
    dp, _ = parametric_lens(net).arrow.put((p, ids), (jnp.ones((2, 1)),))
    gp = jax.grad(lambda p: jnp.sum(net(p, ids)))(p)
    for a, b in zip(jax.tree.leaves(dp), jax.tree.leaves(gp)):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    assert not np.any(np.asarray(dp[0]["table"])[[3, 4]])    # rows no id reads get no gradient


def test_residual_adds_its_input():
    f = layer_norm(8)
    net, p = net_of(residual(f))
    inner, _ = net_of(f)
    x = normal((3, 8))
    np.testing.assert_allclose(net(p, x), x + inner((p[0],), x), rtol=1e-5)


def test_typed_composition():
    conv = conv2d(8, 8, 1, 4)
    with pytest.raises(CompositionError, match=r"Real\[8, 8, 4\].*Real\[64\]"):
        conv >> dense(64, 10)
    with pytest.raises(CompositionError, match="residual"):
        residual(dense(4, 3))
    with pytest.raises(CompositionError):
        attention(5, 8) >> layer_norm(8)
    cnn = reshape((64,), (8, 8, 1)) >> conv >> relu >> max_pool(8, 8, 4) \
        >> reshape((4, 4, 4), (64,)) >> dense(64, 10)
    assert (cnn.dom, cnn.cod) == (cl.Ty("Real", shape=(64,)), cl.Ty("Real", shape=(10,)))
    learner = cl.learn(cnn, loss=cl.cross_entropy, optimizer=cl.adam(0.01))
    params = learner.init(jax.random.key(0))
    assert learner.predict(params, jnp.ones((2, 64))).shape == (2, 10)
    with pytest.raises(CompositionError):
        learner >> cl.learn(dense(64, 3))


@pytest.mark.parametrize("make, words", [
    (lambda: conv2d(8, 8, 1, 4, padding="full"), "padding"),
    (lambda: conv2d(2, 2, 1, 1, kernel=3, padding="valid"), "does not fit"),
    (lambda: attention(5, 6, heads=4), "split evenly"),
    (lambda: reshape((64,), (8, 7)), "holds"),
    (lambda: embedding(0, 4, length=3), "vocab"),
    (lambda: layer_norm(4, eps=0), "eps"),
    (lambda: dropout(1.0, 4), "rate"),
])
def test_bad_layer_options_are_refused_by_name(make, words):
    with pytest.raises(CatlearnTypeError, match=words):
        make()


def test_the_layers_are_written_the_same_in_the_language():
    program = cl.parse(
        "diagram cnn = reshape(Real[64], Real[8, 8, 1]) >> conv2d(8, 8, 1, 4) >> relu"
        " >> max_pool(8, 8, 4) >> reshape(Real[4, 4, 4], Real[64]) >> dense(64, 10)\n"
        "diagram block = layer_norm(Real[5, 8]) >> attention(5, 8, 2)\n"
        "diagram words = embedding(100, 8, 5)\n")
    assert program["cnn"] == reshape((64,), (8, 8, 1)) >> conv2d(8, 8, 1, 4) >> relu \
        >> max_pool(8, 8, 4) >> reshape((4, 4, 4), (64,)) >> dense(64, 10)
    assert program["block"] == layer_norm((5, 8)) >> attention(5, 8, heads=2)
    assert program["block"] != layer_norm((5, 8)) >> attention(5, 8, heads=4)  # control
    assert program["words"] == embedding(100, 8, length=5)


to_stochastic = Functor(cod=Para(samplers))


def test_dropout_in_train_mode_drops_and_rescales_by_the_key():
    train = to_stochastic(dropout(0.25, 4000))
    p = train.init(jax.random.key(0))
    x = jnp.ones(4000)
    y = np.asarray(train(jax.random.key(1), p, x))
    assert abs(np.mean(y == 0) - 0.25) < 0.03
    np.testing.assert_allclose(y[y != 0], 1 / 0.75, rtol=1e-6)
    np.testing.assert_array_equal(y, train(jax.random.key(1), p, x))        # same key
    assert not np.array_equal(y, train(jax.random.key(2), p, x))             # another key


def test_dropout_in_eval_mode_is_the_mean_of_train_mode():
    x = normal((6,))
    net = dense(6, 6) >> dropout(0.5, 6)
    train, evaluate = to_stochastic(net), to_para(net)
    p = train.init(jax.random.key(0))
    draws = jax.vmap(lambda k: train(k, p, x))(jax.random.split(jax.random.key(1), 20000))
    np.testing.assert_allclose(draws.mean(0), evaluate(p, x), atol=0.05)
    assert not np.allclose(draws[0], evaluate(p, x))        # a draw is not the mean


def test_a_learner_with_dropout_names_it_predicts_without_it_and_fits():
    learner = cl.learn(dense(3, 8) >> relu >> dropout(0.5, 8) >> dense(8, 1))
    params = learner.init(jax.random.key(0))
    assert list(params.weights) == ["dense_0", "dropout_0", "dense_1"]
    x = normal((5, 3))
    first, last = params.weights["dense_0"], params.weights["dense_1"]
    without = jax.nn.relu(x @ first["w"] + first["b"]) @ last["w"] + last["b"]
    np.testing.assert_allclose(learner.predict(params, x), without, rtol=1e-5)
    trained, _ = learner.fit(params, x, jnp.ones((5, 1)), epochs=3, batch_size=5,
                             progress=False)
    assert not np.allclose(trained.weights["dense_0"]["w"], first["w"])


def test_the_train_mode_lens_at_a_key_is_the_mask():
    train = to_stochastic(dense(4, 4) >> dropout(0.5, 4))
    p = train.init(jax.random.key(0))
    x, key = normal((4,)), jax.random.key(3)
    grad = jax.grad(lambda x: jnp.sum(train(key, p, x)))(x)
    w = p[0]["w"]
    kept = np.asarray(train(key, p, x)) != 0
    np.testing.assert_allclose(grad, w @ (kept / 0.5), rtol=1e-5)


@pytest.mark.slow
def test_a_small_transformer_block_learns_to_read_a_token():
    """embedding ; (layer_norm ; attention) + id ; classify: learn which token
    comes first in a sequence of four, which needs attention across positions."""
    block = embedding(5, 8, length=4) >> residual(layer_norm((4, 8)) >> attention(4, 8, heads=2)) \
        >> reshape((4, 8), (32,)) >> dense(32, 5)
    learner = cl.learn(block, loss=cl.cross_entropy, optimizer=cl.adam(0.02))
    tokens = jax.random.randint(jax.random.key(0), (256, 4), 0, 5)
    params, _ = learner.fit(None, tokens, tokens[:, 0], epochs=30, batch_size=64,
                                  key=jax.random.key(1), progress=False)
    assert learner.accuracy(params, tokens, tokens[:, 0]) > 0.9
