"""The distributions a program can name, by name.

The language reaches only what is registered here; users add their own
:class:`~catlearn.distributions.distribution.Distribution` subclasses with
:func:`register`.

>>> get("Normal").arg_names
('loc', 'scale')
>>> get("Normall")
Traceback (most recent call last):
...
catlearn.errors.DistributionError: unknown distribution 'Normall'; did you mean 'Normal'?
"""
from __future__ import annotations

import difflib

from catlearn.distributions.distribution import Distribution
from catlearn.distributions.truncated import TRUNCATED, truncated
from catlearn.errors import DistributionError

DISTRIBUTIONS: dict[str, type[Distribution]] = {}


def register(name: str, cls: type[Distribution]) -> type[Distribution]:
    """Make ``cls`` available to programs as ``name``."""
    if not (isinstance(cls, type) and issubclass(cls, Distribution)):
        raise DistributionError(f"cannot register '{name}': {cls!r} is not a Distribution class")
    DISTRIBUTIONS[name] = cls
    return cls


def get(name: str) -> type[Distribution]:
    """The distribution class called ``name``, or an error suggesting the closest name.
    ``Truncated(Normal)`` is ``Normal`` truncated (:mod:`catlearn.distributions.truncated`)."""
    if name.startswith(TRUNCATED + "(") and name.endswith(")"):
        return truncated(get(name[len(TRUNCATED) + 1:-1]))
    if name not in DISTRIBUTIONS:
        close = difflib.get_close_matches(name, DISTRIBUTIONS, n=1)
        hint = f"; did you mean '{close[0]}'?" if close else ""
        raise DistributionError(f"unknown distribution '{name}'{hint}")
    return DISTRIBUTIONS[name]
