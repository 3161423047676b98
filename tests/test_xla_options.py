"""catlearn's XLA option: small CPU loops compiled whole, and NUTS written to qualify."""
import os

import jax
import jax.numpy as jnp
import pytest

import catlearn  # noqa: F401  (sets the option, as any user's import does)
from catlearn import xla_options
from catlearn.inference.nuts import nuts


def test_the_option_is_added_only_where_the_user_has_not_chosen(monkeypatch):
    monkeypatch.setattr(xla_options, "_backends_started", lambda: False)
    monkeypatch.setenv("XLA_FLAGS", "--xla_force_host_platform_device_count=2")
    assert xla_options.compile_small_loops_whole(4096)
    flags = os.environ["XLA_FLAGS"]
    assert flags == ("--xla_force_host_platform_device_count=2 --xla_backend_extra_options="
                     "xla_cpu_small_while_loop_byte_threshold=4096")
    chosen = "--xla_backend_extra_options=xla_cpu_small_while_loop_byte_threshold=1024"
    monkeypatch.setenv("XLA_FLAGS", chosen)
    assert not xla_options.compile_small_loops_whole()
    assert os.environ["XLA_FLAGS"] == chosen


def test_too_late_once_the_backends_have_started(monkeypatch):
    jax.devices()
    monkeypatch.delenv("XLA_FLAGS", raising=False)
    assert not xla_options.compile_small_loops_whole()
    assert "XLA_FLAGS" not in os.environ


@pytest.mark.skipif(jax.default_backend() != "cpu", reason="an XLA:CPU compilation strategy")
def test_a_nuts_trajectory_compiles_into_one_function_on_cpu():
    # Every while loop of a vectorised NUTS step is a small call: none is left to
    # run operation by operation. A scatter or gather in the trajectory's
    # bookkeeping (indexing by a per-chain level) would bar it.
    kernel = nuts(lambda x: -0.5 * jnp.sum(x ** 2), 0.5, jnp.ones(3))
    step = jax.jit(jax.vmap(kernel.step))
    states = jax.vmap(kernel.init)(jnp.zeros((4, 3)))
    hlo = step.lower(jax.random.split(jax.random.key(0), 4), states).compile().as_text()
    entry = hlo[hlo.index("\nENTRY"):]
    entry = entry[:entry.index("\n}")]
    assert 'xla_cpu_small_call="true"' in hlo
    assert " while(" not in entry
