"""State-space models written by hand, for checking the particle filters."""
import json
from pathlib import Path

import jax
import jax.numpy as jnp
from jax.scipy.stats import norm

from catlearn.inference.sequential import StateSpace

Y = jnp.asarray(json.loads((Path(__file__).parents[1] / "examples" / "lgss.json").read_text())["y"])


def lgss(rho=0.9, y=Y):
    """x_0 ~ N(0, 1), x_t ~ N(ρ x_{t-1}, 1), y_t ~ N(x_t, 0.5²)."""
    def init(key):
        x = jax.random.normal(key)
        return x, norm.logpdf(y[0], x, 0.5)

    def step(key, x, t):
        x = rho * x + jax.random.normal(key)
        return x, norm.logpdf(y[t], x, 0.5)
    return StateSpace(init, step, y.shape[0])
