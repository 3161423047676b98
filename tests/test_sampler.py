"""The sampler category: Kleisli of the sampler monad ``key -> X``."""
import jax
import jax.numpy as jnp
import numpy as np

from catlearn.categories.sampler import Sampler, bind, deterministic, samplers, unit
from catlearn.functor import Functor
from catlearn.syntax import Box, Copy, Ty
from catlearn.syntax.model import Const, Prim

R = Ty("Real")
N = 20000


def normal_kernel(scale):
    """x -> N(x, scale²)."""
    return Sampler(1, 1, lambda key, x: (x + scale * jax.random.normal(key),))


def draws(s: Sampler, *xs, n=N, seed=0):
    keys = jax.random.split(jax.random.key(seed), n)
    return np.asarray(jax.vmap(lambda k: s.fn(k, *xs)[0])(keys))


def test_same_key_same_draw_and_keys_differ_between_boxes():
    f = normal_kernel(1.0)
    g = samplers.tensor(f, f)
    a, b = g.fn(jax.random.key(3), 0.0, 0.0)
    a2, b2 = g.fn(jax.random.key(3), 0.0, 0.0)
    assert a == a2 and b == b2
    assert a != b  # the two factors of a tensor get independent halves of the key


def test_monad_laws_in_distribution():
    f, g = normal_kernel(1.0), normal_kernel(2.0)
    # left unit: return >=> f = f; right unit: f >=> return = f
    for s in (bind(unit(), f), bind(f, unit())):
        x = draws(s, 1.0)
        assert abs(x.mean() - 1.0) < 0.03 and abs(x.std() - 1.0) < 0.03
    # associativity: (f >=> g) >=> f = f >=> (g >=> f); both are N(1, 1 + 4 + 1)
    left, right = bind(bind(f, g), f), bind(f, bind(g, f))
    for s in (left, right):
        x = draws(s, 1.0)
        assert abs(x.mean() - 1.0) < 0.06 and abs(x.var() / 6.0 - 1) < 0.04


def test_unit_laws_hold_exactly_for_deterministic_maps():
    double = deterministic(1, 1, lambda x: (2 * x,))
    key = jax.random.key(0)
    assert bind(unit(), double).fn(key, 3.0) == double.fn(key, 3.0)
    assert bind(double, unit()).fn(key, 3.0) == double.fn(key, 3.0)


def test_copy_copies_the_value_not_the_randomness():
    """In a Markov category ``f ; copy`` is not ``copy ; f ⊗ f`` for random f."""
    f = normal_kernel(1.0)
    after = samplers.compose(f, samplers.copy([R]))
    before = samplers.compose(samplers.copy([R]), samplers.tensor(f, f))
    a, b = after.fn(jax.random.key(0), 0.0)
    c, d = before.fn(jax.random.key(0), 0.0)
    assert a == b and c != d


def test_discard_and_swap():
    f = normal_kernel(1.0)
    gone = samplers.compose(f, samplers.discard([R]))
    assert gone.fn(jax.random.key(0), 1.0) == ()
    swapped = samplers.swap([R], [R]).fn(jax.random.key(0), 1.0, 2.0)
    assert swapped == (2.0, 1.0)


def test_functor_into_samplers_runs_diagrams_as_one_loop():
    noise = Box("noise", R, R)
    F = Functor(ar={noise: lambda key, x: x + jax.random.normal(key)}, cod=samplers)
    d = Const(1.0) >> noise >> Copy(R) >> Prim("add", R @ R, R)
    y = F(d)(jax.random.key(0))
    x = 1.0 + jax.random.normal(jax.random.fold_in(jax.random.key(0), 1))
    assert jnp.allclose(y, 2 * x)  # box 1 (noise) got fold_in(key, 1); the copy shares it
    assert F(d)(jax.random.key(0)) == y
