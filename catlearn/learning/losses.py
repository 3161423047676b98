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

from typing import Any, Callable, Optional, Union

import jax
import jax.numpy as jnp
import numpy as np

from catlearn.categories.lens import Lens
from catlearn.errors import DataError, DistributionError


Check = Callable[[tuple, Any], None]


class Loss(Lens):
    """The loss lens of ``fn(*predictions, label) -> scalar`` (``n_pred`` predictions);
    ``check(predictions, label)`` refuses labels it cannot compare with predictions
    of those shapes (see :meth:`check`)."""

    def __init__(self, name: str, fn: Callable[..., Any], n_pred: int = 1,
                 check: Optional[Check] = None):
        def put(xs, dls):
            *preds, label = xs
            loss, pullback = jax.vjp(lambda *ps: fn(*ps, label), *preds)
            return tuple(pullback(jnp.asarray(dls[0], loss.dtype))) + (jnp.zeros_like(label),)

        super().__init__(n_pred + 1, 1, lambda *xs: (fn(*xs),), put)
        self.name, self.fn, self._check = name, fn, check

    def check(self, predictions: tuple, label: Any) -> None:
        """Before training, on the host: a :class:`~catlearn.errors.DataError`
        naming ``y`` unless the whole ``label`` array fits this loss against
        predictions of the shapes of ``predictions`` (arrays or
        ``jax.ShapeDtypeStruct``, a batch each)."""
        if self._check is not None:
            self._check(tuple(predictions), label)

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


def _per_example(shape: tuple) -> int:
    return int(np.prod(shape[1:], dtype=int))


def _check_mse(predictions: tuple, y: Any) -> None:
    (yhat,) = predictions
    if _per_example(np.shape(y)) != _per_example(yhat.shape):
        raise DataError(f"y has {_per_example(np.shape(y))} number(s) per example, but the "
                        f"model predicts {_per_example(yhat.shape)}")


def _check_cross_entropy(predictions: tuple, y: Any) -> None:
    (logits,) = predictions
    k = logits.shape[-1]
    if np.ndim(y) == len(logits.shape):
        if np.shape(y)[1:] != tuple(logits.shape[1:]):
            raise DataError(f"y gives class probabilities of shape {np.shape(y)[1:]} per "
                            f"example, but the model's scores have shape {logits.shape[1:]}")
        return
    if np.ndim(y) != len(logits.shape) - 1:
        raise DataError(f"y must hold one class label per example (or class probabilities), "
                        f"but has shape {np.shape(y)}")
    labels = np.asarray(y)
    wrong = labels[(labels < 0) | (labels >= k) | (labels != np.round(labels))]
    if wrong.size:
        raise DataError(f"y: cross_entropy needs class labels 0, 1, ..., {k - 1} (the model "
                        f"scores {k} classes), but the labels include {wrong[0]:g}")


mse = Loss("mse", _mse, check=_check_mse)
"""Mean over the batch of ``½ ‖ŷ - y‖²``."""

cross_entropy = Loss("cross_entropy", _cross_entropy, check=_check_cross_entropy)
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
    for param, value in fixed.items():  # a fixed parameter is a number it may take
        if isinstance(value, (str, bool)) or not np.issubdtype(np.asarray(value).dtype,
                                                                 np.number):
            raise DistributionError(f"nll({family.name}): {param} must be a number, got "
                                    f"{value!r}")
        family.check_param(param, value)
    free = [name for name in family.arg_names if name not in fixed]

    name = f"nll({family.name})"

    def observed(*preds):
        return family(**dict(zip(free, preds)), **fixed)

    def negative_log_likelihood(*xs):
        *preds, y = xs
        dist = observed(*preds)
        # one observation per example: a column of labels meets a model output
        # of width one as that output's shape, never by broadcasting
        y = jnp.reshape(y, tuple(dist.batch_shape) + tuple(dist.event_shape))
        return -jnp.sum(dist.log_prob(y)) / jnp.shape(y)[0]

    def check(predictions, y):
        draw = jax.eval_shape(lambda *ps: observed(*ps).sample(jax.random.key(0)),
                              *predictions)
        if _per_example(np.shape(y)) != _per_example(draw.shape):
            raise DataError(f"y has {_per_example(np.shape(y))} number(s) per example, but "
                            f"{name} observes {_per_example(draw.shape)}")

    return Loss(name, negative_log_likelihood, len(free), check)
