"""Solutions of ordinary differential equations: ``ode(f, y0, t0, ts, args…)``.

``f`` is a user function ``fn f(t: Real, y: Real[N], args…) -> Real[N]``
(Stan's signature); its body is a diagram, carried by the :class:`Prim` box
as the option ``rhs`` and run as a JAX function. The solution at the times
``ts`` (after ``t0``) is an array ``Real[T, N]``, one row per time.

The solver is diffrax's (Kidger, *On Neural Differential Equations*), an
optional extra (``pip install catlearn[ode]``): ``Dopri5``, the explicit
Runge–Kutta 4(5) pair of Dormand and Prince that Stan's ``ode_rk45`` uses
too, for non-stiff systems (there is no stiff solver yet). Its steps adapt to
a relative and an absolute tolerance of 1e-6 (Stan's defaults) in double
precision, 1e-5 in single precision, and it is differentiated by diffrax's
checkpointed reverse mode. A solve that fails
(too many steps, at parameters far out in the tails) gives non-finite values
rather than an error, so the log density is ``-inf`` there and the sampler
rejects the point.
"""
from __future__ import annotations

import importlib.util
from typing import Any

import jax.numpy as jnp

from catlearn.categories.function import jax_functions
from catlearn.errors import CatlearnTypeError, NotSupportedError
from catlearn.functor import Functor
from catlearn.primitives.ops import register_primitive

#: the primitives that solve an ODE
SOLVERS = ("ode",)
TOLERANCE = 1e-6
SINGLE_TOLERANCE = 1e-5
MAX_STEPS = 4096


def require_solver() -> None:
    """Refuse an ODE when diffrax, the optional extra, is not installed."""
    if importlib.util.find_spec("diffrax") is None:
        raise NotSupportedError("ode needs the optional ODE solver diffrax: install it with "
                                "pip install 'catlearn[ode]' (or pip install diffrax)")


def _solve(y0, t0, ts, *args: Any, rhs):
    import diffrax  # an optional extra: imported only where an ODE is solved
    f = Functor(cod=jax_functions)(rhs)
    real = jnp.result_type(float)
    # Stan's 1e-6 in double precision; float32 keeps 7 digits, so 1e-5 there
    tolerance = TOLERANCE if real == jnp.float64 else SINGLE_TOLERANCE
    y0 = jnp.asarray(y0, real)
    ts = jnp.asarray(ts, real)
    term = diffrax.ODETerm(lambda t, y, a: jnp.asarray(f.fn(t, y, *a)[0], real))
    solver = diffrax.Dopri5()
    solution = diffrax.diffeqsolve(
        term, solver, jnp.asarray(t0, real), ts[-1], None, y0, args=tuple(args),
        saveat=diffrax.SaveAt(ts=ts),
        stepsize_controller=diffrax.PIDController(rtol=tolerance, atol=tolerance),
        max_steps=MAX_STEPS, throw=False)
    failed = solution.result != diffrax.RESULTS.successful
    return jnp.where(failed, jnp.nan, solution.ys)


def _shape(shapes, options):
    y0, t0, ts = shapes[:3]
    if t0 != () or len(ts) != 1 or len(y0) != 1:
        raise CatlearnTypeError("ode(f, y0, t0, ts, ...) needs a vector y0, a number t0 and "
                                "a vector of times ts")
    return (ts[0],) + tuple(y0)


register_primitive("ode", _solve, None, _shape, doc="ode(f, y0, t0, ts, args…): the "
                   "solution of y' = f(t, y, args…) at the times ts, one row per time")
