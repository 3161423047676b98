"""The one XLA option catlearn sets: compile small CPU loops whole.

XLA:CPU runs a compiled program operation by operation, each a "thunk" with
an overhead of about 0.1 µs, except for while loops whose working set it
judges small (under ``xla_cpu_small_while_loop_byte_threshold`` bytes, 1 KiB
by default): those it compiles into one function. A NUTS trajectory is such a
loop: per leapfrog step, a few dozen operations on arrays of a few hundred
bytes, built from selects so that nothing in it is a scatter or gather (which
would bar the loop from being compiled whole). With the threshold at 1 MiB,
NUTS on eight schools takes 1.8 µs per leapfrog step instead of 4.3 µs (the
kernel alone, 4 chains, step size 0.4, unit metric; ``benchmarks/README.md``,
MCMC); loops that call a matrix product (``dot``) run as before.

The option is process-wide: it is read from ``XLA_FLAGS`` when JAX starts its
backends. :func:`compile_small_loops_whole` adds it there, when JAX has not
started them yet and the flags do not already set ``xla_backend_extra_options``
(set that yourself to choose otherwise, e.g. the default
``--xla_backend_extra_options=xla_cpu_small_while_loop_byte_threshold=1024``).
Importing catlearn calls it. Results are the same either way, up to the
rounding of floating-point sums.
"""
from __future__ import annotations

import os

SMALL_LOOP_BYTES = 1 << 20
_OPTION = "xla_backend_extra_options"


def compile_small_loops_whole(threshold: int = SMALL_LOOP_BYTES) -> bool:
    """Ask XLA:CPU to compile while loops touching under ``threshold`` bytes as
    one function each. True if the option was added to ``XLA_FLAGS``; False
    where the user's flags already choose, or JAX's backends have started (too
    late for any flag)."""
    flags = os.environ.get("XLA_FLAGS", "")
    if _OPTION in flags or _backends_started():
        return False
    os.environ["XLA_FLAGS"] = (
        f"{flags} --{_OPTION}=xla_cpu_small_while_loop_byte_threshold={threshold}".strip())
    return True


def _backends_started() -> bool:
    import jax._src.xla_bridge as bridge   # no public way to ask without starting them
    return bridge.backends_are_initialized()
