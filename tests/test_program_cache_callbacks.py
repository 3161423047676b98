"""A program with a host callback that ``jax.export`` exports but cannot write
(what equinox's runtime checks put into every diffrax solve) runs as a plain call
under the program cache, rather than failing ``catlearn run``."""
import jax
import jax.numpy as jnp
import numpy as np

from catlearn.program_cache import ProgramCache, call


def _with_callback(x):
    jax.debug.callback(lambda v: None, x)
    return 2 * x


def _double(x):
    return 2 * x


def test_a_program_with_a_host_callback_is_called_plainly(tmp_path):
    with ProgramCache(str(tmp_path), context="callbacks") as cache:
        out = call("with_callback", _with_callback, jnp.arange(3.0))
    np.testing.assert_allclose(out, [0.0, 2.0, 4.0])
    assert cache.written == 0 and not list(tmp_path.rglob("*.*"))


def test_a_program_without_one_is_still_stored(tmp_path):
    """The control: the same program without the callback is written."""
    with ProgramCache(str(tmp_path), context="callbacks") as cache:
        call("double", _double, jnp.arange(3.0))
    assert cache.written == 1
