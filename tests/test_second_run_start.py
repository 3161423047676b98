"""What a second ``catlearn run`` does before it samples (issue 19, "starts
sampling in < 1 s"): a stored program that calls no LAPACK routine is called
without JAX's LAPACK initialisation (which imports SciPy); one that does is
initialised as JAX would (without it, XLA would call null function pointers).
Building a query's target compiles nothing: constant parameters and data are
checked by NumPy, with the answers JAX's checks give.

(No name here contains LAPACK's prefix in lower case: the stored modules keep
their source locations, function names included, and a name with it would
make the plain program ask for LAPACK too; harmless, but not what is tested.)
"""
import os
import subprocess
import sys
import textwrap

from contextlib import contextmanager

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax._src.export import _export

import catlearn as cl
from catlearn import program_cache
from catlearn.distributions import Beta, Normal, constraints as c
from catlearn.inference.target import Target
from catlearn.keys import key_of_seed


def doubled(x):
    return 2 * x


def factor(x):
    return jnp.linalg.cholesky(x)


def test_linear_algebra_is_initialised_only_for_a_program_that_calls_it(tmp_path, monkeypatch):
    asked = []
    monkeypatch.setattr(_export, "_ensure_backends_initialized", asked.append)
    with program_cache.ProgramCache(str(tmp_path), context="test"):
        plain = program_cache.call("doubled", doubled, jnp.ones(3))
        assert asked == []
        chol = program_cache.call("factor", factor, 4.0 * jnp.eye(2))
    assert asked == [("cpu",)]          # the control: this one asks, as JAX does
    assert plain.tolist() == [2.0, 2.0, 2.0]
    np.testing.assert_allclose(chol, 2.0 * np.eye(2))
    assert _export._ensure_backends_initialized == asked.append  # put back after the call


SCRIPT = textwrap.dedent("""
    import sys
    import jax.numpy as jnp
    from catlearn import program_cache
    sys.path.insert(0, {tests!r})
    from test_second_run_start import doubled, factor
    with program_cache.ProgramCache({folder!r}, context="test") as cache:
        plain = program_cache.call("doubled", doubled, jnp.ones(3))
        scipy_after_plain = "scipy.linalg" in sys.modules
        chol = program_cache.call("factor", factor, 4.0 * jnp.eye(2))
    print(cache.read, scipy_after_plain, plain.tolist(), chol.tolist())
""")


@pytest.mark.slow
def test_a_fresh_process_reads_both_and_imports_scipy_only_for_the_factor(tmp_path):
    script = SCRIPT.format(tests=os.path.dirname(__file__), folder=str(tmp_path))

    def fresh() -> str:
        done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                              timeout=120)
        assert done.returncode == 0, done.stderr   # a wrongly skipped LAPACK is a crash
        return done.stdout.strip().split(maxsplit=2)

    assert fresh()[0] == "0"   # the first process writes both
    read, scipy_after_plain, values = fresh()
    assert read == "2" and scipy_after_plain == "False"
    assert values == "[2.0, 2.0, 2.0] [[2.0, 0.0], [0.0, 2.0]]"


@contextmanager
def compiled():
    """The names of the programs XLA compiles inside the block."""
    names = []

    def listen(event, duration, fun_name=None, **kwargs):
        if event.endswith("backend_compile_duration"):
            names.append(fun_name)
    jax.monitoring.register_event_duration_secs_listener(listen)
    try:
        yield names
    finally:
        jax.monitoring.unregister_event_duration_listener(listen)


COIN = """
model coin(n: Nat) {
    p ~ Beta(2, 1)
    for i in range(n) {
        flips[i] ~ Bernoulli(p)
    }
}
"""


