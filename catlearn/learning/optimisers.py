"""Learning rates and optimisers as lenses (Cruttwell et al.).

Sign conventions, fixed here for the whole library:

* the **learning-rate lens** ``ℓ -> I`` discards the loss forwards and sends
  back ``-ε``: composed after model and loss, its backward pass turns the
  loss into ``-ε ∇``, the *change* to make, not the gradient;
* an **optimiser lens** ``(S × P, S × P) -> (P, P')`` shows the parameters
  forwards and, backwards, takes that change ``dp`` and returns the new
  state and parameters. Updates are **additive**: plain gradient descent is
  ``p + dp``.

``sgd`` and ``momentum`` take their step size in the learning-rate lens.
``adam`` and optax transformations scale their own steps, so their
learning-rate lens has ``ε = 1`` and passes ``-∇`` unscaled.

>>> import jax.numpy as jnp
>>> opt = sgd(0.1)
>>> rate = learning_rate(opt.rate)
>>> (dp,) = rate.put((jnp.array(0.7),), ())          # -ε
>>> state = (opt.init(jnp.array(1.0)), jnp.array(1.0))
>>> _, p = opt.lens.put((state,), (dp * 2.0,))[0]    # ∇ = 2: p + (-0.1 · 2)
>>> round(float(p), 6)
0.8
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Callable

import jax
import jax.numpy as jnp

from catlearn.categories.lens import Lens
from catlearn.errors import CatlearnTypeError


def learning_rate(eps: float) -> Lens:
    """The lens ``ℓ -> I`` whose backward pass is ``-ε``."""
    return Lens(1, 0, lambda loss: (), lambda xs, dys: (-eps * jnp.ones_like(xs[0]),))


@dataclass(frozen=True)
class Optimiser:
    """An optimiser: the rate ``ε`` of its learning-rate lens, the initial state
    ``init(p)``, and ``step(s, p, dp) -> (s', p')``, the backward pass of its lens."""

    name: str
    rate: float
    init: Callable[[Any], Any]
    step: Callable[[Any, Any, Any], tuple]

    @property
    def lens(self) -> Lens:
        """``(S × P, S × P) -> (P, P')``: get ``(s, p) ↦ p``, put ``((s, p), dp) ↦ step(s, p, dp)``."""
        return Lens(1, 1, lambda sp: (sp[1],),
                    lambda xs, dps: (tuple(self.step(*xs[0], dps[0])),))

    def __repr__(self) -> str:
        return self.name


def hyperparameter(owner: str, name: str, value: Any, low: float = 0.0,
                   high: float = math.inf, low_included: bool = False) -> float:
    """``value`` as a float, refused unless it lies in the interval from ``low``
    to ``high`` (``high`` excluded; ``low`` too unless ``low_included``).

    >>> hyperparameter("momentum", "beta", 1.0, high=1.0, low_included=True)
    Traceback (most recent call last):
    ...
    catlearn.errors.CatlearnTypeError: momentum: beta must be a number in [0, 1), got 1.0
    """
    try:
        number = float(value)
    except (TypeError, ValueError):
        number = math.nan
    above = number >= low if low_included else number > low
    if isinstance(value, bool) or not (above and number < high):
        if high < math.inf:
            want = f"a number in {'[' if low_included else '('}{low:g}, {high:g})"
        else:
            want = f"a finite number {'>=' if low_included else '>'} {low:g}"
        raise CatlearnTypeError(f"{owner}: {name} must be {want}, got {value!r}")
    return number


def _add(p: Any, dp: Any) -> Any:
    return jax.tree.map(jnp.add, p, dp)


def sgd(lr: float = 0.01) -> Optimiser:
    """Gradient descent: ``p' = p + dp`` with ``dp = -lr ∇``."""
    lr = hyperparameter("sgd", "lr", lr)
    return Optimiser(f"sgd({lr})", lr, lambda p: (), lambda s, p, dp: (s, _add(p, dp)))


def momentum(lr: float = 0.01, beta: float = 0.9) -> Optimiser:
    """Heavy-ball momentum: ``v' = β v + dp``, ``p' = p + v'`` (as ``optax.sgd(lr, momentum=β)``)."""
    lr = hyperparameter("momentum", "lr", lr)
    beta = hyperparameter("momentum", "beta", beta, high=1.0, low_included=True)

    def step(v, p, dp):
        v = jax.tree.map(lambda v, d: beta * v + d, v, dp)
        return v, _add(p, v)
    return Optimiser(f"momentum({lr}, {beta})", lr,
                     lambda p: jax.tree.map(jnp.zeros_like, p), step)


def adam(lr: float = 1e-3, b1: float = 0.9, b2: float = 0.999, eps: float = 1e-8) -> Optimiser:
    """Adam (Kingma & Ba) on the change ``dp = -∇``, bias-corrected moments,
    as ``optax.adam``; its learning-rate lens passes ``-∇`` unscaled."""
    lr, eps = hyperparameter("adam", "lr", lr), hyperparameter("adam", "eps", eps)
    b1, b2 = (hyperparameter("adam", name, b, high=1.0, low_included=True)
              for name, b in (("b1", b1), ("b2", b2)))

    def init(p):
        zeros = jax.tree.map(jnp.zeros_like, p)
        return jnp.zeros((), jnp.int32), zeros, zeros

    def step(state, p, dp):
        count, m, v = state
        count = count + 1
        m = jax.tree.map(lambda m, d: b1 * m + (1 - b1) * d, m, dp)
        v = jax.tree.map(lambda v, d: b2 * v + (1 - b2) * d ** 2, v, dp)
        c1, c2 = 1 - b1 ** count, 1 - b2 ** count
        change = jax.tree.map(lambda m, v: lr * (m / c1) / (jnp.sqrt(v / c2) + eps), m, v)
        return (count, m, v), _add(p, change)

    return Optimiser(f"adam({lr})", 1.0, init, step)


def from_optax(transformation: Any, name: str = "optax") -> Optimiser:
    """Any ``optax.GradientTransformation`` as an optimiser lens: it receives
    ``-dp = ∇`` (its learning-rate lens has ``ε = 1``) and its updates are added."""
    import optax

    def step(state, p, dp):
        updates, state = transformation.update(jax.tree.map(jnp.negative, dp), state, p)
        return state, optax.apply_updates(p, updates)

    return Optimiser(name, 1.0, transformation.init, step)
