"""Interrupted runs resume from their last checkpoint and end bit for bit where an
uninterrupted run with the same key ends: the run is a subprocess killed by a signal."""
import os
import signal
import subprocess
import sys
import textwrap

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from catlearn import checkpoint
from catlearn.learning.learner import adam, learn
from catlearn.primitives.nn import dense, relu


def train(**options):
    """Eight epochs of a small regression: the run that is interrupted."""
    x = jax.random.normal(jax.random.key(1), (64, 3))
    y = jnp.sin(x @ jnp.array([[1.0], [-2.0], [0.5]]))
    learner = learn(dense(3, 8) >> relu(8) >> dense(8, 1), optimizer=adam(0.01))
    return learner.fit(None, x, y, epochs=8, batch_size=16, key=jax.random.key(7),
                       progress=False, **options)


def run_until_killed(path, epoch_to_die_in, mid_write):
    """Train in a subprocess that stops, as if slow, while checkpointing ``epoch_to_die_in``
    (half-way through writing it when ``mid_write``), and kill it there with SIGKILL."""
    child = textwrap.dedent(f"""
        import sys, time
        sys.path.insert(0, {os.path.dirname(__file__)!r})
        from test_checkpoint_resume import train
        from catlearn import checkpoint
        real_write = checkpoint.atomic_write

        def stalling_write(path, write):
            if path.endswith(".json") and b'"epoch": {epoch_to_die_in},' in _record(write):
                if {mid_write}:
                    return real_write(path, lambda f: (f.write(b'{{"format'), f.flush(),
                                                       stall()))
                stall()
            return real_write(path, write)

        def _record(write):
            import io
            buffer = io.BytesIO()
            write(buffer)
            return buffer.getvalue()

        def stall():
            print("stalled", flush=True)
            time.sleep(600)

        checkpoint.atomic_write = stalling_write
        train(checkpoint={str(path)!r})
        print("finished", flush=True)
        """)
    process = subprocess.Popen([sys.executable, "-c", child], stdout=subprocess.PIPE,
                               text=True, cwd=os.getcwd())
    try:
        assert process.stdout.readline().strip() == "stalled"
    finally:
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=60)
    assert process.returncode == -signal.SIGKILL


@pytest.mark.parametrize("mid_write", [True, pytest.param(False, marks=pytest.mark.slow)])
def test_killed_training_resumes_to_the_uninterrupted_result(tmp_path, mid_write):
    path = tmp_path / "fit"
    run_until_killed(path, epoch_to_die_in=4, mid_write=mid_write)
    assert checkpoint.load(path).metadata["epoch"] == 3
    resumed, resumed_history = train(checkpoint=str(path))
    params, history = train()
    assert checkpoint.load(path).metadata["epoch"] == 8
    np.testing.assert_array_equal(resumed_history, history)
    for a, b in zip(jax.tree.leaves(resumed), jax.tree.leaves(params)):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
    # a finished run found on disk is returned as it is
    again, again_history = train(checkpoint=str(path))
    np.testing.assert_array_equal(again_history, history)
