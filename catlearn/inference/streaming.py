"""The bootstrap filter over a long series, streamed in chunks of time steps.

The filter ``spawn ; (advance_t ; resample)^{t=1…T-1}`` is cut into runs of
``chunk`` stages. Each run is one compiled ``lax.scan`` (the same program for
every full chunk: the time offset is an argument, not a constant) that
carries the population and hands back, for each of its stages, a small
summary of the weighted particles (by default the filtering mean
``E[x_t | y_0 … y_t]`` of the state), the ESS and the log evidence
increment. Nothing of size ``T × n`` ever exists, so memory is that of one
population plus ``O(chunk)``, whatever ``T`` is.

The evidence is carried as a float64 sum, on the host, of the per-chunk
log evidences, each accumulated on the device from 0: over ``T = 10^5``
stages a float32 running total ``log Z ≈ -10^5`` would lose the digits the
increments carry.

>>> import jax, jax.numpy as jnp
>>> from catlearn.inference.sequential import StateSpace
>>> walk = StateSpace(lambda k: (jax.random.normal(k), 0.0),             # x_0 ~ N(0, 1)
...                   lambda k, x, t: (x + jax.random.normal(k), -0.5 * x ** 2), 50)
>>> out = chunked_filter(jax.random.key(0), walk, 256, chunk=20)
>>> out.means.shape, out.ess.shape, bool(jnp.isfinite(out.log_evidence))
((50,), (50,), True)
"""
from __future__ import annotations

from functools import partial
from typing import Any, Callable, NamedTuple, Optional

import jax
import jax.numpy as jnp
import numpy as np
from jax.sharding import Mesh

from catlearn.errors import InferenceError
from catlearn.inference.population import Population, mean, normalise, spawn
from catlearn.inference.resample import Scheme, adaptive
from catlearn.inference.sequential import Stage, StateSpace, finish, record
from catlearn.inference.smc import SMCResult, check
from catlearn.sharding import check_divisible, spread


class StreamResult(NamedTuple):
    """The final population, the log evidence (a float64 number) and, per time
    step, the summary of the filtering distribution and the ESS (host arrays)."""
    population: Population
    log_evidence: float
    means: Any
    ess: np.ndarray


def _carry(particle: Any) -> Any:
    """The state of a particle, the default summary: the ``carry`` of a
    language model's particle, or the particle itself."""
    return getattr(particle, "carry", particle)


def chunked_filter(key: jax.Array, model: StateSpace, particles: int, *, chunk: int = 1000,
                   resampling: str | Scheme = "systematic", ess_threshold: float = 0.5,
                   summary: Callable[[Any], Any] = _carry,
                   mesh: Optional[Mesh] = None) -> StreamResult:
    """The bootstrap particle filter of ``model`` run ``chunk`` stages at a time,
    recording ``means[t] = Σ_i W_i summary(x_t^i)`` for every ``t``. ``mesh``
    splits the particles over its devices (see :mod:`catlearn.sharding`).
    The two compiled programs (the start and a chunk) are cached across calls."""
    if not (isinstance(chunk, int) and chunk >= 1):
        raise InferenceError(f"chunked filter: chunk must be a positive integer, got {chunk!r}")
    check_divisible(particles, mesh, "particles", who="chunked filter")
    how = _Filter(model, resampling, ess_threshold, summary, mesh)
    key_start, key_rest = jax.random.split(key)
    pop, (stages, means) = _start(how, particles, key_start)
    pieces = [_checked(pop, stages, means, model, 0)]
    for offset in range(0, model.length - 1, chunk):
        length = min(chunk, model.length - 1 - offset)
        pop, (stages, means) = _run(how, length, jax.random.fold_in(key_rest, offset), pop,
                                    offset)
        pieces.append(_checked(pop, stages, means, model, offset + 1))
    increments, ess, means = jax.tree.map(lambda *parts: np.concatenate(parts), *pieces)
    return StreamResult(pop, float(np.sum(increments)), means, ess)


class _Filter(NamedTuple):
    """What the compiled programs close over (hashable: a static argument)."""
    model: StateSpace
    resampling: str | Scheme
    ess_threshold: float
    summary: Callable[[Any], Any]
    mesh: Optional[Mesh]

    def between(self, key: jax.Array, pop: Population, t: Any):
        """Record the filtering mean, then resample if the ESS is low."""
        pop = spread(pop, self.mesh)
        means = mean(pop, self.summary)
        pop, _, resampled = adaptive(key, pop, self.resampling, self.ess_threshold)
        return spread(pop, self.mesh), (resampled, means)


@partial(jax.jit, static_argnums=(0, 1))
def _start(how: _Filter, particles: int, key: jax.Array):
    key_spawn, key_between = jax.random.split(key)
    pop = spawn(key_spawn, particles, how.model.init)
    stage = record(jnp.zeros(()), pop, jnp.asarray(False))
    pop, (_, means) = how.between(key_between, pop, 0)
    return _restart(pop), jax.tree.map(lambda v: v[None], (stage, means))


@partial(jax.jit, static_argnums=(0, 1))
def _run(how: _Filter, length: int, key: jax.Array, pop: Population, offset: jax.Array):
    """Stages ``offset + 1 … offset + length``: the model's steps shifted in time."""
    step = how.model.step
    shifted = StateSpace(how.model.init, lambda k, x, t: step(k, x, t + offset), length + 1)
    pop, records = finish(key, pop, shifted, how.between)
    return _restart(pop), records


def _restart(pop: Population) -> Population:
    """The same particles and weights with the accumulated mass dropped (the
    host keeps it), so the device never adds to a large float32 total."""
    pop = normalise(pop)
    return pop._replace(log_z=jnp.zeros_like(pop.log_z))


def _checked(pop: Population, stages: Stage, means: Any, model: StateSpace, first: int):
    """The host copy of a chunk's records, after :func:`~catlearn.inference.smc.check`
    has looked for a stage where every weight vanished."""
    stages, means = jax.device_get((stages, means))
    length = len(stages.ess)
    check(SMCResult(pop, None, stages, length), lambda k: model.stage_name(first + k))
    return np.asarray(stages.log_evidence_increment, np.float64), stages.ess, means
