"""Losses as lenses (Cruttwell, Gavranović, Ghani, Wilson, Zanasi).

A loss is a lens ``(ŷ_1, …, ŷ_k, y) -> ℓ``: forwards the batch-mean loss of
the predictions against the label ``y``; backwards the reverse derivative in
the predictions. The label is data, not a variable: its cotangent is zero.

>>> import jax.numpy as jnp
>>> yhat, y = jnp.array([[1.0, 3.0]]), jnp.array([[0.0, 1.0]])
>>> float(mse.get(yhat, y)[0])           # ½ ‖ŷ - y‖² = ½ (1 + 4)
2.5
>>> mse.put((yhat, y), (1.0,))[0].tolist()
[[1.0, 2.0]]
>>> round(float(cross_entropy.get(jnp.zeros((1, 4)), jnp.array([2]))[0]), 4)   # log 4
1.3863
"""
from __future__ import annotations

from typing import Any, Callable, Union

import jax
import jax.numpy as jnp

from catlearn.categories.lens import Lens
from catlearn.errors import DistributionError


class Loss(Lens):
    """The loss lens of ``fn(*predictions, label) -> scalar`` (``n_pred`` predictions)."""

    def __init__(self, name: str, fn: Callable[..., Any], n_pred: int = 1):
        def put(xs, dls):
            *preds, label = xs
            loss, pullback = jax.vjp(lambda *ps: fn(*ps, label), *preds)
            return tuple(pullback(jnp.asarray(dls[0], loss.dtype))) + (jnp.zeros_like(label),)

        super().__init__(n_pred + 1, 1, lambda *xs: (fn(*xs),), put)
        self.name, self.fn = name, fn

    def __call__(self, *xs: Any) -> Any:
        return self.fn(*xs)

    def __repr__(self) -> str:
        return self.name


def _mse(yhat, y):
    # the quadratic error ½(x - y)² of Backprop as Functor, summed over an
    # example's coordinates and averaged over the batch, so that learners
    # trained with it compose exactly (their requests invert it)
    y = jnp.reshape(y, jnp.shape(yhat))
    return 0.5 * jnp.sum((yhat - y) ** 2) / jnp.shape(yhat)[0]


def _cross_entropy(logits, y):
    log_probs = jax.nn.log_softmax(logits)
    if jnp.ndim(y) == jnp.ndim(logits):  # class probabilities (one-hot or soft)
        return -jnp.mean(jnp.sum(y * log_probs, axis=-1))
    picked = jnp.take_along_axis(log_probs, jnp.asarray(y, jnp.int32)[..., None], axis=-1)
    return -jnp.mean(picked)


mse = Loss("mse", _mse)
"""Mean over the batch of ``½ ‖ŷ - y‖²``."""

cross_entropy = Loss("cross_entropy", _cross_entropy)
"""Softmax cross-entropy of logits against integer labels or class probabilities."""


def nll(family: Union[str, type], **fixed: Any) -> Loss:
    """The negative log-likelihood of an observation ``y ~ family(ŷ…)``
    (Shiebler's maximum likelihood as a loss): the model's outputs are the
    family's parameters not given in ``fixed``, in the family's order.

    >>> loss = nll("Normal", scale=1.0)
    >>> round(float(loss(jnp.zeros((1,)), jnp.zeros((1,)))), 4)   # ½ log 2π
    0.9189
    """
    if isinstance(family, str):
        from catlearn.distributions import get
        family = get(family)
    unknown = set(fixed) - set(family.arg_names)
    if unknown:
        raise DistributionError(f"{family.name} has no parameter {sorted(unknown)[0]!r}; "
                                f"its parameters are {', '.join(family.arg_names)}")
    free = [name for name in family.arg_names if name not in fixed]

    def negative_log_likelihood(*xs):
        *preds, y = xs
        dist = family(**dict(zip(free, preds)), **fixed)
        return -jnp.sum(dist.log_prob(y)) / jnp.shape(y)[0]

    return Loss(f"nll({family.name})", negative_log_likelihood, len(free))
