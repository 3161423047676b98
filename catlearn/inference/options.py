"""Checks of inference methods' options, made when a method is constructed,
so that ``smc(particles = 0)`` fails with the option's name before anything runs.

>>> positive_int("smc", "particles", 0)
Traceback (most recent call last):
...
catlearn.errors.InferenceError: smc: particles must be a positive integer, got 0
"""
from __future__ import annotations

from typing import Any

from catlearn.errors import InferenceError


#: the most draws, particles or steps: JAX counts and indexes them with int32
COUNT_LIMIT = 2 ** 31 - 1
#: the largest seed: ``jax.random.key`` keeps 32 bits of it (uint32)
SEED_LIMIT = 2 ** 32 - 1


def positive_int(method: str, name: str, value: Any) -> None:
    if not (isinstance(value, int) and value >= 1):
        raise InferenceError(f"{method}: {name} must be a positive integer, got {value!r}")
    within(method, name, value, COUNT_LIMIT)


def within(method: str, name: str, value: int, limit: int) -> None:
    """Refuse a count or seed beyond what JAX's integers hold, naming the limit."""
    if value > limit:
        raise InferenceError(f"{method}: {name} = {value} is beyond the limit {limit} "
                             f"({'uint32' if limit == SEED_LIMIT else 'int32'})")


def whole_seed(method: str, value: Any) -> None:
    if not (isinstance(value, int) and not isinstance(value, bool) and value >= 0):
        raise InferenceError(f"{method}: seed must be a whole number >= 0, got {value!r}")
    within(method, "seed", value, SEED_LIMIT)


def fraction(method: str, name: str, value: Any, *, closed: bool = True) -> None:
    if not (isinstance(value, (int, float)) and (0 <= value <= 1 if closed else 0 < value < 1)):
        interval = "[0, 1]" if closed else "(0, 1)"
        raise InferenceError(f"{method}: {name} must be a number in {interval}, got {value!r}")


def whole(method: str, name: str, value: Any) -> None:
    if not (isinstance(value, int) and not isinstance(value, bool) and value >= 0):
        raise InferenceError(f"{method}: {name} must be a whole number >= 0, got {value!r}")
