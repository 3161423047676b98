"""Support for the scaling tests: a reference filter and simulated devices.

:func:`kalman` is the exact log evidence and filtering means of the lgss
example, in float64. :func:`run_on_devices` runs a Python snippet on
simulated devices, in a subprocess: XLA fixes the number of host devices when jax starts, so a test on 4
devices runs in a fresh interpreter with
``XLA_FLAGS=--xla_force_host_platform_device_count=4``; the rest of the
suite keeps its single device. The snippet binds ``result`` to anything
JSON can carry, and :func:`run_on_devices` returns it.
"""
from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
MARK = "RESULT-JSON:"
LGSS = json.loads((ROOT / "examples" / "lgss.json").read_text())
KALMAN = -172.454   # log p(y) of examples/lgss.json at rho = 0.9, by the Kalman filter


def kalman(y, rho: float = 0.9) -> tuple[float, np.ndarray]:
    """Exact log evidence and filtering means ``E[x_t | y_0 … y_t]`` of the lgss
    model (``x_0 ~ N(0, 1)``, ``x_t ~ N(rho x_{t-1}, 1)``, ``y_t ~ N(x_t, 0.5)``)."""
    m, p, total, means = 0.0, 1.0, 0.0, []
    for t, obs in enumerate(np.asarray(y, np.float64)):
        if t:
            m, p = rho * m, rho ** 2 * p + 1.0
        s = p + 0.25
        total += -0.5 * (math.log(2 * math.pi * s) + (obs - m) ** 2 / s)
        m, p = m + p / s * (obs - m), p - p ** 2 / s
        means.append(m)
    return total, np.array(means)


def run_on_devices(snippet: str, devices: int = 4, timeout: float = 300) -> Any:
    """``result`` of ``snippet``, run from the repository root with ``devices``
    simulated CPU devices; a failing snippet fails the test with its stderr."""
    code = (textwrap.dedent(snippet)
            + f"\nimport json as _json\nprint({MARK!r} + _json.dumps(result))\n")
    flags = os.environ.get("XLA_FLAGS", "")
    env = {**os.environ, "JAX_PLATFORMS": "cpu",
           "XLA_FLAGS": f"{flags} --xla_force_host_platform_device_count={devices}".strip()}
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, text=True,
                          capture_output=True, timeout=timeout)
    if done.returncode:
        raise AssertionError(f"snippet failed on {devices} devices:\n{done.stderr[-4000:]}")
    line = next(l for l in reversed(done.stdout.splitlines()) if l.startswith(MARK))
    return json.loads(line[len(MARK):])
