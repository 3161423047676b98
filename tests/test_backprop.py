"""The backprop functor L(ε, e): Para(Euc) -> Learn.

Learner equality used throughout: two learners are equal when, on the same
parameters, inputs and targets, their implementations, updates and requests
agree to float tolerance, after matching parameters by the bijection that
re-brackets the parameter pytree (for L(g ∘ f) and L(g) ∘ L(f) both sides
use the pair (p, q), so the bijection is the identity; for a diagram, the
tuple of its boxes' parameters is split into the two factors' tuples). This
bijection commutes with I, U and r by construction."""
import jax
import jax.numpy as jnp
import numpy as np
from hypothesis import given, settings, strategies as st

from catlearn.categories.learn import Parameters
from catlearn.categories.para import para, parametrised
from catlearn.functor import Functor
from catlearn.learning import (ErrorFunction, Loss, backprop, learn, mse, quadratic, sgd)
from catlearn.primitives.nn import dense, tanh

ACTIVATIONS = {"tanh": jnp.tanh, "sin": jnp.sin, "softplus": jax.nn.softplus,
               "linear": lambda z: z}


def layer(n_in, n_out, act):
    return parametrised(lambda p, x: ACTIVATIONS[act](x @ p["w"] + p["b"]),
                        lambda key: {"w": jax.random.normal(key, (n_in, n_out)) / n_in,
                                     "b": jax.random.normal(jax.random.fold_in(key, 1),
                                                            (n_out,))})


def data(seed, n_in, n_out, batch=3):
    kx, ky = jax.random.split(jax.random.key(seed))
    return (jax.random.normal(kx, (batch, n_in)),), (jax.random.normal(ky, (batch, n_out)),)


def outputs(learner, p, xs, ys):
    """I, U and r of a learner at one point."""
    return learner.implement(p, *xs), learner.update(p, xs, ys), learner.request(p, xs, ys)


def gap(f, g, p, xs, ys):
    """The largest difference between f and g in implement, update and request."""
    u, v = jax.tree.leaves(outputs(f, p, xs, ys)), jax.tree.leaves(outputs(g, p, xs, ys))
    return max(float(jnp.max(jnp.abs(a - b))) for a, b in zip(u, v))


dims = st.sampled_from([1, 3])   # few shapes: eager kernels are reused across examples
acts = st.sampled_from(sorted(ACTIVATIONS))


@settings(max_examples=10, deadline=None)
@given(dims, dims, dims, acts, acts, st.floats(0.01, 1.0), st.integers(0, 2 ** 16))
def test_backprop_preserves_composition(a, b, c, act1, act2, eps, seed):
    f, g = layer(a, b, act1), layer(b, c, act2)
    p = (f.init(jax.random.key(seed)), g.init(jax.random.key(seed + 1)))
    xs, ys = data(seed, a, c)
    whole = backprop(para.compose(f, g), eps)
    parts = backprop(f, eps) >> backprop(g, eps)
    assert gap(whole, parts, p, xs, ys) < 1e-4


@settings(max_examples=8, deadline=None)
@given(dims, dims, dims, dims, acts, acts, st.integers(0, 2 ** 16))
def test_backprop_preserves_tensor(a, b, c, d, act1, act2, seed):
    f, g = layer(a, b, act1), layer(c, d, act2)
    p = (f.init(jax.random.key(seed)), g.init(jax.random.key(seed + 1)))
    (x1,), (y1,) = data(seed, a, b)
    (x2,), (y2,) = data(seed + 7, c, d)
    whole = backprop(para.tensor(f, g), 0.1)
    parts = backprop(f, 0.1) @ backprop(g, 0.1)
    assert gap(whole, parts, p, (x1, x2), (y1, y2)) < 1e-4


def test_backprop_of_a_diagram_is_the_composite_of_its_parts():
    F = Functor(cod=para)
    d1, d2 = dense(3, 5) >> tanh(5), dense(5, 2)
    whole, first, second = (backprop(F(d), 0.2) for d in (d1 >> d2, d1, d2))
    composite = first >> second
    p = F(d1 >> d2).init(jax.random.key(3))
    xs, ys = data(0, 3, 2)
    split = (p[:2], p[2:])   # the re-bracketing bijection
    for a, b in zip(whole.implement(p, *xs), composite.implement(split, *xs)):
        np.testing.assert_allclose(a, b, rtol=1e-5)
    updated = whole.update(p, xs, ys)
    for a, b in zip(jax.tree.leaves((updated[:2], updated[2:])),
                    jax.tree.leaves(composite.update(split, xs, ys))):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    for a, b in zip(whole.request(p, xs, ys), composite.request(split, xs, ys)):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


