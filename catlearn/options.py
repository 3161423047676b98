"""Keyword options checked by name: an unknown one is an error naming it.

A Python function called with a keyword it does not take, or without an
argument it needs, raises a bare ``TypeError``; the functions users call
(inference methods, ``infer``, ``fit``, a learner's ``fit``, ``predict``,
``loss``) are wrapped by :func:`checked_options` so that the mistake is an
:class:`~catlearn.errors.UnknownNameError` naming the user's word, the
closest option, and, for NumPyro's and BlackJAX's spellings, catlearn's; or a
:class:`~catlearn.errors.CatlearnTypeError` naming what is missing and the
order the arguments come in (``learner.fit(x, y)`` scikit-learn's way is one
short: the parameters come first).

>>> @checked_options
... def nuts(chains: int = 4, warmup: int = 1000):
...     return chains, warmup
>>> nuts(num_chains=2)
Traceback (most recent call last):
...
catlearn.errors.UnknownNameError: nuts has no option 'num_chains'; did you mean 'chains'? (options: chains, warmup)
>>> @checked_options
... def fit(params, x, y, epochs: int = 1):
...     return epochs
>>> fit([[0.5]], [1.0])
Traceback (most recent call last):
...
catlearn.errors.CatlearnTypeError: fit(params, x, y) is missing y (given 2 arguments: they are taken in that order)
"""
from __future__ import annotations

import difflib
import functools
import inspect
from typing import Callable, Sequence, TypeVar

from catlearn.errors import CatlearnTypeError, UnknownNameError

F = TypeVar("F", bound=Callable)

PEER_NAMES = {"num_chains": "chains", "num_warmup": "warmup", "num_samples": "samples",
              "num_particles": "particles", "num_draws": "draws",
              "target_accept_prob": "target_accept", "rng_key": "key",
              "num_leapfrog_steps": "num_steps", "num_integration_steps": "num_steps",
              "max_depth": "max_tree_depth", "learning_rate": "rate",
              "num_epochs": "epochs", "batch": "batch_size"}
"""Option names of NumPyro, BlackJAX and other peers, and catlearn's for the same."""


def unknown_option(owner: str, option: str, known: Sequence[str]) -> UnknownNameError:
    """The error for ``owner(option=...)``: the closest known option, if any."""
    peer = PEER_NAMES.get(option)
    close = [peer] if peer in known else difflib.get_close_matches(option, known, n=1)
    hint = f"; did you mean '{close[0]}'?" if close else ""
    return UnknownNameError(f"{owner} has no option '{option}'{hint} "
                            f"(options: {', '.join(known)})")


def checked_options(fn: F) -> F:
    """``fn``, refusing unknown keywords and surplus positional arguments by name."""
    signature = inspect.signature(fn)
    params = signature.parameters.values()
    known = [p.name for p in params if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)]
    takes_any = any(p.kind is p.VAR_KEYWORD for p in params)
    positional = [p.name for p in params if p.kind is p.POSITIONAL_OR_KEYWORD]
    varargs = any(p.kind is p.VAR_POSITIONAL for p in params)
    required = [p.name for p in params if p.default is p.empty
                and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)]
    method = bool(positional) and positional[0] == "self"   # its object is no argument
    shown = [name for name in required if name != "self" or not method]
    owner = fn.__name__

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        if not takes_any:
            for option in kwargs:
                if option not in known:
                    raise unknown_option(owner, option, known)
        if not varargs and len(args) > len(positional):
            raise UnknownNameError(
                f"{owner} takes at most {len(positional)} positional argument"
                f"{'s' if len(positional) != 1 else ''} ({', '.join(positional)}), got "
                f"{len(args)}; name the options, as in {owner}({known[0]}=...)"
                if known else f"{owner} takes no arguments, got {len(args)}")
        filled = set(positional[:len(args)]) | set(kwargs)
        missing = [name for name in required if name not in filled]
        if missing:
            given = len(args) - method
            raise CatlearnTypeError(
                f"{owner}({', '.join(shown)}) is missing {', '.join(missing)} (given {given} "
                f"argument{'s' if given != 1 else ''}: they are taken in that order)")
        return fn(*args, **kwargs)
    return wrapper  # type: ignore[return-value]
