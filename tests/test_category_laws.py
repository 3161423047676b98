"""One law suite, instantiated for every category a functor can land in.

Each category is given as a *spec* (after the spec classes of
open-hypergraphs' tests): how each box of the test signature is interpreted
there, and how a morphism is run on inputs and keys. The same properties are
then checked for all of them:

* the interpretation respects every axiom of Markov categories (identity,
  associativity, interchange, symmetry, copy and discard where they hold —
  the signature marks which boxes are deterministic and discardable), drawn
  at random places in random diagrams (``diagram_strategies.equal_pair``);
* it is a functor: the image of ``d1 >> d2`` is the category's composite of
  the images, and the image of ``d1 @ d2`` their tensor.

In the deterministic categories (JAX functions, lenses forward and
backward) both sides must agree exactly. In the stochastic ones (samplers,
weighted samplers, the traced samplers inference runs on) the random boxes
really draw, so two equal diagrams agree *in distribution*: the mean and sd
of every output and the mean log-weight over 4000 keys must agree within six
standard errors.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from catlearn import Copy, Functor, Ty
from catlearn.categories.function import Function, jax_functions
from catlearn.categories.lens import lenses, reverse_derivative
from catlearn.categories.sampler import Sampler, over_population, population, samplers
from catlearn.categories.traced import Trace, Traced, TracedSamplers
from catlearn.categories.weighted import Weighted, weighted_samplers

from diagram_strategies import ATOMS, SIGNATURE, bracketed, equal_pair, slices

DRAWS = 4000
SETTINGS = settings(max_examples=12, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def box_law(noise: float) -> dict[str, Callable]:
    """Each box as ``(key, *xs) -> (outputs, log_weight)``; the random boxes of
    the signature draw ``noise``-scaled normal noise."""
    def eps(key):
        return noise * jax.random.normal(key)
    return {
        "f": lambda k, x: ((jnp.sin(x) + eps(k),), 0.0),
        "g": lambda k, x: ((2.0 * x + 1.0,), 0.0),
        "m": lambda k, x, y: ((x * y + 0.5 + eps(k),), 0.0),
        "d": lambda k, x: ((x, x ** 2), 0.0),
        "k": lambda k, p: ((jnp.cos(p) + eps(k),), 0.0),
        "c": lambda k: ((0.5 + eps(k),), 0.0),
        "e": lambda k: ((jnp.asarray(1.5),), 0.0),
        "s": lambda k, x: ((), jnp.tanh(x)),          # a score: adds to the log-weight
        "u": lambda k, x, p: ((), 0.0),
    }


@dataclass
class Spec:
    """A category, how the signature's boxes map into it, and how to run a morphism:
    ``run(morphism, keys, xs) -> (outputs, log_weights)``, vectorised over ``keys``."""

    name: str
    cod: Any
    image: Callable[[Any], Any]
    run: Callable[[Any, jax.Array, tuple], tuple]
    exact: bool

    def functor(self) -> Functor:
        return Functor(ar=lambda box: self.image(box), cod=self.cod)


def _arity(box) -> tuple[int, int]:
    return len(box.dom), len(box.cod)


def _function_spec() -> Spec:
    law = box_law(0.0)
    key = jax.random.key(0)
    return Spec("jax functions", jax_functions,
                lambda box: Function(*_arity(box), lambda *xs: law[box.name](key, *xs)[0]),
                lambda f, keys, xs: (tuple(f.fn(*xs)), jnp.zeros(())), exact=True)


def _lens_spec() -> Spec:
    """Lenses forward and backward: outputs, then the reverse derivative at ones."""
    law = box_law(0.0)
    key = jax.random.key(0)

    def run(lens, keys, xs):
        ys = tuple(lens.get(*xs))
        return ys + tuple(lens.put(tuple(xs), tuple(jnp.ones_like(y) for y in ys))), jnp.zeros(())
    return Spec("lenses", lenses,
                lambda box: reverse_derivative(lambda *xs: law[box.name](key, *xs)[0],
                                               *_arity(box)),
                run, exact=True)


def _sampler_spec() -> Spec:
    law = box_law(0.3)
    return Spec("samplers", samplers,
                lambda box: Sampler(*_arity(box), lambda k, *xs: law[box.name](k, *xs)[0]),
                lambda s, keys, xs: (jax.vmap(lambda k: tuple(s.fn(k, *xs)))(keys),
                                     jnp.zeros(())), exact=False)


def _weighted_spec() -> Spec:
    law = box_law(0.3)

    def run(w, keys, xs):
        outs, logw = jax.vmap(lambda k: w.fn(k, *xs))(keys)
        return tuple(outs), logw
    return Spec("weighted samplers", weighted_samplers,
                lambda box: Weighted(*_arity(box), lambda k, *xs: law[box.name](k, *xs)),
                run, exact=False)


def _traced_spec() -> Spec:
    law = box_law(0.3)

    def image(box):
        def fn(k, given, *xs):
            outs, logw = law[box.name](k, *xs)
            return outs, Trace({}, {}, jnp.zeros(()), jnp.asarray(logw, float))
        return Traced(*_arity(box), fn)

    def run(t, keys, xs):
        outs, trace = jax.vmap(lambda k: t.fn(k, {}, *xs))(keys)
        return tuple(outs), trace.log_prior + trace.log_likelihood
    return Spec("traced samplers", TracedSamplers(dims={}), image, run, exact=False)


RANDOM = {"f", "m", "k", "c"}   # the boxes of box_law that draw


class _Scaled(NamedTuple):
    """Normal noise of sd ``scale``: a distribution as the population draw needs one
    (a pytree of parameters with ``sample``)."""
    scale: jax.Array

    def sample(self, key):
        return self.scale * jax.random.normal(key, jnp.shape(self.scale))


def _population_spec() -> Spec:
    """Traced samplers with population noise, as a particle filter runs them: the
    ``DRAWS`` runs are particles sharing one key, each box's noise one batch drawn
    for them all (``Noise.draw``), never a key per run."""
    cat = TracedSamplers(dims={}, noise=population)
    law = box_law(0.0)   # the signature's boxes without their noise: it is added here

    def image(box):
        def fn(k, given, *xs):
            outs, logw = law[box.name](k, *xs)
            if box.name in RANDOM:
                outs = (outs[0] + cat.noise.draw(k, _Scaled(jnp.asarray(0.3))),)
            return outs, Trace({}, {}, jnp.zeros(()), jnp.asarray(logw, float))
        return Traced(*_arity(box), fn)

    def run(t, keys, xs):
        outs, trace = over_population(lambda k, i: t.fn(k, {}, *xs))(keys[0], jnp.arange(DRAWS))
        return tuple(outs), trace.log_prior + trace.log_likelihood
    return Spec("traced samplers, population noise", cat, image, run, exact=False)


SPECS = [_function_spec(), _lens_spec(), _sampler_spec(), _weighted_spec(), _traced_spec(),
         _population_spec()]


def agree(spec: Spec, a, b, dom: Ty, seed: int) -> bool:
    """Whether two morphisms of ``spec`` with domain ``dom`` agree (exactly, or in distribution)."""
    xs = tuple(jnp.asarray(x) for x in np.random.default_rng(seed).normal(size=len(dom)))
    keys = jax.random.split(jax.random.key(seed), DRAWS)
    (ya, wa), (yb, wb) = spec.run(a, keys, xs), spec.run(b, keys, xs)
    if len(ya) != len(yb):
        return False
    if spec.exact:
        return all(np.allclose(p, q, atol=1e-5) for p, q in zip(ya, yb))
    pairs = [(np.asarray(p), np.asarray(q)) for p, q in zip(ya, yb)]
    pairs.append((np.broadcast_to(np.asarray(wa), (DRAWS,)), np.broadcast_to(np.asarray(wb), (DRAWS,))))
    for p, q in pairs:
        se = np.sqrt((p.var() + q.var()) / DRAWS) + 1e-6
        if abs(p.mean() - q.mean()) > 6 * se:
            return False
        if abs(p.std() - q.std()) > 6 * se + 0.02:
            return False
    return True


def diagram(draw, dom: Ty):
    return draw(bracketed(draw(slices(dom)), dom))


types = st.lists(st.sampled_from(ATOMS), max_size=3).map(
    lambda atoms: Ty.of(o for ty in atoms for o in ty.objects))


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.name)
@SETTINGS
@given(pair=equal_pair(), seed=st.integers(0, 2 ** 31 - 1))
def test_equal_diagrams_have_equal_images(spec, pair, seed):
    left, right, _ = pair
    F = spec.functor()
    assert agree(spec, F(left), F(right), left.dom, seed)


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.name)
@SETTINGS
@given(data=st.data(), dom=types, seed=st.integers(0, 2 ** 31 - 1))
def test_the_interpretation_preserves_composition_and_tensor(spec, data, dom, seed):
    F = spec.functor()
    first = diagram(data.draw, dom)
    second = diagram(data.draw, first.cod)
    assert agree(spec, F(first >> second), spec.cod.compose(F(first), F(second)), dom, seed)
    other = diagram(data.draw, dom)
    assert agree(spec, F(first @ other), spec.cod.tensor(F(first), F(other)), dom @ dom, seed)


@pytest.mark.parametrize("spec", [s for s in SPECS if not s.exact], ids=lambda s: s.name)
def test_negative_control_unequal_diagrams_are_told_apart(spec):
    # f then f is not f (f is random and not idempotent), and copying a random
    # box's output is not running it twice: the comparison can fail
    f = next(b for b in SIGNATURE if b.name == "f")
    c = next(b for b in SIGNATURE if b.name == "c")
    m = next(b for b in SIGNATURE if b.name == "m")
    F = spec.functor()
    assert not agree(spec, F(f >> f), F(f), f.dom, 0)
    assert not agree(spec, F(c >> Copy(c.cod) >> m), F((c @ c) >> m), c.dom, 0)
