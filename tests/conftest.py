"""Test helpers (model builders, hypothesis strategies) live beside the tests.

Every test runs from the repository root, whatever folder pytest was started
in, so that the paths the tests name (``examples/coin.cat``) are the
repository's own. catlearn is imported here, before any test module can start
JAX's backends, so that its XLA option (``catlearn/xla_options.py``) holds in
every test process whatever the order of the modules.
"""
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
os.chdir(ROOT)

import catlearn  # noqa: E402,F401  (applies the XLA option before JAX starts)
