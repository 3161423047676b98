"""A long run as segments, its state saved after each: what makes it resumable.

A method that runs in one compiled loop (MCMC's iterations, a particle
filter's time steps, tempering stages, PMMH's steps) can instead run the same
loop body over consecutive ranges ``[start, stop)`` of its steps, one compiled
segment at a time. After each segment the whole state is saved as a checkpoint
(:mod:`catlearn.checkpoint`) with the number of steps done; a run finding that
checkpoint, made by the same fingerprint, starts from it. Every step draws its
key from the run's key by its index, never from the segment, so a run killed
at any point and resumed makes the same draws as one never interrupted.

>>> import os, tempfile, numpy as np
>>> path = os.path.join(tempfile.mkdtemp(), "count")
>>> add = lambda total, start, stop: total + np.arange(start, stop).sum()
>>> int(in_segments(add, np.int64(0), [3, 6, 9, 10], checkpoint=path, made_by="sum"))
45
>>> int(in_segments(add, np.int64(0), [3, 6, 9, 10], checkpoint=path, made_by="sum"))
45
"""
from __future__ import annotations

from dataclasses import fields
from typing import Any, Callable, Optional, Sequence

import jax
import numpy as np

from catlearn import checkpoint as checkpoints, progress
from catlearn.errors import DataError, InferenceError
from catlearn.inference.options import positive_int, whole_seed
from catlearn.progress import Bar

Advance = Callable[[Any, int, int], Any]   # state, start, stop -> state after steps start … stop-1


def stops(total: int, every: int, start: int = 0) -> list[int]:
    """The ends of segments of ``every`` steps from ``start`` to ``total``.

    >>> stops(10, 4), stops(10, 4, start=1), stops(3, 5)
    ([4, 8, 10], [5, 9, 10], [3])
    """
    return [*range(start + every, total, every), total] if total > start else []


def in_segments(advance: Advance, state: Any, ends: Sequence[int], *, checkpoint: str,
                made_by: str, finished: Optional[Callable[[Any], bool]] = None,
                bar: Optional[Bar] = None) -> Any:
    """``state`` advanced over the steps ``0 … ends[-1] - 1``, one segment ending at each
    of ``ends`` (increasing), and saved after each as ``checkpoint`` with the
    fingerprint ``made_by``; a checkpoint already there is where the run starts
    (its structure and dtypes those of ``state``). ``finished(state)`` ends a run
    whose steps stop early (tempering reaching temperature 1); ``bar`` is advanced
    to the steps done."""
    done = 0
    if checkpoints.exists(checkpoint):
        state, saved = checkpoints.load(checkpoint, like=state, made_by=made_by)
        done = saved.get("done")
        if isinstance(done, bool) or done not in ends:
            raise DataError(f"checkpoint {checkpoint}: {done!r} is not a number of steps "
                            f"at which this run saves (from {ends[0]} to {ends[-1]})")
    for stop in ends:
        if bar is not None:
            bar.advance_to(done)
        if stop <= done:
            continue
        if finished is not None and finished(state):
            break
        state = advance(state, done, stop)
        done = stop
        checkpoints.save(checkpoint, state, {"done": done}, made_by)
    return state


def filled(whole: Any, part: Any, start: int) -> Any:
    """The buffers ``whole`` (host arrays, steps first) with the rows of ``part`` written
    from ``start`` on."""
    def fill(buffer: np.ndarray, rows: jax.Array) -> np.ndarray:
        if not (isinstance(buffer, np.ndarray) and buffer.flags.writeable):
            buffer = np.array(buffer)
        buffer[start:start + rows.shape[0]] = np.asarray(rows)
        return buffer
    return jax.tree.map(fill, whole, part)


def blank(shapes: Any) -> Any:
    """Zeros of the shapes and dtypes of ``shapes`` (e.g. from ``jax.eval_shape``), as
    host arrays; typed PRNG keys are made from zero key data."""
    def zeros(s):
        if jax.dtypes.issubdtype(s.dtype, jax.dtypes.prng_key):
            return jax.random.wrap_key_data(np.zeros(
                s.shape + jax.random.key_data(jax.random.key(0)).shape, np.uint32))
        return np.zeros(s.shape, s.dtype)
    return jax.tree.map(zeros, shapes)


def check_options(method: Any) -> None:
    """Refuse what a population method's options cannot mean: particles that are not a
    positive count, a seed that is not whole, a checkpoint that is not a path, segments
    that are not a positive count."""
    positive_int(method.name, "particles", method.particles)
    whole_seed(method.name, method.seed)
    if not (method.checkpoint is None or isinstance(method.checkpoint, str)):
        raise InferenceError(f"{method.name}: checkpoint must be a path (a string), "
                             f"got {method.checkpoint!r}")
    positive_int(method.name, "checkpoint_every", method.checkpoint_every)


def fingerprint(method: Any, target: Any, key: jax.Array) -> str:
    """What makes a method's run on ``target``: the model, its arguments and data, the
    key and every option of ``method`` (a dataclass) but where it is shown, saved and run."""
    options = {f.name: getattr(method, f.name) for f in fields(method)
               if f.name not in ("progress", "devices", "checkpoint")}
    return checkpoints.fingerprint(target.model.signature, repr(target.model.diagram),
                                   target.inputs, target.data, options, key)


def options(method: Any, target: Any, key: jax.Array) -> dict:
    """The keywords of a run in segments of ``method`` (with ``checkpoint`` and
    ``checkpoint_every``, ``progress`` and ``name``) on ``target``."""
    return dict(checkpoint=method.checkpoint, every=method.checkpoint_every,
                made_by=fingerprint(method, target, key),
                show=progress.wanted(method.progress),
                what=f"{method.name} on {target.model.name}")
