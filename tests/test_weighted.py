"""Weighted samplers: ``key, a -> (b, log w)`` with weights multiplying."""
import jax
import jax.numpy as jnp
from jax.scipy.stats import norm

from catlearn.categories.sampler import Sampler
from catlearn.categories.weighted import Weighted, from_sampler, score, weighted_samplers
from catlearn.functor import Functor
from catlearn.syntax import Box, Ty
from catlearn.syntax.model import Prim, Score

R = Ty("Real")


def observe(y):
    return Weighted(1, 1, lambda key, x: ((x,), norm.logpdf(y, x, 1.0)))


def test_weights_add_under_composition_and_tensor():
    key = jax.random.key(0)
    f = weighted_samplers.compose(observe(0.5), observe(1.5))
    (x,), w = f.fn(key, 1.0)
    assert x == 1.0 and jnp.isclose(w, norm.logpdf(0.5, 1.0) + norm.logpdf(1.5, 1.0))
    g = weighted_samplers.tensor(observe(0.0), observe(2.0))
    (a, b), w = g.fn(key, 1.0, 1.0)
    assert jnp.isclose(w, 2 * norm.logpdf(1.0))


def test_identity_and_structure_have_weight_zero():
    key = jax.random.key(0)
    for f in (weighted_samplers.id([R]), weighted_samplers.copy([R]),
              weighted_samplers.discard([R]), from_sampler(Sampler(1, 1, lambda k, x: (x,)))):
        assert f.fn(key, 1.0)[1] == 0.0


def test_unit_law_exact():
    key = jax.random.key(0)
    f = observe(0.3)
    for g in (weighted_samplers.compose(weighted_samplers.id([R]), f),
              weighted_samplers.compose(f, weighted_samplers.id([R]))):
        assert g.fn(key, 1.0)[1] == f.fn(key, 1.0)[1]


def test_score_box_in_a_diagram():
    prior = Box("prior", Ty(), R)
    F = Functor(ar={prior: lambda key: ((jax.random.normal(key),), 0.0)},
                cod=weighted_samplers)
    d = prior >> Prim("square", R, R) >> Prim("neg", R, R) >> Score(R)
    (), w = F(d).fn(jax.random.key(1))
    x = jax.random.normal(jax.random.fold_in(jax.random.key(1), 0))
    assert jnp.isclose(w, -x ** 2)
    assert score(2).fn(jax.random.key(0), jnp.ones(3), 2.0)[1] == 5.0
