"""The backprop functor ``L(ε, e) : Para(Euc) -> Learn`` of *Backprop as Functor*.

For a step size ``ε`` and an error function ``e(x, y)`` whose partial
derivative ``∂e/∂x(x, -)`` is invertible, a parametrised map ``I : P × A -> B``
becomes the learner with

* total error   ``E(p, a, b) = Σ_j e(I_j(p, a), b_j)``,
* update        ``U(p, a, b) = p - ε ∇_p E(p, a, b)``,
* request       ``r(p, a, b) = f_a(∇_a E(p, a, b))``, where ``f_a`` applies, to
  each coordinate, the inverse of ``∂e/∂x(a_i, -)``.

For the quadratic error ``e(x, y) = ½ (x - y)²`` the request is
``a - ∇_a E``: the input that would have made the gradient step exact.
Learners work on batches: ``E`` is averaged over the leading (batch) axis,
so a request coordinate is ``f_a(N ∇_a E)`` for a batch of ``N`` examples.

>>> import jax, jax.numpy as jnp
>>> from catlearn.categories.para import parametrised
>>> line = parametrised(lambda w, x: w * x, lambda key: jnp.zeros(1))
>>> learner = backprop(line, step=0.5)
>>> w = learner.update(jnp.zeros(1), (jnp.ones((1, 1)),), (jnp.full((1, 1), 2.0),))
>>> w.tolist()   # w - ε ∂/∂w ½(w·1 - 2)²  =  0 + 0.5 · 2
[1.0]
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import jax
import jax.numpy as jnp

from catlearn.learning.train import Trainable
from catlearn.categories.para import Parametrised


@dataclass(frozen=True)
class ErrorFunction:
    """``e(x, y)`` elementwise, with ``inverse(x, g)`` the ``y`` solving ``∂e/∂x(x, y) = g``."""

    e: Callable[[Any, Any], Any]
    inverse: Callable[[Any, Any], Any]

    def total(self, outputs: tuple, targets: tuple) -> Any:
        """``Σ_j e(x_j, y_j)`` summed over each example, averaged over the batch."""
        return sum(jnp.sum(self.e(x, y)) for x, y in zip(outputs, targets)) / batch_size(outputs)


quadratic = ErrorFunction(lambda x, y: 0.5 * (x - y) ** 2, lambda x, g: x - g)
"""``e(x, y) = ½ (x - y)²``: ``∂e/∂x = x - y``, inverted by ``y = x - g``."""


def batch_size(values: tuple) -> int:
    """The length of the leading (batch) axis shared by the wires."""
    return jnp.shape(values[0])[0]


def backprop(f: Parametrised, step: float, error: ErrorFunction = quadratic) -> Trainable:
    """``L(ε, e)(f)``: the learner of gradient descent with step ``ε`` on ``f``."""
    fn = f.arrow.fn

    def total_error(p, xs, ys):
        return error.total(tuple(fn(p, *xs)), tuple(ys))

    def update(p, xs, ys):
        grad = jax.grad(total_error)(p, tuple(xs), tuple(ys))
        return jax.tree.map(lambda w, g: w - step * g, p, grad)

    def request(p, xs, ys):
        xs = tuple(xs)
        grad = jax.grad(total_error, argnums=1)(p, xs, tuple(ys))
        n = batch_size(xs)
        return tuple(error.inverse(x, n * g) for x, g in zip(xs, grad))

    return Trainable(f.init, lambda p, *xs: tuple(fn(p, *xs)), update, request,
                     f.n_in, f.n_out, error.total, f.names)
