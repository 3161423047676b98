"""Solutions of ordinary differential equations: ``ode(f, y0, t0, ts, args…)``.

``f`` is a user function ``fn f(t: Real, y: Real[N], args…) -> Real[N]``
(Stan's signature); its body is a diagram, carried by the :class:`Prim` box
as the option ``rhs`` and run as a JAX function. The solution at the times
``ts`` (after ``t0``) is an array ``Real[T, N]``, one row per time.

The solvers are diffrax's (Kidger, *On Neural Differential Equations*), an
optional extra (``pip install catlearn[ode]``):

* ``ode`` (Stan's name ``ode_rk45`` too): ``Dopri5``, the explicit
  Runge–Kutta 4(5) pair of Dormand and Prince that Stan's ``ode_rk45`` uses,
  for non-stiff systems;
* ``ode_stiff`` (Stan's name ``ode_bdf`` too): ``Kvaerno5``, Kværnø's
  L-stable ESDIRK method of order 5 with an embedded order-4 error estimate,
  for stiff systems. diffrax ships no BDF method; an L-stable implicit
  Runge–Kutta method damps the fast modes of a stiff system as BDF does, and
  Kvaerno5 is diffrax's recommended stiff solver. Each stage solves its
  implicit equation by a chord (simplified Newton) iteration.

Steps adapt to a relative and an absolute tolerance (``rtol``, ``atol``, by
default 1e-6, Stan's, in double precision, 1e-5 in single) and are at most
``max_steps`` (4096). A solve that fails (too many steps, at parameters
far out in the tails) gives non-finite values rather than an error, so the
log density is ``-inf`` there and the sampler rejects the point.

How the solution is differentiated. ``ode``'s by forward sensitivities, as
Stan does: the derivative with respect to the initial state and the arguments
solves the variational equation alongside the state, and under ``vmap``
(NUTS's chains) each chain's solve runs on its own. The steps are sized by the
errors of the state and of the sensitivities together, as Stan's coupled system
is (the largest for ``ode``, their root mean square for ``ode_stiff``): at the source's loose tolerances (rtol 1e-5, atol 1e-3 on
lotka_volterra) steps sized by the state alone gave a gradient far from the
exact one's where a chain stuck (a component of -306 against 833 from a solve
at 1e-10; 543 with the coupled steps) and off by 0.4 at the posterior mode
(0.02 with them), and chains stranded at 3 of 3 seeds. Measured on
posteriordb's lotka_volterra (8 parameters, 20 output times, float32, 2-core
CPU), one gradient of the log density for 4 chains took 4.2 ms through
diffrax's checkpointed reverse mode under ``vmap`` and takes 0.34 ms so: reverse
mode re-runs the loop's checkpointed steps backwards, and a batched ``while``
loop steps every chain as often as the slowest, each operation a select over
the batch (the batched value alone cost 6 times one chain's). ``ode_stiff``'s
solution is differentiated the same way but solved as a batch (a Kvaerno5 solve
inside ``lax.map`` was many times slower than alone; batched, the 4-chain
gradient of one_comp_mm_elim_abs takes 2.5-3.6 ms, as reverse mode did). Reverse
(or forward) mode through Kvaerno5 is not an option: lineax's derivative solves
raise an error at a non-finite input whatever ``throw`` says, which ended
``catlearn run`` on one_comp_mm_elim_abs at a point far in the tails.

Why the chord iteration has its own tolerances in single precision: diffrax
stops it when its next correction is below ``1e-2 × (atol + rtol·|y|)``, the
step's tolerances. In float32 the right-hand side of a stiff system carries a
round-off of ``ε·λ·|y|`` (λ its fastest rate, ε = 1.2e-7), so near 1e-5 the
corrections are noise, their contraction is never seen, every step is
rejected as not converged and shrunk, and the solve ends at ``max_steps`` at
every point whatever the parameters (even ``y' = -k y`` with ``k`` near 1
fails so). In float32 the iteration's tolerance is 1e-2 instead (1e-4 of
``|y|`` with diffrax's factor 1e-2): measured on ``y' = -λ (y - a e^-t)``
with λ = 1e3…1e5, the solution then agrees with float64's to 1e-7 in a few
dozen steps, where 1e-4 or 1e-3 fails or takes thousands. In float64 the
iteration keeps the step's tolerances.
"""
from __future__ import annotations

import importlib.util
from functools import partial
from typing import Any

import jax
import jax.numpy as jnp
from jax.custom_derivatives import SymbolicZero
from jax.flatten_util import ravel_pytree

from catlearn.categories.function import jax_functions
from catlearn.errors import CatlearnTypeError, NotSupportedError
from catlearn.functor import Functor
from catlearn.primitives.ops import register_primitive

