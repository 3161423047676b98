"""Run a Python snippet on simulated devices, in a subprocess.

XLA fixes the number of host devices when jax starts, so a test on 4
devices runs in a fresh interpreter with
``XLA_FLAGS=--xla_force_host_platform_device_count=4``; the rest of the
suite keeps its single device. The snippet binds ``result`` to anything
JSON can carry, and :func:`run_on_devices` returns it.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
MARK = "RESULT-JSON:"


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
