"""Learn: composition and tensor of learners, and Learn ≅ Para(SLens).

Learners are compared as the issue asks, up to a bijection of parameter
spaces commuting with I, U and r: here that bijection is always the identity
on the parameter pytree (both sides pair parameters the same way), so two
learners are equal when, on the same parameters and data, their
implementations, updates and requests agree to float tolerance."""
import jax
import jax.numpy as jnp
import numpy as np

from catlearn.categories.learn import (Learner, as_para_lens, from_para_lens, learners,
                                       slens_para)

KEY = jax.random.key(0)


def scaler(rate):
    """I(p, x) = p x; U moves p towards the target; r moves x towards it."""
    return Learner(lambda key: jax.random.normal(key, (2,)),
                   lambda p, x: (p * x,),
                   lambda p, xs, ys: p + rate * jnp.mean((ys[0] - p * xs[0]) * xs[0], 0),
                   lambda p, xs, ys: (xs[0] + rate * (ys[0] - p * xs[0]) * p,))


def shifter():
    return Learner(lambda key: jnp.zeros(2), lambda p, x: (x + p,),
                   lambda p, xs, ys: p + 0.5 * jnp.mean(ys[0] - xs[0] - p, 0),
                   lambda p, xs, ys: (ys[0] - p,))


def assert_learners_agree(f, g, p, xs, ys):
    for a, b in zip(f.implement(p, *xs), g.implement(p, *xs)):
        np.testing.assert_allclose(a, b, rtol=1e-6)
    for a, b in zip(jax.tree.leaves(f.update(p, xs, ys)), jax.tree.leaves(g.update(p, xs, ys))):
        np.testing.assert_allclose(a, b, rtol=1e-6)
    for a, b in zip(f.request(p, xs, ys), g.request(p, xs, ys)):
        np.testing.assert_allclose(a, b, rtol=1e-6)


def sample():
    x = jax.random.normal(KEY, (4, 2))
    y = jax.random.normal(jax.random.key(1), (4, 2))
    return (x,), (y,)


def test_composition_follows_backprop_as_functor():
    f, g = scaler(0.1), shifter()
    h = f >> g
    p, q = jnp.array([1.5, -0.5]), jnp.array([0.2, 0.3])
    (x,), (c,) = sample()
    b = f.implement(p, x)[0]
    wanted = g.request(q, (b,), (c,))          # what g asks of f
    np.testing.assert_allclose(h.implement((p, q), x)[0], b + q)
    new_p, new_q = h.update((p, q), (x,), (c,))
    np.testing.assert_allclose(new_p, f.update(p, (x,), wanted))
    np.testing.assert_allclose(new_q, g.update(q, (b,), (c,)))
    np.testing.assert_allclose(h.request((p, q), (x,), (c,))[0], f.request(p, (x,), wanted)[0])


def test_identity_is_a_unit_and_tensor_is_componentwise():
    f = scaler(0.1)
    p = f.init(KEY)
    xs, ys = sample()
    ident = learners.id([None])
    assert_learners_agree(ident >> f, _reparam(f, lambda p: ((), p)), ((), p), xs, ys)
    both = f @ shifter()
    q = jnp.array([0.1, 0.2])
    out = both.update((p, q), xs + xs, ys + ys)
    np.testing.assert_allclose(out[0], f.update(p, xs, ys))
    np.testing.assert_allclose(out[1], shifter().update(q, xs, ys))


def _reparam(f, pair):
    """f with its parameters read through the bijection ``pair``'s inverse
    (unused parameters ()), to compare learners with parameters ((), p)."""
    return Learner(f.init, lambda pp, *xs: f.implement(pp[1], *xs),
                   lambda pp, xs, ys: ((), f.update(pp[1], xs, ys)),
                   lambda pp, xs, ys: f.request(pp[1], xs, ys))


def test_learn_to_para_slens_and_back_is_the_identity():
    xs, ys = sample()
    for f in (scaler(0.1), shifter(), scaler(0.3) >> shifter()):
        p = f.init(KEY)
        assert_learners_agree(from_para_lens(as_para_lens(f)), f, p, xs, ys)


def test_para_slens_to_learn_and_back_is_the_identity():
    xs, ys = sample()
    lens = as_para_lens(scaler(0.2))
    back = as_para_lens(from_para_lens(lens))
    p = lens.init(KEY)
    for a, b in zip(back.arrow.get(p, *xs), lens.arrow.get(p, *xs)):
        np.testing.assert_allclose(a, b)
    for a, b in zip(back.arrow.put((p,) + xs, ys), lens.arrow.put((p,) + xs, ys)):
        np.testing.assert_allclose(a, b)


def test_the_isomorphism_preserves_composition():
    f, g = scaler(0.1), shifter()
    xs, ys = sample()
    p = (f.init(KEY), jnp.array([0.3, -0.1]))
    composite = from_para_lens(slens_para.compose(as_para_lens(f), as_para_lens(g)))
    assert_learners_agree(composite, f >> g, p, xs, ys)
    tensored = from_para_lens(slens_para.tensor(as_para_lens(f), as_para_lens(g)))
    assert_learners_agree(tensored, f @ g, p, xs + xs, ys + ys)