#: each primitive that solves an ODE, with the diffrax solver it uses
SOLVERS = {"ode": "Dopri5", "ode_rk45": "Dopri5", "ode_stiff": "Kvaerno5",
           "ode_bdf": "Kvaerno5"}
#: the options a solve takes by name, with what each must be
OPTIONS = {"rtol": "a positive number", "atol": "a positive number",
           "max_steps": "a positive whole number"}
TOLERANCE = 1e-6
SINGLE_TOLERANCE = 1e-5
MAX_STEPS = 4096
#: the chord iteration's tolerance in single precision (see the module's docstring)
SINGLE_CHORD_TOLERANCE = 1e-2


def require_solver() -> None:
    """Refuse an ODE when diffrax, the optional extra, is not installed."""
    if importlib.util.find_spec("diffrax") is None:
        raise NotSupportedError("ode needs the optional ODE solver diffrax: install it with "
                                "pip install 'catlearn[ode]' (or pip install diffrax)")


def check_option(name: str, value: Any) -> str:
    """Why ``name = value`` is not an option of a solve, or ``""`` if it is one."""
    if name not in OPTIONS:
        return f"unknown option {name}; a solve takes {', '.join(OPTIONS)}"
    whole = isinstance(value, int) and not isinstance(value, bool)
    if not (isinstance(value, (int, float)) and value > 0 and (whole or name != "max_steps")):
        return f"the option {name} must be {OPTIONS[name]}, got {value!r}"
    return ""


def _solver(name: str, rtol: float, atol: float, ts, single: bool):
    """The diffrax solver of the primitive ``name`` and its step-size controller,
    measuring errors over every component of the state (and of its sensitivities)
    as Stan's solvers do: by the largest, as Boost's odeint behind ``ode_rk45``; by
    the root mean square, as CVODES behind ``ode_bdf`` (sensitivities included)."""
    import diffrax  # an optional extra: imported only where an ODE is solved
    import optimistix  # diffrax's own dependency
    norm = optimistix.max_norm if SOLVERS[name] == "Dopri5" else optimistix.rms_norm
    steps = diffrax.PIDController(rtol=rtol, atol=atol, norm=norm)
    if SOLVERS[name] == "Dopri5":
        return diffrax.Dopri5(), steps
    chord = (diffrax.VeryChord(rtol=SINGLE_CHORD_TOLERANCE, atol=SINGLE_CHORD_TOLERANCE,
                               norm=norm)
             if single else diffrax.VeryChord(rtol=rtol, atol=atol, norm=norm))
    # Kvaerno5 interpolates between steps by a cubic only, off by far more than
    # the tolerance: it steps to each output time instead
    return diffrax.Kvaerno5(root_finder=chord), diffrax.ClipStepSizeController(steps,
                                                                               step_ts=ts)


def _integrate(field, state0, t0, ts, args, *, name, rtol, atol, max_steps, single):
    """The state at the times ``ts`` from ``state0`` at ``t0`` (NaN where the solve
    fails); the state may be a ``(state, sensitivities)`` pair, its steps then sized
    by the error of both."""
    import diffrax
    solver, steps = _solver(name, rtol, atol, ts, single)
    solution = diffrax.diffeqsolve(
        diffrax.ODETerm(field), solver, t0, ts[-1], None, state0, args=args,
        saveat=diffrax.SaveAt(ts=ts), stepsize_controller=steps, max_steps=max_steps,
        throw=False)
    failed = solution.result != diffrax.RESULTS.successful
    return jax.tree.map(lambda v: jnp.where(failed, jnp.nan, v), solution.ys)


def _is_zero(tangent) -> bool:
    return isinstance(tangent, SymbolicZero)


def _differentiable(value) -> bool:
    return jnp.issubdtype(jnp.result_type(value), jnp.inexact)


