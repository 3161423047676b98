"""Bijections from unconstrained space onto the supports of distributions.

Gradient-based inference moves in ``R^d``; a bijector ``f`` carries a point
``u`` there onto the support, and the change of variables

    log p_U(u) = log p_X(f(u)) + log |det J_f(u)|

gives the density of ``u``. Each bijector has ``forward`` (``u -> x``),
``inverse`` (``x -> u``) and ``log_abs_det_jacobian(u)`` of ``forward``, one
value per event: elementwise bijectors (``event_dim == 0``) return one per
element, the simplex and positive-definite bijectors one per vector/matrix.

>>> import jax.numpy as jnp
>>> b = SigmoidAffine(-1.0, 1.0)
>>> float(b.forward(0.0)), float(b.inverse(0.5))
(0.0, 1.0986123085021973)
>>> StickBreaking().unconstrained_shape((4,))
(3,)
>>> StickBreaking().forward(jnp.zeros(3)).tolist()
[0.25, 0.25, 0.25, 0.25]
"""
from __future__ import annotations

from abc import ABC, abstractmethod
import math

import jax
import jax.numpy as jnp
import numpy as np
from jax.nn import log_sigmoid

Array = jax.Array
Shape = tuple


class Bijector(ABC):
    """A smooth bijection ``R^unconstrained_shape -> support``."""

    event_dim: int = 0  # rank of one constrained value; log-dets are summed over it

    @abstractmethod
    def forward(self, u: Array) -> Array:
        """Unconstrained ``u`` to its point of the support."""

    @abstractmethod
    def inverse(self, x: Array) -> Array:
        """A point of the support back to unconstrained space."""

    @abstractmethod
    def log_abs_det_jacobian(self, u: Array) -> Array:
        """``log |det ∂forward/∂u|``, summed over one event."""

    def unconstrained_shape(self, shape: Shape) -> Shape:
        """The shape of ``u`` for a constrained value of shape ``shape``."""
        return tuple(shape)

    def constrained_shape(self, shape: Shape) -> Shape:
        """The shape of ``forward(u)`` for ``u`` of shape ``shape``."""
        return tuple(shape)

    def __repr__(self) -> str:
        return type(self).__name__ + "()"


class Identity(Bijector):
    """``x = u`` on the reals."""

    def forward(self, u):
        return jnp.asarray(u)

    def inverse(self, x):
        return jnp.asarray(x)

    def log_abs_det_jacobian(self, u):
        return jnp.zeros_like(jnp.asarray(u, dtype=jnp.result_type(float)))


class Exp(Bijector):
    """``x = exp(u)`` onto the positive reals; ``log|dx/du| = u``."""

    def forward(self, u):
        return jnp.exp(u)

    def inverse(self, x):
        return jnp.log(x)

    def log_abs_det_jacobian(self, u):
        return jnp.asarray(u, dtype=jnp.result_type(float))


class SigmoidAffine(Bijector):
    """``x = low + (high - low) * sigmoid(u)`` onto the interval ``(low, high)``."""

    def __init__(self, low, high):
        self.low, self.high = jnp.asarray(low), jnp.asarray(high)

    def forward(self, u):
        return self.low + (self.high - self.low) * jax.nn.sigmoid(u)

    def inverse(self, x):
        z = (x - self.low) / (self.high - self.low)
        return jnp.log(z) - jnp.log1p(-z)

    def log_abs_det_jacobian(self, u):
        return jnp.log(self.high - self.low) + log_sigmoid(u) + log_sigmoid(-u)

    def __repr__(self):
        return f"SigmoidAffine({self.low}, {self.high})"


