"""Meshes from a ``devices`` option, and their errors, on the suite's single device.

The sharded runs themselves are in ``test_sharding_devices.py`` (4 simulated
devices, in a subprocess); the long-series and memory checks are marked slow.
"""
import importlib.util
import json
import os
import socket
import subprocess
import sys

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax.sharding import Mesh

from catlearn import sharding
from catlearn.errors import InferenceError, TrainingError
from catlearn.inference.kalman import log_likelihood
from catlearn.inference.sequential import StateSpace
from catlearn.inference.streaming import chunked_filter
from catlearn.inference.target import Target
from catlearn.lang import parse

sys.path.insert(0, os.path.dirname(__file__))
from scaling_support import KALMAN, LGSS, kalman


def lgss_state_space(y, rho=0.9):
    model = parse(open("examples/lgss.cat").read(), "examples/lgss.cat")["lgss"]
    return Target(model, {"T": len(y), "rho": rho}, {"y": np.asarray(y, np.float32)}).sequential()


def test_the_kalman_reference_is_the_library_one():
    y = jnp.asarray(LGSS["y"])[:, None]
    exact = log_likelihood(y, m0=jnp.zeros(1), P0=jnp.eye(1), A=0.9 * jnp.eye(1),
                           Q=jnp.eye(1), H=jnp.eye(1), R=0.25 * jnp.eye(1))
    assert abs(kalman(LGSS["y"])[0] - float(exact)) < 1e-3 and abs(float(exact) - KALMAN) < 1e-3


def test_a_count_is_the_first_devices_and_a_mesh_passes_through():
    assert sharding.mesh(None) is None and sharding.size(None) == 1
    one = sharding.mesh(1)
    assert one.axis_names == (sharding.AXIS,) and list(one.devices.flat) == jax.devices()[:1]
    explicit = Mesh(np.array(jax.devices()[:1]), ("batch",))
    assert sharding.mesh(explicit) is explicit
    x = sharding.shard({"a": jnp.ones((4, 2)), "b": jnp.float32(1)}, explicit)
    assert x["a"].sharding.spec == jax.sharding.PartitionSpec(("batch",))
    assert x["b"].sharding.spec == jax.sharding.PartitionSpec()


def test_asking_for_more_devices_than_exist_names_the_option_and_the_flag():
    with pytest.raises(InferenceError, match=r"smc\(devices = 64\): asks for 64 devices but "
                       r"only 1 cpu device is available.*device_count=64"):
        sharding.mesh(64, who="smc(devices = 64)")


@pytest.mark.parametrize("bad", [0, -2, 2.5, "4", True])
def test_devices_must_be_a_positive_count_or_a_mesh(bad):
    with pytest.raises(TrainingError, match="devices must be a positive whole number"):
        sharding.mesh(bad, error=TrainingError)


def test_indivisible_populations_are_refused_with_a_suggestion():
    four = Mesh(np.array(jax.devices()[:1] * 4), (sharding.AXIS,))   # a size, never run
    sharding.check_divisible(8000, four, "particles")
    with pytest.raises(InferenceError, match=r"nuts\(chains = 6, devices = 4\): 6 chains do "
                       r"not split evenly over 4 devices; use a multiple of 4, e.g. 4 or 8"):
        sharding.check_divisible(6, four, "chains", who="nuts(chains = 6, devices = 4)")


def test_streamed_filter_names_the_impossible_observation():
    impossible_at_33 = StateSpace(lambda k: (jax.random.normal(k), 0.0),
                                  lambda k, x, t: (x, jnp.where(t == 33, -jnp.inf, 0.0)), 40,
                                  lambda t: f"y[{t}]")
    with pytest.raises(InferenceError, match=r"every one of the 100 particles has zero "
                       r"weight at y\[33\]"):
        chunked_filter(jax.random.key(0), impossible_at_33, 100, chunk=16)


@pytest.mark.slow
def test_a_long_series_streams_in_float64_evidence():
    """T = 10^5 with 10^4 particles, streamed in float64: the evidence agrees with
    the Kalman filter and the filtering means track its means."""
    rng = np.random.default_rng(1)
    T = 100_000
    x = np.zeros(T)
    x[0] = rng.normal()
    for t in range(1, T):
        x[t] = 0.9 * x[t - 1] + rng.normal()
    y = x + 0.5 * rng.normal(size=T)
    exact, means = kalman(y)
    out = chunked_filter(jax.random.key(0), lgss_state_space(y), 10_000, chunk=10_000)
    # log Z-hat has sd about 7 here and is biased low by about its variance / 2
    # (Jensen: E[Z-hat] = Z), about 25; a float32 total would be off by 75
    assert exact - 60 < out.log_evidence < exact + 20
    assert np.mean(np.abs(out.means[0] - means)) < 0.02


def multihost_script():
    spec = importlib.util.spec_from_file_location("multihost", "examples/multihost.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_multihost_options_come_from_flags_or_the_environment(monkeypatch):
    script = multihost_script()
    monkeypatch.setenv("CATLEARN_COORDINATOR", "10.0.0.1:8476")
    monkeypatch.setenv("CATLEARN_NUM_PROCESSES", "2")
    monkeypatch.setenv("CATLEARN_PROCESS_ID", "1")
    args = script.options(["--particles", "4000"])
    assert (args.coordinator, args.num_processes, args.process_id, args.particles) == (
        "10.0.0.1:8476", 2, 1, 4000)
    joined = []
    monkeypatch.setattr(jax.distributed, "initialize", lambda **kw: joined.append(kw))
    script.start(args.coordinator, args.num_processes, args.process_id)
    assert joined == [{"coordinator_address": "10.0.0.1:8476", "num_processes": 2,
                       "process_id": 1}]
    assert script.options(["--process-id", "0"]).process_id == 0      # flags win


def test_multihost_script_on_one_process_does_not_start_jax_distributed(monkeypatch, capsys):
    def refuse(**kw):
        raise AssertionError("jax.distributed.initialize called for one process")

    monkeypatch.setattr(jax.distributed, "initialize", refuse)
    result = multihost_script().main(["--particles", "2000"])
    assert (result["processes"], result["devices"]) == (1, 1)
    assert abs(result["log_evidence"] - KALMAN) < 1.5
    assert json.loads(capsys.readouterr().out.strip().splitlines()[-1]) == result


@pytest.mark.slow
def test_multihost_script_on_two_processes_gives_the_one_process_number():
    """Two processes on this host, joined by jax.distributed over gloo, 2 CPU
    devices each: the global mesh has 4 devices and the filter gives the
    same log evidence, bit for bit, as one process on one device."""
    with socket.socket() as s:
        s.bind(("localhost", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "JAX_PLATFORMS": "cpu",
           "XLA_FLAGS": "--xla_force_host_platform_device_count=2"}
    command = [sys.executable, "examples/multihost.py", "--coordinator", f"localhost:{port}",
               "--num-processes", "2", "--particles", "8000"]
    procs = [subprocess.Popen(command + ["--process-id", str(i)], env=env, text=True,
                              stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
             for i in range(2)]
    outputs = [p.communicate(timeout=600)[0] for p in procs]
    assert [p.returncode for p in procs] == [0, 0]
    result = json.loads(outputs[0].strip().splitlines()[-1])
    alone = multihost_script().main(["--particles", "8000"])
    assert (result["processes"], result["devices"]) == (2, 4)
    assert result["log_evidence"] == alone["log_evidence"]