def _solution(field, integrate, one_by_one: bool):
    """``(y0, t0, ts, args) ↦ y(ts)``, differentiated by forward sensitivities.

    The derivative of ``y(ts)`` with respect to the inputs that vary, ``y0`` and
    the arguments ``p`` (``S = ∂y/∂(y0, p)``), solves the variational equation
    ``S' = ∂f/∂y · S + ∂f/∂p`` from ``S(t0) = [I 0]``, integrated with ``y`` on the
    same steps (Stan's forward sensitivities); ``t0`` and ``ts`` enter by
    ``∂y(t)/∂t0 = -∂y(t)/∂y0 · f(t0, y0)`` and ``∂y(tᵢ)/∂tᵢ = f(tᵢ, y(tᵢ))``. The
    columns are those of the inputs whose tangent is not zero (a parameter's, not
    the data's). Reverse mode through the solver's loop instead re-runs its
    checkpointed steps backwards; with a handful of parameters this is several
    times cheaper (module docstring). Under ``vmap`` (chains) each solve runs on
    its own: a batched solve steps every member as often as the slowest."""

    def batched(fn):   # each member solved on its own under vmap, or all as one batch
        return jax.custom_batching.sequential_vmap(fn) if one_by_one else fn

    @batched
    def value(y0, t0, ts, args):
        return integrate(field, y0, t0, ts, args)

    @jax.custom_jvp
    def solution(y0, t0, ts, args):
        return value(y0, t0, ts, args)

    def tangent(primals, tangents):
        y0, t0, ts, args = primals
        ty0, tt0, tts, targs = tangents
        varying = [i for i, (a, t) in enumerate(zip(args, targs))
                   if _differentiable(a) and not _is_zero(t)]
        from_start = not (_is_zero(ty0) and _is_zero(tt0))
        flat, unravel = ravel_pytree([args[i] for i in varying])
        k = flat.shape[0]

        def with_params(a, p):
            a = list(a)
            for i, v in zip(varying, unravel(p)):
                a[i] = v
            return tuple(a)

        n = y0.shape[0]
        columns = (n if from_start else 0) + k

        def augmented(t, pair, a):   # (y, S)' = (f, ∂f/∂y · S + ∂f/∂p)
            y, s = pair
            p = ravel_pytree([a[i] for i in varying])[0]
            dp = jnp.concatenate([jnp.zeros((k, columns - k), y.dtype),  # y0 columns: none
                                  jnp.eye(k, dtype=y.dtype)], axis=1)
            ds = jax.vmap(lambda sj, pj: jax.jvp(lambda y, p: field(t, y, with_params(a, p)),
                                                 (y, p), (sj, pj))[1],
                          in_axes=1, out_axes=1)(s, dp)
            return field(t, y, a), ds

        @batched
        def along(y0, t0, ts, args):
            s0 = jnp.concatenate([jnp.eye(n, columns - k, dtype=y0.dtype),
                                  jnp.zeros((n, k), y0.dtype)], axis=1)
            return integrate(augmented, (y0, s0), t0, ts, args)

        ys, s = along(y0, t0, ts, args)
        parts = []
        if from_start:   # ∂y/∂t0 = -∂y/∂y0 · f(t0, y0)
            start = jnp.zeros_like(y0) if _is_zero(ty0) else ty0
            if not _is_zero(tt0):
                start = start - field(t0, y0, args) * tt0
            parts.append(start)
        parts += [jnp.ravel(targs[i]) for i in varying]
        dys = (s @ jnp.concatenate(parts) if parts else jnp.zeros_like(ys))
        if not _is_zero(tts):   # ∂y(tᵢ)/∂tᵢ = f(tᵢ, y(tᵢ))
            dys = dys + jax.vmap(lambda t, y: field(t, y, args))(ts, ys) * tts[:, None]
        return ys, dys

    solution.defjvp(tangent, symbolic_zeros=True)
    return solution


def _solve(y0, t0, ts, *args: Any, rhs, name, rtol=None, atol=None, max_steps=MAX_STEPS):
    f = Functor(cod=jax_functions)(rhs)
    real = jnp.result_type(float)
    # Stan's 1e-6 in double precision; float32 keeps 7 digits, so 1e-5 there
    single = real != jnp.float64
    default = SINGLE_TOLERANCE if single else TOLERANCE
    integrate = partial(_integrate, name=name, rtol=rtol or default, atol=atol or default,
                        max_steps=max_steps, single=single)

    def field(t, y, a):
        return jnp.asarray(f.fn(t, y, *a)[0], real)
    inputs = jnp.asarray(y0, real), jnp.asarray(t0, real), jnp.asarray(ts, real), tuple(args)
    # a Kvaerno5 solve inside lax.map is many times slower than alone: a batch
    return _solution(field, integrate, one_by_one=SOLVERS[name] == "Dopri5")(*inputs)


def _shape(shapes, options):
    y0, t0, ts = shapes[:3]
    if t0 != () or len(ts) != 1 or len(y0) != 1:
        raise CatlearnTypeError("ode(f, y0, t0, ts, ...) needs a vector y0, a number t0 and "
                                "a vector of times ts")
    return (ts[0],) + tuple(y0)


for _name, _method in SOLVERS.items():
    register_primitive(
        _name, partial(_solve, name=_name), None, _shape, doc=f"{_name}(f, y0, t0, ts, args…): the solution of y' = f(t, y, args…) at "
                    f"the times ts, one row per time (diffrax {_method})")