class Bounded(Bijector):
    """Onto ``(low, high)`` where either bound may be infinite, element by element:
    the identity on the real line, ``low + exp(u)`` above a lower bound,
    ``high - exp(u)`` below an upper one, and :class:`SigmoidAffine` between two
    (Stan's transforms of its bounded declarations). Each element's branch is
    chosen by which of its bounds are finite, so the bounds may be arrays and
    may be traced values (``upper = 1 - alpha``)."""

    def __init__(self, low, high):
        self.low, self.high = jnp.asarray(low), jnp.asarray(high)

    def _branches(self):
        has_low, has_high = jnp.isfinite(self.low), jnp.isfinite(self.high)
        # finite stand-ins where a bound is infinite, so that no branch (chosen or
        # not) makes a NaN that a gradient through jnp.where would carry
        low = jnp.where(has_low, self.low, 0.0)
        high = jnp.where(has_high, self.high, 1.0)
        width = jnp.where(has_low & has_high, high - low, 1.0)
        return has_low, has_high, low, high, width

    def forward(self, u):
        has_low, has_high, low, high, width = self._branches()
        between = low + width * jax.nn.sigmoid(u)
        # exp(u) only where a branch uses it: on the real line u > 88 overflows it in
        # float32, and the unchosen inf would make the gradient NaN (0 * inf)
        grows = jnp.exp(jnp.where(has_low ^ has_high, u, 0.0))
        one_sided = jnp.where(has_low, low + grows, high - grows)
        return jnp.where(has_low & has_high, between,
                         jnp.where(has_low | has_high, one_sided, u))

    def inverse(self, x):
        has_low, has_high, low, high, width = self._branches()
        z = (x - low) / width
        between = jnp.log(z) - jnp.log1p(-z)
        one_sided = jnp.log(jnp.where(has_low, x - low, high - x))
        return jnp.where(has_low & has_high, between,
                         jnp.where(has_low | has_high, one_sided, x))

    def log_abs_det_jacobian(self, u):
        has_low, has_high, _, _, width = self._branches()
        u = jnp.asarray(u, dtype=jnp.result_type(float))
        between = jnp.log(width) + log_sigmoid(u) + log_sigmoid(-u)
        return jnp.where(has_low & has_high, between,
                         jnp.where(has_low | has_high, u, jnp.zeros_like(u)))

    def __repr__(self):
        return f"Bounded({self.low}, {self.high})"


class Independent(Bijector):
    """An elementwise bijector applied to whole vectors (or arrays of rank ``n``)."""

    def __init__(self, base: Bijector, reinterpreted: int):
        self.base, self.reinterpreted = base, reinterpreted
        self.event_dim = base.event_dim + reinterpreted

    def forward(self, u):
        return self.base.forward(u)

    def inverse(self, x):
        return self.base.inverse(x)

    def log_abs_det_jacobian(self, u):
        ladj = self.base.log_abs_det_jacobian(u)
        return jnp.sum(ladj, axis=tuple(range(-self.reinterpreted, 0)))

    def unconstrained_shape(self, shape):
        return self.base.unconstrained_shape(shape)

    def constrained_shape(self, shape):
        return self.base.constrained_shape(shape)

    def __repr__(self):
        return f"Independent({self.base!r}, {self.reinterpreted})"


class StickBreaking(Bijector):
    """``R^(k-1)`` onto the ``k``-simplex by breaking a stick.

    The ``i``-th fraction broken off what remains is ``z_i = sigmoid(u_i -
    log(k-1-i))``; the offset maps ``u = 0`` to the uniform vector. The
    Jacobian is taken with respect to the first ``k-1`` coordinates, the
    chart in which the Dirichlet density is written.
    """

    event_dim = 1

    @staticmethod
    def _offset(m: int) -> Array:
        return jnp.log(jnp.arange(m, 0, -1, dtype=jnp.result_type(float)))

    def forward(self, u):
        u = jnp.asarray(u)
        t = u - self._offset(u.shape[-1])
        log_rest = jnp.cumsum(log_sigmoid(-t), axis=-1)  # log of the stick left after i
        log_before = jnp.concatenate([jnp.zeros_like(t[..., :1]), log_rest[..., :-1]], -1)
        head = jnp.exp(log_sigmoid(t) + log_before)
        return jnp.concatenate([head, jnp.exp(log_rest[..., -1:])], axis=-1)

    def inverse(self, x):
        x = jnp.asarray(x)
        # What remains before breaking x_i is the tail sum x_i + ... + x_(k-1).
        remaining = jnp.flip(jnp.cumsum(jnp.flip(x, -1), -1), -1)[..., :-1]
        z = x[..., :-1] / remaining
        return jnp.log(z) - jnp.log1p(-z) + self._offset(z.shape[-1])

    def log_abs_det_jacobian(self, u):
        u = jnp.asarray(u)
        t = u - self._offset(u.shape[-1])
        log_rest = jnp.cumsum(log_sigmoid(-t), axis=-1)
        # dx_i/du_i = z_i (1 - z_i) * (stick left before i); the Jacobian is triangular.
        return jnp.sum(log_sigmoid(t) + log_rest, axis=-1)

    def unconstrained_shape(self, shape):
        return tuple(shape[:-1]) + (shape[-1] - 1,)

    def constrained_shape(self, shape):
        return tuple(shape[:-1]) + (shape[-1] + 1,)


