"""What a second ``catlearn run`` does before it samples (issue 19, "starts
sampling in < 1 s"): a stored program that calls no LAPACK routine is called
without JAX's LAPACK initialisation (which imports SciPy); one that does is
initialised as JAX would (without it, XLA would call null function pointers).

(No name here contains LAPACK's prefix in lower case: the stored modules keep
their source locations, function names included, and a name with it would
make the plain program ask for LAPACK too; harmless, but not what is tested.)
"""
import os
import subprocess
import sys
import textwrap

import jax.numpy as jnp
import numpy as np
import pytest
from jax._src.export import _export

from catlearn import program_cache


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
