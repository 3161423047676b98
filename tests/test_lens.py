"""Lenses over JAX's reverse derivative: the chain rule is lens composition,
copy's backward pass adds, discard's is zero; a diagram's lens is its vjp."""
import jax
import jax.numpy as jnp
import numpy as np
from hypothesis import given, settings, strategies as st

from catlearn.categories.lens import (Lens, lenses, para_lenses, parametric_lens,
                                      reverse_derivative, simple_lenses)
from catlearn.categories.para import para
from catlearn.functor import Functor
from catlearn.primitives.nn import dense, tanh
from catlearn.syntax.diagram import Box, Copy, Discard, Id
from catlearn.syntax.ty import Ty

R = Ty("Real")
SMOOTH = {"sin": jnp.sin, "exp": jnp.exp, "cube": lambda x: x ** 3, "tanh": jnp.tanh}


@settings(max_examples=25, deadline=None)
@given(st.lists(st.sampled_from(sorted(SMOOTH)), min_size=1, max_size=4),
       st.floats(-1.0, 1.0), st.floats(-2.0, 2.0))
def test_composite_of_reverse_derivatives_is_the_reverse_derivative(names, x, dy):
    fns = [SMOOTH[n] for n in names]
    composite = lenses.id([None])
    for fn in fns:
        composite = composite >> reverse_derivative(lambda a, fn=fn: (fn(a),), 1, 1)

    def whole(a):
        for fn in fns:
            a = fn(a)
        return a

    np.testing.assert_allclose(composite.get(x)[0], whole(x), rtol=1e-5)
    np.testing.assert_allclose(composite.put((x,), (dy,))[0], dy * jax.grad(whole)(x),
                               rtol=1e-4, atol=1e-6)


def test_copy_adds_and_discard_is_zero():
    copy, discard = lenses.copy([None]), lenses.discard([None])
    assert float(copy.put((1.0,), (2.0, 5.0))[0]) == 7.0
    assert float(discard.put((jnp.array(3.0),), ())[0]) == 0.0
    # simple lenses: discarding hands the point back unchanged
    assert simple_lenses.discard([None]).put((3.0,), ()) == (3.0,)


def test_tensor_and_swap():
    f = reverse_derivative(lambda a: (a ** 2,), 1, 1)
    g = reverse_derivative(lambda a: (3 * a,), 1, 1)
    both = (f @ g) >> lenses.swap([None], [None])
    assert [float(v) for v in both.get(2.0, 1.0)] == [3.0, 4.0]
    assert [float(v) for v in both.put((2.0, 1.0), (1.0, 1.0))] == [4.0, 3.0]


def test_functor_into_lenses_agrees_with_vjp_on_a_diagram_with_copies():
    f, g = Box("f", R, R), Box("g", R @ R, R)
    d = Copy(R) >> (f @ Id(R)) >> g >> Copy(R) >> (Id(R) @ Discard(R))
    F = Functor(ar={f: lambda a: (jnp.sin(a),), g: lambda a, b: (a * b,)}, cod=lenses)
    lens = F(d)

    def fn(a):
        return jnp.sin(a) * a

    assert isinstance(lens, Lens)
    np.testing.assert_allclose(lens.get(0.7)[0], fn(0.7), rtol=1e-6)
    np.testing.assert_allclose(lens.put((0.7,), (1.0,))[0], jax.grad(fn)(0.7), rtol=1e-6)


def test_parametric_lens_of_a_network_gives_parameter_and_input_gradients():
    net = Functor(cod=para)(dense(3, 4) >> tanh(4) >> dense(4, 1))
    lens = parametric_lens(net)
    p = net.init(jax.random.key(0))
    x = jax.random.normal(jax.random.key(1), (5, 3))
    dp, dx = lens.arrow.put((p, x), (jnp.ones((5, 1)),))
    gp, gx = jax.grad(lambda p, x: jnp.sum(net(p, x)), argnums=(0, 1))(p, x)
    for a, b in zip(jax.tree.leaves(dp), jax.tree.leaves(gp)):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(dx, gx, rtol=1e-5, atol=1e-6)
    # Para(Lens) composes parametric lenses: gradients reach both parameter sets
    twice = para_lenses.compose(parametric_lens(Functor(cod=para)(dense(3, 3))),
                                parametric_lens(Functor(cod=para)(dense(3, 3))))
    q = twice.init(jax.random.key(2))
    (dq, _) = twice.arrow.put((q, x), (jnp.ones((5, 3)),))
    expected = jax.grad(lambda q: jnp.sum(twice.arrow.get(q, x)[0]))(q)
    for a, b in zip(jax.tree.leaves(dq), jax.tree.leaves(expected)):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
