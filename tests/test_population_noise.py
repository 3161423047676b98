"""Population noise: the particles of a filter's stage share its key, and each
box draws for all of them at once (``catlearn.categories.sampler.population``).

What must hold is what a key per particle gave: the same key gives the same
population, particles' draws are distinct and independent, distinct boxes
and loop iterations draw independently, and a particle run alone draws as
under independent noise. The negative control is the plain strategy under
the same shared key: every particle then draws the same value.
"""
import jax
import jax.numpy as jnp
import numpy as np

from catlearn.categories.sampler import independent, over_population, population
from catlearn.categories.traced import TracedSamplers
from catlearn.functor import Functor
from catlearn.inference.target import Target
from catlearn.lang import parse
from catlearn.syntax import Ty
from catlearn.syntax.model import Const, Sample

R = Ty("Real")
N = 4000
# two sites drawn by two boxes of one diagram
TWO = (Const(0.0) @ Const(1.0) >> Sample("a", "Normal", R @ R, R)) @ (
    Const(2.0) @ Const(0.5) >> Sample("b", "Normal", R @ R, R))

PLATED = parse("""
model plated(T: Nat, K: Nat) {
    for k in range(K) { u[k] ~ Normal(0, 1) }
    x[0] ~ Normal(u[0], 1)
    y[0] ~ Normal(x[0], 1)
    for t in range(1, T) {
        x[t] ~ Normal(x[t-1], 1)
        y[t] ~ Normal(x[t], 1)
    }
}
""")["plated"]


def distinct(v) -> bool:
    """No more repeats than independent float32 draws make: JAX's uniform has 2^23
    values, so ``m`` draws repeat about ``m² / 2^24`` times (15 in 16,000)."""
    m = np.size(v)
    return m - np.unique(v).size <= 3 * m * m / 2 ** 24 + 3


def draws(noise, key, n=N):
    """The sites of ``TWO`` for ``n`` particles sharing ``key``."""
    run = Functor(cod=TracedSamplers(dims={}, noise=noise))(TWO)
    _, trace = over_population(lambda k, i: run.fn(k, {}))(key, jnp.arange(n))
    return {site: np.asarray(v) for site, v in trace.sites().items()}


def test_particles_sharing_a_key_draw_independent_values():
    z = draws(population, jax.random.key(0))
    a, b = z["a"], (z["b"] - 2.0) / 0.5
    se = 1 / np.sqrt(N)
    for v in (a, b):
        assert abs(v.mean()) < 5 * se and abs(v.std() - 1) < 5 * se
        assert distinct(v)
        assert abs(np.corrcoef(v[:-1], v[1:])[0, 1]) < 5 * se   # neighbours unrelated
    assert abs(np.corrcoef(a, b)[0, 1]) < 5 * se                # two boxes unrelated


def test_the_same_key_gives_the_same_population():
    first, again = draws(population, jax.random.key(3)), draws(population, jax.random.key(3))
    other = draws(population, jax.random.key(4))
    assert np.array_equal(first["a"], again["a"]) and np.array_equal(first["b"], again["b"])
    assert not np.any(first["a"] == other["a"])


def test_negative_control_a_shared_key_without_population_noise_repeats_one_draw():
    z = draws(independent, jax.random.key(0))
    assert np.unique(z["a"]).size == 1 and np.unique(z["b"]).size == 1


def test_a_particle_alone_draws_as_under_independent_noise():
    def alone(noise):
        run = Functor(cod=TracedSamplers(dims={}, noise=noise))(TWO)
        return run.fn(jax.random.key(5), {})[1].sites()
    ours, theirs = alone(population), alone(independent)
    assert all(float(ours[s]) == float(theirs[s]) for s in ("a", "b"))


def test_a_plate_in_a_stage_draws_anew_for_each_iteration_and_particle():
    model = Target(PLATED, {"T": 3, "K": 4}, {"y": jnp.zeros(3)}).sequential()
    particles, _ = over_population(lambda k, i: model.init(k))(jax.random.key(1),
                                                               jnp.arange(N))
    u = np.asarray(particles.sites["u"])            # (particles, K)
    assert u.shape == (N, 4) and distinct(u)
    se = 1 / np.sqrt(N)
    assert np.all(np.abs(u.mean(0)) < 5 * se) and np.all(np.abs(u.std(0) - 1) < 5 * se)
    corr = np.corrcoef(u.T)[np.triu_indices(4, 1)]  # iterations unrelated
    assert np.all(np.abs(corr) < 5 * se)
