"""Keyword options checked by name: an unknown one is an error naming it.

A Python function called with a keyword it does not take raises a bare
``TypeError``; the functions users call (inference methods, ``infer``,
``fit``) are wrapped by :func:`checked_options` so that the mistake is an
:class:`~catlearn.errors.UnknownNameError` naming the user's word, the
closest option, and, for NumPyro's and BlackJAX's spellings, catlearn's.

>>> @checked_options
... def nuts(chains: int = 4, warmup: int = 1000):
...     return chains, warmup
>>> nuts(num_chains=2)
Traceback (most recent call last):
...
catlearn.errors.UnknownNameError: nuts has no option 'num_chains'; did you mean 'chains'? (options: chains, warmup)
"""
from __future__ import annotations

import difflib
import functools
import inspect
from typing import Callable, Sequence, TypeVar

from catlearn.errors import UnknownNameError

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
        return fn(*args, **kwargs)
    return wrapper  # type: ignore[return-value]
