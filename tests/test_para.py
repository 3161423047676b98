"""Para(C): composition, tensor, reparametrisation, the functor from diagrams,
and stochastic Para (independent vs shared noise)."""
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from catlearn.categories.function import Function
from catlearn.categories.para import Para, Parametrised, para, parametrised
from catlearn.categories.sampler import Sampler, samplers, shared_noise_samplers
from catlearn.functor import Functor
from catlearn.primitives.nn import dense, relu, softmax, tanh
from catlearn.syntax.diagram import Copy, Id, Swap
from catlearn.syntax.ty import Ty

KEY = jax.random.key(0)


def affine(n_in, n_out):
    return parametrised(lambda p, x: x @ p["w"] + p["b"],
                        lambda key: {"w": jax.random.normal(key, (n_in, n_out)),
                                     "b": jnp.ones(n_out)})


def test_compose_pairs_parameters_and_runs_in_sequence():
    f, g = affine(3, 4), affine(4, 2)
    h = para.compose(f, g)
    p = h.init(KEY)
    x = jnp.arange(6.0).reshape(2, 3)
    assert isinstance(p, tuple) and len(p) == 2
    np.testing.assert_allclose(h(p, x), g(p[1], f(p[0], x)), rtol=1e-6)


def test_identity_and_associativity_up_to_rebracketing():
    f, g, k = affine(3, 3), affine(3, 3), affine(3, 3)
    x = jnp.ones((2, 3))
    p, q, r = f.init(KEY), g.init(jax.random.key(1)), k.init(jax.random.key(2))
    left = para.compose(para.compose(f, g), k)
    right = para.compose(f, para.compose(g, k))
    np.testing.assert_allclose(left(((p, q), r), x), right((p, (q, r)), x), rtol=1e-6)
    ident = para.id([None])
    np.testing.assert_allclose(para.compose(ident, f)(((), p), x), f(p, x), rtol=1e-6)
    np.testing.assert_allclose(para.compose(f, ident)((p, ()), x), f(p, x), rtol=1e-6)


def test_tensor_runs_side_by_side():
    f, g = affine(3, 2), affine(1, 5)
    h = para.tensor(f, g)
    p, q = f.init(KEY), g.init(jax.random.key(1))
    a, c = jnp.ones((2, 3)), jnp.full((2, 1), 2.0)
    u, v = h((p, q), a, c)
    np.testing.assert_allclose(u, f(p, a), rtol=1e-6)
    np.testing.assert_allclose(v, g(q, c), rtol=1e-6)


def test_reparametrisation_by_a_map_of_parameters():
    f = affine(2, 2)
    # Q = R: tie every weight to one number
    tie = Function(1, 1, lambda s: ({"w": s * jnp.ones((2, 2)), "b": jnp.zeros(2)},))
    tied = para.reparametrise(f, tie, lambda key: 3.0)
    x = jnp.array([[1.0, 2.0]])
    np.testing.assert_allclose(tied(3.0, x), [[9.0, 9.0]])


def test_functor_from_diagrams_preserves_composition():
    F = Functor(cod=para)
    d1, d2 = dense(4, 6) >> tanh(6), dense(6, 3) >> softmax(3)
    whole, first, second = F(d1 >> d2), F(d1), F(d2)
    p = whole.init(KEY)
    x = jax.random.normal(KEY, (5, 4))
    # the diagram's parameters are one tuple over its boxes; the composite pairs them
    expected = para.compose(first, second)((p[:2], p[2:]), x)
    np.testing.assert_allclose(whole(p, x), expected, rtol=1e-6)
    manual = jax.nn.softmax(jnp.tanh(x @ p[0]["w"] + p[0]["b"]) @ p[2]["w"] + p[2]["b"])
    np.testing.assert_allclose(whole(p, x), manual, rtol=1e-5)


def test_functor_handles_wiring():
    F = Functor(cod=para)
    R2 = Ty("Real", shape=(2,))
    d = Copy(R2) >> (dense(2, 2) @ Id(R2)) >> Swap(R2, R2)
    h = F(d)
    p = h.init(KEY)
    x = jnp.ones((1, 2))
    u, v = h(p, x)
    np.testing.assert_allclose(u, x)
    np.testing.assert_allclose(v, x @ p[0]["w"] + p[0]["b"], rtol=1e-6)


def test_layers_get_distinct_parameters_and_names():
    h = Functor(cod=para)(dense(2, 3) >> relu(3) >> dense(3, 3))
    p = h.init(KEY)
    assert p[1] == ()
    assert not np.allclose(p[0]["w"][:, :2], p[2]["w"][:2, :2])
    assert h.names == ("box 0 (dense(2, 3))", "box 1 (relu)", "box 2 (dense(3, 3))")


def noisy_shift():
    """x ↦ x + p + ε with ε ~ N(0, 1), a morphism of stochastic Para."""
    arrow = Sampler(2, 1, lambda key, p, x: (x + p + jax.random.normal(key, x.shape),))
    return Parametrised(arrow, lambda key: 0.5)


@pytest.mark.parametrize("base, variance", [(samplers, 2.0), (shared_noise_samplers, 4.0)])
def test_split_keys_give_independent_noise_and_shared_keys_shared_noise(base, variance):
    """f ; f adds two draws: independent (Para over Kleisli composition: variance 2)
    or the same draw twice (co-Kleisli: 2ε, variance 4). With 4000 samples the
    standard error of the sample variance is about 0.05 and 0.09."""
    cat = Para(base)
    twice = cat.compose(noisy_shift(), noisy_shift())
    keys = jax.random.split(KEY, 4000)
    samples = jax.vmap(lambda k: twice.arrow.fn(k, (0.5, 0.5), jnp.zeros(()))[0])(keys)
    assert abs(float(jnp.mean(samples)) - 1.0) < 0.15
    assert abs(float(jnp.var(samples)) - variance) < 0.4


def test_stochastic_para_is_reproducible():
    twice = Para(samplers).compose(noisy_shift(), noisy_shift())
    a = twice(KEY, (0.5, 0.5), jnp.zeros(3))
    b = twice(KEY, (0.5, 0.5), jnp.zeros(3))
    np.testing.assert_array_equal(a, b)