def test_building_a_target_compiles_nothing():
    model = cl.parse(COIN)["coin"]
    n = 23   # a length no other test uses: nothing of it is in JAX's caches
    with compiled() as names:
        target = Target(model, {"n": n}, {"flips": np.arange(n) % 2})
    assert names == [] and target.data["flips"].shape == (n,)
    with compiled() as names:   # the control: an eager JAX operation on a new shape
        jnp.floor(jnp.zeros(n + 1) + 0.5)
    assert names


def test_bad_data_and_parameters_are_still_refused():
    model = cl.parse(COIN)["coin"]
    with pytest.raises(cl.CatlearnError, match="outside the support"):
        Target(model, {"n": 3}, {"flips": np.array([0, 1, 2])})
    with compiled() as names:
        with pytest.raises(cl.CatlearnError, match="scale must be positive, got -1.0"):
            Normal(0.0, -1.0)
        with pytest.raises(cl.CatlearnError, match="b must be positive, got -2.0"):
            Beta(1.0, [1.0, -2.0])   # the culprit named among a batch
    assert names == []


GOOD_AND_BAD = [
    (c.real, [0.0, np.inf, np.nan, -3.0]),
    (c.positive, [1.0, 0.0, -1.0, np.inf]),
    (c.nonnegative, [0.0, -0.5, 2.0]),
    (c.unit_interval, [0.0, 1.0, 1.5, -0.1]),
    (c.interval(-1.0, 2.0), [-1.0, 2.5, 0.3]),
    (c.bounded(0.0, np.inf), [0.0, np.inf, -1.0, np.nan]),
    (c.extended_real, [np.inf, np.nan, 0.0]),
    (c.boolean, [0.0, 1.0, 2.0, 0.5]),
    (c.nonnegative_integer, [0.0, 3.0, -1.0, 2.5]),
    (c.simplex, [[0.25, 0.75], [0.5, 0.6], [-0.5, 1.5]]),
    (c.ordered_vector, [[0.0, 1.0], [1.0, 1.0], [2.0, -1.0]]),
    (c.positive_ordered_vector, [[0.5, 1.0], [-0.5, 1.0]]),
    (c.real_vector, [[0.0, 1.0], [np.nan, 0.0]]),
    (c.positive_vector, [[1.0, 2.0], [1.0, 0.0]]),
    (c.cov_cholesky, [[[1.0, 0.0], [0.5, 2.0]], [[1.0, 0.3], [0.5, 2.0]], [[-1.0, 0.0], [0, 1]]]),
    (c.corr_cholesky, [[[1.0, 0.0], [0.6, 0.8]], [[1.0, 0.0], [0.6, 0.9]]]),
    (c.positive_definite, [[[2.0, 0.5], [0.5, 1.0]], [[1.0, 2.0], [2.0, 1.0]]]),
]


@pytest.mark.parametrize("constraint, values", GOOD_AND_BAD, ids=lambda v: str(v)[:24])
def test_a_check_on_numpy_answers_as_jax_does(constraint, values):
    values = np.asarray(values, np.float32)
    by_numpy, by_jax = constraint.check(values), constraint.check(jnp.asarray(values))
    assert isinstance(by_numpy, np.ndarray) or constraint is c.positive_definite
    np.testing.assert_array_equal(np.asarray(by_numpy), np.asarray(by_jax))
    assert np.asarray(by_jax).any() and not np.asarray(by_jax).all()  # good and bad met


@pytest.mark.parametrize("seed", [0, 1, 12345, 2 ** 31 - 1, -1, 2 ** 31])
def test_the_key_of_a_seed_is_jaxs_and_compiles_nothing_in_range(seed):
    with compiled() as names:
        key = key_of_seed(seed)
    assert names == [] or not 0 <= seed < 2 ** 31   # out of range: made by JAX
    expected = jax.random.key(seed)
    assert key.dtype == expected.dtype
    np.testing.assert_array_equal(jax.random.key_data(key), jax.random.key_data(expected))
    np.testing.assert_array_equal(jax.random.normal(key, (3,)), jax.random.normal(expected, (3,)))
