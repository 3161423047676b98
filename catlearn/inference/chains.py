"""Several chains in one compiled program: window adaptation, then sampling.

Time runs under ``lax.scan``, the chains under ``vmap`` inside each step, so
the whole run is one ``jax.jit`` program; a tqdm bar is advanced from inside
it by ``jax.debug.callback`` every few iterations, after a phase of its own
for compilation (:mod:`catlearn.progress`).

>>> import jax, jax.numpy as jnp
>>> from catlearn.inference.nuts import nuts
>>> draws, stats = sample(nuts, lambda x: -0.5 * jnp.sum(x ** 2), jnp.zeros((2, 3)),
...                       jax.random.key(0), warmup=50, samples=20, progress=False)
>>> draws.shape, stats["is_divergent"].shape, stats["step_size"].shape
((2, 20, 3), (2, 20), (2,))
"""
from __future__ import annotations

from functools import partial
from typing import Any, Callable

import jax
import jax.numpy as jnp
import numpy as np
from jax.flatten_util import ravel_pytree
from jax.tree_util import Partial

from catlearn import checkpoint as checkpoints, program_cache
from catlearn.errors import DataError, InferenceError
from catlearn.inference import segments
from catlearn.progress import Bar, tick
from catlearn.inference.adaptation import KernelFactory, window_adaptation
from catlearn.inference.kernel import LogDensity, Position


def _begin(kernel_factory, logdensity_fn, key, positions, *, warmup, samples, step_size,
           target_accept, dense_mass):
    """The chains' starts, their adaptation states and every iteration's keys, drawn
    before the first iteration in one call rather than one per step."""
    adaptation = window_adaptation(kernel_factory, logdensity_fn, warmup, target_accept,
                                   dense_mass, step_size)
    num_chains = jax.tree.leaves(positions)[0].shape[0]
    key_start, key_adaptation, key_steps = jax.random.split(key, 3)
    positions, start_logdensity = jax.vmap(partial(finite_start, logdensity_fn))(
        jax.random.split(key_start, num_chains), positions)
    state = jax.vmap(adaptation.init)(jax.random.split(key_adaptation, num_chains), positions)
    return state, start_logdensity, jax.random.split(key_steps, (warmup + samples, num_chains))


def _iterate(kernel_factory, logdensity_fn, state, steps, keys, *, warmup, step_size,
             target_accept, dense_mass, progress_every):
    """Iterations ``steps`` (warm-up and sampling are one loop over one kernel: the
    program holds it once); each iteration's position and info."""
    adaptation = window_adaptation(kernel_factory, logdensity_fn, warmup, target_accept,
                                   dense_mass, step_size)

    def iteration(state, t_keys):
        t, keys = t_keys
        state, info = jax.vmap(adaptation.step, in_axes=(0, 0, None))(keys, state, t)
        tick(t, t >= warmup, progress_every)
        return state, (state.kernel_state.position, info._asdict())
    return jax.lax.scan(iteration, state, (steps, keys))


def _finish(kernel_factory, logdensity_fn, transform, state, draws, info, start_logdensity, *,
            warmup, step_size, target_accept, dense_mass):
    """The sampling iterations by chain, the adapted step sizes and inverse mass
    matrices, the warm-up's cost and the starts' log densities."""
    adaptation = window_adaptation(kernel_factory, logdensity_fn, warmup, target_accept,
                                   dense_mass, step_size)
    step_size, inverse_mass = jax.vmap(adaptation.final)(state)

    def kept(a):  # the sampling iterations, by chain
        return jnp.swapaxes(a[warmup:], 0, 1)

    warmup_cost = {"warmup_num_steps": jnp.sum(info["num_steps"][:warmup], axis=0)
                   } if "num_steps" in info else {}
    draws = jax.tree.map(kept, draws)
    return (draws if transform is None else jax.vmap(jax.vmap(transform))(draws),
            {**jax.tree.map(kept, info), **warmup_cost, "step_size": step_size,
             "inverse_mass_matrix": inverse_mass, "start_logdensity": start_logdensity})


_ADAPTATION = ("warmup", "step_size", "target_accept", "dense_mass")


@partial(jax.jit, static_argnums=0, static_argnames=(
    "warmup", "samples", "step_size", "target_accept", "dense_mass", "progress_every"))
