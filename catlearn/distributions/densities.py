"""Log densities as functions of a program's expressions, as Stan writes them.

``normal_lpdf(y, mu, sigma)`` is Stan's ``normal_lpdf(y | mu, sigma)``: the log
density of ``Normal(mu, sigma)`` at ``y``, summed over the elements (a number),
for ``factor`` and for mixtures and hidden Markov models written by hand
(``log_mix``, ``log_sum_exp``). Every proper distribution of the registry has
one, named from its own name in snake case with ``_lpdf`` (continuous) or
``_lpmf`` (discrete): ``student_t_lpdf``, ``half_cauchy_lpdf``,
``poisson_lpmf``; Stan's spellings of a few are accepted too
(:data:`STAN_SPELLINGS`). Each is one primitive, ``log_density``, with the
distribution's name as its static option.

>>> density_of("student_t_lpdf"), density_of("multi_normal_lpdf"), density_of("exp")
('StudentT', 'MultivariateNormal', None)
>>> import jax.numpy as jnp
>>> round(float(log_density(jnp.zeros(2), 0.0, 1.0, dist="Normal")), 4)  # two N(0, 1) at 0
-1.8379
"""
from __future__ import annotations

import difflib
import re
from typing import Optional

import jax
import jax.numpy as jnp

from catlearn.distributions.registry import DISTRIBUTIONS, get
from catlearn.errors import CatlearnTypeError, UnknownNameError
from catlearn.primitives.ops import register_primitive

#: Stan's names for distributions whose catlearn name reads differently
STAN_SPELLINGS = {"lognormal": "LogNormal", "multi_normal": "MultivariateNormal",
                  "inv_gamma": "InverseGamma"}
SUFFIXES = ("_lpdf", "_lpmf")


def snake(name: str) -> str:
    """``HalfCauchy`` -> ``half_cauchy``; ``StudentT`` -> ``student_t``."""
    return re.sub(r"(?<=[a-z])(?=[A-Z])", "_", name).lower()


def function_name(dist: str) -> str:
    """The name of a distribution's log density: ``poisson_lpmf``, ``normal_lpdf``."""
    return snake(dist) + ("_lpmf" if get(dist).is_discrete else "_lpdf")


def _by_stem() -> dict[str, str]:
    stems = {snake(name): name for name, cls in DISTRIBUTIONS.items() if cls.is_proper}
    return {**stems, **STAN_SPELLINGS}


def density_of(func: str) -> Optional[str]:
    """The distribution whose log density ``func`` names, None if it names none;
    a name ending in ``_lpdf``/``_lpmf`` that fits no distribution is refused."""
    if not func.endswith(SUFFIXES):
        return None
    stem, suffix = func[:-5], func[-5:]
    stems = _by_stem()
    if stem not in stems:
        close = difflib.get_close_matches(func, [function_name(d) for d in stems.values()], n=1)
        hint = f"; did you mean '{close[0]}'?" if close else ""
        raise UnknownNameError(f"unknown distribution in '{func}'{hint}")
    dist = stems[stem]
    discrete = get(dist).is_discrete
    if suffix != ("_lpmf" if discrete else "_lpdf"):
        kind, right = ("discrete", "_lpmf") if discrete else ("continuous", "_lpdf")
        raise CatlearnTypeError(f"{dist} is {kind}: its log density is {stem}{right}, "
                                f"not {func}")
    return dist


def log_density(y: jax.Array, *params: jax.Array, dist: str) -> jax.Array:
    """``log p(y | params)`` of the distribution ``dist``, summed over the elements.
    Constant parameters are checked at once, as a sample site's are."""
    with jax.ensure_compile_time_eval():
        family = get(dist)(*params)
    return jnp.sum(family.log_prob(y))


# the elaborator checks the parameters' shapes against the distribution's; a number
register_primitive("log_density", log_density, None, lambda shapes, options: (),
                   doc="dist_lpdf(y, params...): the summed log density of `dist` at y")
