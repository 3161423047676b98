"""Optimisers as lenses: sgd, momentum and adam match optax step for step,
the optax adapter trains, and the sign conventions hold."""
import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

from catlearn.categories.para import para
from catlearn.functor import Functor
from catlearn.learning import (adam, cross_entropy, from_optax, learn, learning_rate,
                               momentum, sgd)
from catlearn.primitives.nn import dense, relu

NET = Functor(cod=para)(dense(4, 8) >> relu(8) >> dense(8, 3))


def batches():
    key = jax.random.key(1)
    x = jax.random.normal(key, (6, 16, 4))
    y = jax.random.randint(jax.random.fold_in(key, 1), (6, 16), 0, 3)
    return x, y


@pytest.mark.parametrize("ours, theirs", [
    (sgd(0.1), optax.sgd(0.1)),
    (momentum(0.05, 0.8), optax.sgd(0.05, momentum=0.8)),
    (adam(0.01), optax.adam(0.01)),
])
def test_optimiser_lenses_match_optax_step_for_step(ours, theirs):
    learner = learn(NET, loss=cross_entropy, optimizer=ours)
    p = NET.init(jax.random.key(0))
    state, opt_state, q = learner.init(jax.random.key(0)), theirs.init(p), p
    update = jax.jit(learner.update)

    def reference(q, opt_state, x, y):
        g = jax.grad(lambda q: cross_entropy.fn(NET.arrow.fn(q, x)[0], y))(q)
        updates, opt_state = theirs.update(g, opt_state, q)
        return optax.apply_updates(q, updates), opt_state

    reference = jax.jit(reference)
    for x, y in zip(*batches()):
        state = update(state, (x,), (y,))
        q, opt_state = reference(q, opt_state, x, y)
        for a, b in zip(jax.tree.leaves(state.weights), jax.tree.leaves(q), strict=True):
            np.testing.assert_allclose(a, b, rtol=2e-5, atol=1e-6)


def test_optax_adapter_matches_the_transformation():
    ours, theirs = from_optax(optax.rmsprop(0.01)), optax.rmsprop(0.01)
    p = {"w": jnp.array([1.0, -2.0])}
    grad = {"w": jnp.array([0.5, 0.25])}
    state, change = ours.init(p), jax.tree.map(lambda g: -ours.rate * g, grad)
    _, new = ours.step(state, p, change)
    updates, _ = theirs.update(grad, theirs.init(p), p)
    np.testing.assert_allclose(new["w"], optax.apply_updates(p, updates)["w"], rtol=1e-6)


def test_sign_conventions():
    (dp,) = learning_rate(0.3).put((jnp.array(2.0),), ())
    assert float(dp) == pytest.approx(-0.3)          # backward pass is -ε
    _, p = sgd(0.3).step((), jnp.array(1.0), jnp.array(-0.5))
    assert float(p) == 0.5                             # updates are added


@pytest.mark.parametrize("optimizer", [sgd(0.5), momentum(0.1), adam(0.02),
                                       from_optax(optax.adamw(0.02))])
def test_every_optimiser_trains_the_same_network(optimizer):
    x = jax.random.normal(jax.random.key(0), (120, 4))
    y = jnp.argmax(x[:, :3], axis=1)
    learner = learn(NET, loss=cross_entropy, optimizer=optimizer)
    params, history = learner.fit(None, x, y, epochs=30, batch_size=20,
                                  key=jax.random.key(1), progress=False)
    assert history[-1] < 0.5 * history[0]
    assert learner.accuracy(params, x, y) > 0.85