def _run(kernel_factory, logdensity_fn, transform, key, positions, *, warmup, samples,
         step_size, target_accept, dense_mass, progress_every):
    """The whole run as one program."""
    adapt = dict(warmup=warmup, step_size=step_size, target_accept=target_accept,
                 dense_mass=dense_mass)
    state, start_logdensity, keys = _begin(kernel_factory, logdensity_fn, key, positions,
                                           samples=samples, **adapt)
    state, (draws, info) = _iterate(kernel_factory, logdensity_fn, state,
                                    jnp.arange(warmup + samples), keys,
                                    progress_every=progress_every, **adapt)
    return _finish(kernel_factory, logdensity_fn, transform, state, draws, info,
                   start_logdensity, **adapt)


_begun = jax.jit(_begin, static_argnums=0, static_argnames=(*_ADAPTATION, "samples"))
_iterated = jax.jit(_iterate, static_argnums=0, static_argnames=(*_ADAPTATION,
                                                                   "progress_every"))
_finished = jax.jit(_finish, static_argnums=0, static_argnames=_ADAPTATION)


def _run_in_segments(kernel_factory, logdensity_fn, transform, key, positions, *, warmup,
                     samples, step_size, target_accept, dense_mass, progress_every,
                     checkpoint: str, every: int, made_by: str):
    """The run of :func:`_run` as segments of ``every`` iterations, the whole state
    (adaptation included) and the iterations so far saved after each, so that a run
    killed at any point resumes from its last segment to the same draws."""
    adapt = dict(warmup=warmup, step_size=step_size, target_accept=target_accept,
                 dense_mass=dense_mass)
    total = warmup + samples
    state, start_logdensity, keys = _begun(kernel_factory, logdensity_fn, key, positions,
                                           samples=samples, **adapt)
    one = jax.eval_shape(partial(_iterated, kernel_factory, progress_every=None, **adapt),
                         logdensity_fn, state, jnp.arange(1), keys[:1])[1]
    outputs = jax.tree.map(lambda a: np.zeros((total,) + a.shape[1:], a.dtype), one)

    def advance(carry, start, stop):
        state, outputs = carry
        state, segment = _iterated(kernel_factory, logdensity_fn, state,
                                   jnp.arange(start, stop), keys[start:stop],
                                   progress_every=progress_every, **adapt)
        return state, segments.filled(outputs, segment, start)

    state, outputs = segments.in_segments(advance, (state, outputs),
                                          segments.stops(total, every),
                                          checkpoint=checkpoint, made_by=made_by)
    draws, info = jax.tree.map(jnp.asarray, outputs)
    return _finished(kernel_factory, logdensity_fn, transform, state, draws, info,
                     start_logdensity, **adapt)


START_TRIES = 100


def uniform_start(key: jax.Array, shape: tuple[int, ...], dtype=jnp.float32,
                  radius: float = 2.0) -> jax.Array:
    """Stan's initial point: uniform on ``(-radius, radius)`` in every coordinate
    of unconstrained space."""
    return jax.random.uniform(key, shape, dtype, -radius, radius)


def finite_start(logdensity_fn: LogDensity, key: jax.Array, position: Position,
                 tries: int = START_TRIES) -> tuple[Position, jax.Array]:
    """``position`` if its log density and its gradient are finite (as Stan
    requires: a finite density with a NaN gradient freezes a chain), else the
    first of ``tries`` :func:`uniform_start` draws where they are; with the log
    density there (``-inf`` if every try failed). A NaN ``position`` asks for
    the draws alone."""
    flat, unravel = ravel_pytree(position)

    def usable(x):
        logdensity, grad = jax.value_and_grad(lambda y: logdensity_fn(unravel(y)))(x)
        return jnp.where(jnp.all(jnp.isfinite(grad)), logdensity, -jnp.inf)

    def failing(carry):
        i, _, logdensity = carry
        return (i <= tries) & ~jnp.isfinite(logdensity)

    def redraw(carry):
        i, x, _ = carry
        draw = uniform_start(jax.random.fold_in(key, i), x.shape, x.dtype)
        x = jnp.where(i == 0, x, draw)  # the first try is the position itself
        return i + 1, x, usable(x)

    _, flat, logdensity = jax.lax.while_loop(
        failing, redraw, (0, flat, jnp.full((), -jnp.inf, flat.dtype)))
    return unravel(flat), logdensity