def _matrix_size(m: int) -> int:
    """``n`` such that an ``n x n`` lower triangle has ``m`` entries."""
    n = (math.isqrt(8 * m + 1) - 1) // 2
    if n * (n + 1) // 2 != m:
        raise ValueError(f"{m} is not a triangular number of entries")
    return n


class CholeskyPositiveDefinite(Bijector):
    """``R^(n(n+1)/2)`` onto ``n x n`` positive-definite matrices, ``x = L Lᵀ``.

    ``u`` fills the lower triangle of ``L`` row by row, with the diagonal
    exponentiated so that ``L`` is a Cholesky factor. The Jacobian is taken
    with respect to the lower triangle of ``x`` (its free coordinates):
    ``log|J| = n log 2 + Σ_i (n - i + 1) log L_ii`` (``i`` from 0), the last
    ``+1`` from the exponential.
    """

    event_dim = 2

    def _cholesky(self, u):
        u = jnp.asarray(u)
        n = _matrix_size(u.shape[-1])
        rows, cols = np.tril_indices(n)
        strict = jnp.zeros(u.shape[:-1] + (n, n), u.dtype).at[..., rows, cols].set(u)
        diag = jnp.diagonal(strict, axis1=-2, axis2=-1)
        return strict + (jnp.exp(diag) - diag)[..., None] * jnp.eye(n, dtype=u.dtype)

    def forward(self, u):
        chol = self._cholesky(u)
        return chol @ jnp.swapaxes(chol, -1, -2)

    def inverse(self, x):
        chol = jnp.linalg.cholesky(x)
        n = chol.shape[-1]
        log_diag = jnp.log(jnp.diagonal(chol, axis1=-2, axis2=-1))
        chol = chol + (log_diag - jnp.diagonal(chol, axis1=-2, axis2=-1))[..., None] * jnp.eye(n)
        rows, cols = np.tril_indices(n)
        return chol[..., rows, cols]

    def log_abs_det_jacobian(self, u):
        u = jnp.asarray(u)
        n = _matrix_size(u.shape[-1])
        rows, cols = np.tril_indices(n)
        log_diag = u[..., rows == cols]
        powers = jnp.arange(n, 0, -1, dtype=u.dtype) + 1
        return n * math.log(2.0) + jnp.sum(powers * log_diag, axis=-1)

    def unconstrained_shape(self, shape):
        n = shape[-1]
        return tuple(shape[:-2]) + (n * (n + 1) // 2,)

    def constrained_shape(self, shape):
        n = _matrix_size(shape[-1])
        return tuple(shape[:-1]) + (n, n)


class Ordered(Bijector):
    """``R^k`` onto increasing vectors: ``x_0 = u_0``, ``x_i = x_(i-1) + exp(u_i)``
    (Stan's ``ordered``); with ``positive``, ``x_0 = exp(u_0)`` too
    (``positive_ordered``). The Jacobian is triangular, its log-determinant the
    sum of the exponentiated coordinates."""

    event_dim = 1

    def __init__(self, positive: bool = False):
        self.positive = positive

    def forward(self, u):
        u = jnp.asarray(u)
        head = jnp.exp(u[..., :1]) if self.positive else u[..., :1]
        return jnp.cumsum(jnp.concatenate([head, jnp.exp(u[..., 1:])], -1), -1)

    def inverse(self, x):
        x = jnp.asarray(x)
        head = jnp.log(x[..., :1]) if self.positive else x[..., :1]
        return jnp.concatenate([head, jnp.log(jnp.diff(x, axis=-1))], -1)

    def log_abs_det_jacobian(self, u):
        u = jnp.asarray(u, dtype=jnp.result_type(float))
        return jnp.sum(u if self.positive else u[..., 1:], axis=-1)

    def __repr__(self):
        return f"Ordered(positive={self.positive})"


class CholeskyCovariance(Bijector):
    """``R^(n(n+1)/2)`` onto lower-triangular ``n x n`` matrices with a positive
    diagonal, the Cholesky factors of covariance matrices (Stan's
    ``cholesky_factor_cov``): ``u`` fills the lower triangle row by row, its
    diagonal exponentiated; ``log|J|`` (with respect to the lower triangle) is the
    sum of the diagonal's coordinates."""

    event_dim = 2

    def forward(self, u):
        return CholeskyPositiveDefinite()._cholesky(u)

    def inverse(self, x):
        x = jnp.asarray(x)
        n = x.shape[-1]
        diag = jnp.diagonal(x, axis1=-2, axis2=-1)
        logged = x + (jnp.log(diag) - diag)[..., None] * jnp.eye(n, dtype=x.dtype)
        rows, cols = np.tril_indices(n)
        return logged[..., rows, cols]

    def log_abs_det_jacobian(self, u):
        u = jnp.asarray(u, dtype=jnp.result_type(float))
        rows, cols = np.tril_indices(_matrix_size(u.shape[-1]))
        return jnp.sum(u[..., rows == cols], axis=-1)

    def unconstrained_shape(self, shape):
        return CholeskyPositiveDefinite().unconstrained_shape(shape)

    def constrained_shape(self, shape):
        return CholeskyPositiveDefinite().constrained_shape(shape)


class CholeskyCorrelation(Bijector):
    """``R^(n(n-1)/2)`` onto Cholesky factors of ``n x n`` correlation matrices:
    lower-triangular, positive diagonal, rows of unit length (Stan's
    ``cholesky_factor_corr``).

    ``z = tanh(u)`` fills the strict lower triangle row by row; in row ``i``
    each ``z_ij`` is the share of the length still left, ``L_ij = z_ij *
    sqrt(1 - Σ_(k<j) L_ik²)``, and the diagonal takes the rest. The
    Jacobian, with respect to the strict lower triangle (the free
    coordinates), is triangular: ``log|J| = Σ log(1 - z²) + ½ Σ log(1 - Σ_(k<j)
    L_ik²)``.
    """

    event_dim = 2

    @staticmethod
    def _size(m: int) -> int:
        return _matrix_size(m) + 1

    def _parts(self, u):
        """``L`` and, per free entry, the log of the length left before it."""
        u = jnp.asarray(u)
        n = self._size(u.shape[-1])
        rows, cols = np.tril_indices(n, -1)
        z = jnp.tanh(u)
        strict = jnp.zeros(u.shape[:-1] + (n, n), z.dtype).at[..., rows, cols].set(z)
        # the length left before entry j of a row: prod_(k<j) (1 - z_ik²), as an
        # exclusive cumulative product, so that L_ij = z_ij sqrt(left_ij)
        log_left = jnp.cumsum(jnp.log1p(-strict ** 2), axis=-1)
        log_before = jnp.concatenate([jnp.zeros_like(log_left[..., :1]),
                                      log_left[..., :-1]], -1)
        chol = strict * jnp.exp(0.5 * log_before)
        diag = jnp.exp(0.5 * jnp.diagonal(log_before, axis1=-2, axis2=-1))
        chol = chol + diag[..., None] * jnp.eye(n, dtype=z.dtype)
        return chol, log_before[..., rows, cols], z

    def forward(self, u):
        return self._parts(u)[0]

    def inverse(self, x):
        x = jnp.asarray(x)
        n = x.shape[-1]
        rows, cols = np.tril_indices(n, -1)
        left = 1 - jnp.concatenate([jnp.zeros_like(x[..., :1]),
                                    jnp.cumsum(x ** 2, axis=-1)[..., :-1]], -1)
        z = x[..., rows, cols] / jnp.sqrt(left[..., rows, cols])
        return jnp.arctanh(z)

    def log_abs_det_jacobian(self, u):
        _, log_before, z = self._parts(u)
        return jnp.sum(jnp.log1p(-z ** 2) + 0.5 * log_before, axis=-1)

    def unconstrained_shape(self, shape):
        n = shape[-1]
        return tuple(shape[:-2]) + (n * (n - 1) // 2,)

    def constrained_shape(self, shape):
        n = self._size(shape[-1])
        return tuple(shape[:-1]) + (n, n)
