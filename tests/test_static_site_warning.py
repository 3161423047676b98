"""A particle filter over a model with static latent sites (drawn before its
loops, never written by them) warns: the filter never moves them, so their
posterior is as degenerate as its genealogy (docs/smc.md, smoothing)."""
import json
import warnings
from pathlib import Path

import jax.numpy as jnp

from catlearn.errors import DegeneracyWarning
from catlearn.inference.target import Target
from catlearn.lang import load

EXAMPLES = Path(__file__).parents[1] / "examples"
Y = jnp.asarray(json.loads((EXAMPLES / "lgss.json").read_text())["y"])[:10]


def models():
    return load(str(EXAMPLES / "lgss.cat"))


def test_a_parameter_drawn_before_the_loop_warns_naming_it():
    target = Target(models()["ar1"], {"T": Y.shape[0]}, {"y": Y})
    assert any("ar1: rho drawn before a loop" in message
               for message in degeneracy_warnings(target.sequential))


def degeneracy_warnings(cut) -> list[str]:
    """The DegeneracyWarnings that ``cut()`` gives."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", DegeneracyWarning)
        cut()
    return [str(w.message) for w in caught if issubclass(w.category, DegeneracyWarning)]


def test_the_loops_own_initial_state_does_not_warn():
    # negative control: x[0] before the loop is part of the state the loop writes
    target = Target(models()["lgss"], {"T": Y.shape[0], "rho": 0.9}, {"y": Y})
    assert degeneracy_warnings(target.sequential) == []


def test_a_parameter_held_fixed_does_not_warn():
    # pmmh's inner filter holds rho fixed: nothing static is left to the filter
    target = Target(models()["ar1"], {"T": Y.shape[0]}, {"y": Y})
    assert degeneracy_warnings(lambda: target.sequential(fixed={"rho": jnp.asarray(0.9)})) == []