def sample(kernel_factory: KernelFactory, logdensity_fn: LogDensity,
           init_positions: Position, key: jax.Array, *, warmup: int = 1000,
           samples: int = 1000, step_size: float | None = None, target_accept: float = 0.8,
           dense_mass: bool = False, progress: bool | str = True,
           progress_every: int | None = None, transform: Callable[[Position], Any] | None = None,
           checkpoint: str | None = None, checkpoint_every: int = 100,
           made_by: str | None = None) -> tuple[Any, dict[str, jax.Array]]:
    """Run one chain per leading entry of ``init_positions``: ``warmup`` iterations
    of window adaptation, then ``samples`` draws. A chain whose initial position
    has no finite log density starts instead at the first of up to ``START_TRIES``
    uniform draws on ``(-2, 2)`` per coordinate where it has (:func:`finite_start`).

    ``kernel_factory(logdensity_fn, step_size, inverse_mass_matrix)`` builds the
    kernel (``nuts``, ``hmc`` with its steps fixed by ``functools.partial``, ...).
    ``step_size`` is the initial step size (found by Stan's heuristic when
    ``None``). Returns the draws (``transform`` of each position when given, e.g.
    a model's constrained values, computed in the same compiled program), with
    ``(chain, draw)`` leading axes, and the
    stats: every field of the kernel's info with ``(chain, draw)`` axes
    (``acceptance_rate``, ``is_divergent``, ``num_steps``, ...), plus the adapted
    ``step_size`` and ``inverse_mass_matrix`` per chain and, for kernels that
    count them, the gradient evaluations of each chain's warm-up
    (``warmup_num_steps``), and the log density at each chain's start
    (``start_logdensity``, not finite if no start was found). The compiled program is
    cached: a second call with the same kernel factory and log density (the
    same objects) and options does not compile again.

    With ``checkpoint="path"`` the run goes in segments of ``checkpoint_every``
    iterations, saving its state (positions, adaptation, the draws so far) after
    each (:mod:`catlearn.checkpoint`, with the fingerprint ``made_by``); a run
    finding that checkpoint resumes from it, to the same draws as a run that was
    never interrupted.
    """
    if warmup < 0 or samples < 1:
        raise InferenceError(f"MCMC needs warmup >= 0 and samples >= 1, "
                             f"got warmup={warmup}, samples={samples}")
    sizes = {jnp.shape(a)[0] if jnp.ndim(a) else None for a in jax.tree.leaves(init_positions)}
    if len(sizes) != 1 or None in sizes:
        raise InferenceError("initial positions need one leading chain axis, the same "
                             f"for every array; got leading sizes {sorted(map(str, sizes))}")
    every = (progress_every or max(1, (warmup + samples) // 100)) if progress else None
    options = dict(warmup=warmup, samples=samples, step_size=step_size,
                   target_accept=target_accept, dense_mass=dense_mass, progress_every=every)
    # A Partial is a pytree: its arguments (a target's data) enter the program as
    # inputs, its function as part of the cache key, like any plain function.
    logdensity_fn, transform = (f if f is None or isinstance(f, Partial) else Partial(f)
                                for f in (logdensity_fn, transform))
    args = (kernel_factory, logdensity_fn, transform, key, init_positions)
    run = _run if checkpoint is None else partial(
        _run_in_segments, checkpoint=checkpoint, every=checkpoint_every,
        made_by=made_by or checkpoints.fingerprint(
            key, init_positions, checkpoint_every,
            {k: v for k, v in options.items() if k != "progress_every"}))
    if not progress and checkpoint is None:  # no bar ticking: a program kept between runs
        return program_cache.call("chains.run", partial(_run, kernel_factory), *args[1:],
                                  **options)
    if not progress:
        return run(*args, **options)
    with Bar(progress if isinstance(progress, str) else "mcmc", warmup + samples,
             phases=("warmup", "sampling")) as bar:
        if checkpoint is None and not isinstance(key, jax.core.Tracer):
            bar.compile(_run, *args, **options)  # (under shard_map it is compiled there)
        return jax.block_until_ready(run(*args, **options))