@settings(max_examples=8, deadline=None)
@given(dims, dims, acts, st.floats(0.01, 1.0), st.integers(0, 2 ** 16))
def test_update_is_a_gradient_step_and_request_inverts_the_quadratic(a, b, act, eps, seed):
    f = layer(a, b, act)
    p = f.init(jax.random.key(seed))
    xs, ys = data(seed, a, b, batch=4)

    def error(p, x):
        return 0.5 * jnp.sum((f(p, x) - ys[0]) ** 2) / 4

    grad_p, grad_x = jax.grad(error, argnums=(0, 1))(p, xs[0])
    _, new, (request,) = outputs(backprop(f, eps), p, xs, ys)
    for k in p:
        np.testing.assert_allclose(new[k], p[k] - eps * grad_p[k], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(request, xs[0] - 4 * grad_x, rtol=1e-5, atol=1e-6)


def test_negative_control_a_wrong_request_breaks_functoriality():
    """Requesting a - ε∇E instead of a - ∇E (ε = 0.1) must be caught."""
    eps = 0.1
    wrong = ErrorFunction(quadratic.e, lambda x, g: x - eps * g)
    f, g = layer(3, 3, "tanh"), layer(3, 2, "sin")
    p = (f.init(jax.random.key(0)), g.init(jax.random.key(1)))
    xs, ys = data(0, 3, 2)
    assert gap(backprop(para.compose(f, g), eps),
               backprop(f, eps) >> backprop(g, eps), p, xs, ys) < 1e-4
    assert gap(backprop(para.compose(f, g), eps, wrong),
               backprop(f, eps, wrong) >> backprop(g, eps, wrong), p, xs, ys) > 1e-3


def test_lens_formulation_with_mse_and_sgd_is_the_backprop_functor():
    f = Functor(cod=para)(dense(3, 4) >> tanh(4) >> dense(4, 2))
    fst, lenses = backprop(f, 0.3), learn(f, loss=mse, optimizer=sgd(0.3))
    p = f.init(jax.random.key(0))
    xs, ys = data(1, 3, 2)
    sp = Parameters({"params": p}, ())   # a Para morphism is one layer, "params"
    np.testing.assert_allclose(lenses.implement(sp, *xs)[0], fst.implement(p, *xs)[0])
    for a, b in zip(jax.tree.leaves(lenses.update(sp, xs, ys).weights["params"]),
                    jax.tree.leaves(fst.update(p, xs, ys))):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(lenses.request(sp, xs, ys)[0], fst.request(p, xs, ys)[0],
                               rtol=1e-5, atol=1e-6)


# -- the fixed-point fixture of the issue ----------------------------------------

distance = parametrised(lambda theta, x: jnp.sum((x - theta) ** 2, axis=-1),
                        lambda key: jnp.zeros(2))
value = Loss("value", lambda out, y: jnp.mean(out))   # the model's output is the loss


def test_fixed_point_first_iterates():
    learner = learn(distance, loss=value, optimizer=sgd(0.01))
    params = learner.init(jax.random.key(0))
    params = learner.update(params, (jnp.array([[1.0, 2.0]]),), (jnp.zeros(1),))
    np.testing.assert_allclose(params.weights["params"], [0.02, 0.04], rtol=1e-6)
    params = learner.update(params, (jnp.array([[3.0, 4.0]]),), (jnp.zeros(1),))
    np.testing.assert_allclose(params.weights["params"], [0.0796, 0.1192], rtol=1e-5)


def test_fixed_point_iterates_converge_to_the_mean():
    """Alternating steps settle on a 2-cycle around (2, 3): after a (3, 4) step
    θ = 2η(u x₁ + x₂)/(1 - u²) with u = 1 - 2η, i.e. (2.0101, 3.0101)."""
    x = jnp.tile(jnp.array([[1.0, 2.0], [3.0, 4.0]]), (1000, 1))
    learner = learn(distance, loss=value, optimizer=sgd(0.01))
    params, _ = learner.fit(None, x, jnp.zeros(len(x)), epochs=1, batch_size=1,
                            shuffle=False, progress=False)
    theta = params.weights["params"]
    np.testing.assert_allclose(theta, [2.0, 3.0], atol=0.011)
    u = 0.98
    cycle = 0.02 * (u * jnp.array([1.0, 2.0]) + jnp.array([3.0, 4.0])) / (1 - u ** 2)
    np.testing.assert_allclose(theta, cycle, rtol=1e-4)
    before = theta - 0.02 * (jnp.array([3.0, 4.0]) - theta) / u   # undo the last step
    np.testing.assert_allclose((theta + before) / 2, [2.0, 3.0], atol=1e-3)
