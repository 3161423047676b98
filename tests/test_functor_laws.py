"""The functor into JAX functions is a functor: it preserves composition,
tensor and the structural boxes, respects the equations of diagrams, and its
straight-line evaluation agrees with the generic fold over the protocol."""

import jax.numpy as jnp
import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from catlearn import Copy, Discard, Functor, Id, Swap, Ty, jax_functions
from catlearn.categories.category import fold

from diagram_strategies import (ATOMS, SIGNATURE, P, R, bracketed,  # noqa: E402
                                equal_pair, slices)

IMAGES = {
    "f": jnp.sin,
    "g": lambda x: 2.0 * x + 1.0,
    "m": lambda x, y: x * y + 0.5,
    "d": lambda x: (x, x ** 2),
    "k": jnp.cos,
    "c": lambda: jnp.asarray(0.5),
    "e": lambda: jnp.asarray(1.5),
    "s": lambda x: (),
    "u": lambda x, p: (),
}
F = Functor(ob={R: float, P: float}, ar={box: IMAGES[box.name] for box in SIGNATURE},
            cod=jax_functions)
SETTINGS = settings(max_examples=60, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])


def run(function, seed: int) -> tuple:
    """The outputs of ``function`` (its traceable body) on random inputs."""
    xs = np.random.default_rng(seed).normal(size=function.n_in)
    return tuple(function.fn(*map(jnp.asarray, xs)))


def same(a, b, seed: int) -> bool:
    """Two functions with the same arity and the same outputs."""
    ya, yb = run(a, seed), run(b, seed)
    return (a.n_in, a.n_out) == (b.n_in, b.n_out) and all(
        np.allclose(x, y) for x, y in zip(ya, yb))


def diagram(draw, dom):
    return draw(bracketed(draw(slices(dom)), dom))


types = st.lists(st.sampled_from(ATOMS), max_size=3).map(
    lambda atoms: Ty.of(o for ty in atoms for o in ty.objects))


@SETTINGS
@given(st.data(), types, st.integers(0, 2 ** 32 - 1))
def test_preserves_composition(data, dom, seed):
    first = diagram(data.draw, dom)
    second = diagram(data.draw, first.cod)
    assert same(F(first >> second), jax_functions.compose(F(first), F(second)), seed)


@SETTINGS
@given(st.data(), types, types, st.integers(0, 2 ** 32 - 1))
def test_preserves_tensor(data, dom1, dom2, seed):
    left, right = diagram(data.draw, dom1), diagram(data.draw, dom2)
    assert same(F(left @ right), jax_functions.tensor(F(left), F(right)), seed)


@SETTINGS
@given(types, types, st.integers(0, 2 ** 32 - 1))
def test_preserves_structure(a, b, seed):
    obs_a, obs_b = [F.ob(o) for o in a.objects], [F.ob(o) for o in b.objects]
    assert same(F(Id(a)), jax_functions.id(obs_a), seed)
    assert same(F(Swap(a, b)), jax_functions.swap(obs_a, obs_b), seed)
    assert same(F(Copy(a)), jax_functions.copy(obs_a), seed)
    assert same(F(Discard(a)), jax_functions.discard(obs_a), seed)


@SETTINGS
@given(equal_pair(), st.integers(0, 2 ** 32 - 1))
def test_equal_diagrams_have_equal_images(pair, seed):
    # every box here means a deterministic function, so every axiom holds
    left, right, _ = pair
    assert same(F(left), F(right), seed)


@SETTINGS
@given(st.data(), types, st.integers(0, 2 ** 32 - 1))
def test_fold_agrees_with_straight_line_evaluation(data, dom, seed):
    d = diagram(data.draw, dom)
    graph = d.hypergraph
    folded = fold(jax_functions, graph, [F.ar(box) for box in graph.boxes], F.ob)
    assert same(folded, F(d), seed)


def test_image_is_cached_per_hypergraph():
    f, m = SIGNATURE[0], SIGNATURE[2]
    one = (f @ f) >> m
    two = (f @ Id(R)) >> (Id(R) @ f) >> m   # the same hypergraph, built anew
    assert F(one) is F(one) is F(two)
    assert F((Id(R) @ f) >> (f @ Id(R)) >> m) is not F(one)  # same diagram, other data


def test_image_runs_jitted():
    f, m = SIGNATURE[0], SIGNATURE[2]
    image = F((f @ f) >> m)
    assert np.isclose(image(1.0, 2.0), np.sin(1.0) * np.sin(2.0) + 0.5)
    assert image.jitted._cache_size() == 1
    image(3.0, 4.0)
    assert image.jitted._cache_size() == 1
