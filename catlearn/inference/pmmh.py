"""Particle marginal Metropolis–Hastings: MH over global parameters, an SMC likelihood.

For a state-space model with global parameters ``θ``, the bootstrap filter's
evidence ``Ẑ(θ, u)`` (``u`` its randomness) is an unbiased estimate of
``p(y | θ)``, so ``π(θ, u) ∝ p(θ) Ẑ(θ, u) q(u)`` has marginal ``p(θ | y)``
(Andrieu, Doucet & Holenstein 2010). PMMH is the Metropolis–Hastings–Green
kernel (:mod:`catlearn.inference.mhg`) on ``(θ, u)`` with auxiliary
``(ε, u') ~ N(0, s²) ⊗ q`` and the involution that swaps the randomness,

    (θ, u ; ε, u')  ↦  (θ + ε, u' ; −ε, u),

whose acceptance ratio is ``p(θ') Ẑ(θ', u') / p(θ) Ẑ(θ, u)``: the inner
``smc`` is the likelihood and ``u`` is a PRNG key. With ``keep``, each point also
carries one particle of its filter's final population, drawn in proportion to its
weight (from a key of ``u``'s): a draw of the states given ``θ`` (the same paper's
section 2.4), so the chain's kept particles are draws of ``p(x | y)`` beside ``θ``.

>>> import jax, jax.numpy as jnp
>>> from catlearn.inference.sequential import StateSpace
>>> def model(mu):   # x_0 ~ N(mu, 1), y_0 = 1 ~ N(x_0, 1): the evidence is N(1; mu, 2)
...     observe = lambda x: -0.5 * (1.0 - x) ** 2 - 0.5 * jnp.log(2 * jnp.pi)
...     init = lambda k: (lambda x: (x, observe(x)))(mu + jax.random.normal(k))
...     return StateSpace(init, lambda k, x, t: (x, 0.0), 1)
>>> chain = pmmh_chain(jax.random.key(0), jnp.zeros(()), lambda mu: -0.5 * mu ** 2, model,
...                    particles=100, samples=2000, step_size=1.0)
>>> bool(abs(chain.positions.mean() - 1 / 3) < 0.1)      # p(mu | y) = N(1/3, 2/3)
True
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import Any, Callable, NamedTuple, Optional

import jax
import jax.numpy as jnp
import numpy as np

from catlearn import progress
from catlearn.errors import InferenceError
from catlearn.inference import segments
from catlearn.inference.kernel import Kernel, State
from catlearn.inference.mhg import mhg
from catlearn.inference.resample import Scheme, scheme
from catlearn.inference.sequential import StateSpace
from catlearn.inference.options import fraction, positive_int
from catlearn.inference.smc import bootstrap_filter

Params = Any   # a pytree of unconstrained global parameters


class PMMHChain(NamedTuple):
    """The kept draws of ``θ``, the filter's log evidence at each, acceptance, and
    (with ``keep``) what was kept of a particle drawn from the filter at each."""
    positions: Params
    log_evidence: jax.Array
    is_accepted: jax.Array
    kept: Any = None


def pmmh_kernel(log_prior: Callable[[Params], jax.Array],
                model: Callable[[Params], StateSpace], *, particles: int,
                step_size: float | jax.Array, resampling: str | Scheme = "systematic",
                ess_threshold: float = 0.5,
                keep: Optional[Callable[[Any], Any]] = None) -> Kernel:
    """The PMMH kernel on positions ``(θ, u)``, ``u`` the raw data of a PRNG key;
    with ``keep``, a state's third field holds ``keep`` of one final particle."""

    def density(position):
        theta, u = position
        key = jax.random.wrap_key_data(u)
        result = bootstrap_filter(key, model(theta), particles,
                                  resampling=resampling, ess_threshold=ess_threshold)
        kept = None if keep is None else keep(_drawn_particle(
            jax.random.fold_in(key, 1), result.population))
        return State(position, log_prior(theta) + result.log_evidence, kept)

    def sample_auxiliary(key, state):
        key_step, key_filter = jax.random.split(key)
        leaves, tree = jax.tree.flatten(state.position[0])
        keys = jax.random.split(key_step, len(leaves))
        steps = [step_size * jax.random.normal(k, jnp.shape(x), jnp.result_type(x))
                 for k, x in zip(keys, leaves)]
        return jax.tree.unflatten(tree, steps), jax.random.key_data(key_filter)

    def auxiliary_logdensity(state, auxiliary):
        step, _ = auxiliary   # the key's density q(u) is the same on both sides
        return sum(-0.5 * jnp.sum((x / step_size) ** 2) for x in jax.tree.leaves(step))

    def involution(state, auxiliary):
        (theta, u), (step, u_new) = state.position, auxiliary
        moved = jax.tree.map(jnp.add, theta, step)
        return density((moved, u_new)), (jax.tree.map(jnp.negative, step), u)

    return mhg(density, sample_auxiliary, auxiliary_logdensity, involution)


def _drawn_particle(key: jax.Array, pop) -> Any:
    """One particle of ``pop``, drawn in proportion to its weight."""
    i = jax.random.categorical(key, pop.log_weights)
    return jax.tree.map(lambda v: v[i], pop.particles)


def pmmh_chain(key: jax.Array, theta: Params, log_prior: Callable[[Params], jax.Array],
               model: Callable[[Params], StateSpace], *, particles: int, samples: int,
               warmup: int = 0, step_size: float | jax.Array = 0.25,
               resampling: str | Scheme = "systematic", ess_threshold: float = 0.5,
               progress_every: Optional[int] = None,
               keep: Optional[Callable[[Any], Any]] = None) -> PMMHChain:
    """``warmup + samples`` PMMH steps from ``θ`` in one ``lax.scan``; keeps the last
    ``samples``. Every ``progress_every`` steps it advances the active progress bar.
    With ``keep``, ``kept`` holds ``keep`` of a particle drawn from each step's filter."""
    kernel = pmmh_kernel(log_prior, model, particles=particles, step_size=step_size,
                         resampling=resampling, ess_threshold=ess_threshold, keep=keep)
    total = warmup + samples
    state = pmmh_start(kernel, key, theta)
    _, chain = pmmh_steps(kernel, key, state, 0, total, total, warmup, progress_every)
    return pmmh_kept(chain, log_prior, warmup)


def pmmh_start(kernel: Kernel, key: jax.Array, theta: Params) -> State:
    """The chain's state at ``θ``, its filter's randomness drawn from ``key``."""
    return kernel.init((theta, jax.random.key_data(jax.random.split(key)[0])))


def pmmh_steps(kernel: Kernel, key: jax.Array, state: State, start: Any, count: int,
               total: int, warmup: int, progress_every: Optional[int]
               ) -> tuple[State, PMMHChain]:
    """Steps ``start … start + count - 1`` of a chain of ``total`` (``start`` may be
    traced: step ``t``'s key is drawn from ``key`` by ``t`` alone), one ``lax.scan``."""
    def step(state, t_key):
        t, k = t_key
        state, info = kernel.step(k, state)
        progress.tick(t, t >= warmup, progress_every)
        return state, PMMHChain(state.position[0], state.logdensity, info.is_accepted,
                                state.logdensity_grad)

    keys = jax.random.split(jax.random.split(key)[1], total)
    if count < total:
        keys = jax.lax.dynamic_slice_in_dim(keys, start, count)
    return jax.lax.scan(step, state, (start + jnp.arange(count), keys))


def pmmh_kept(chain: PMMHChain, log_prior: Callable[[Params], jax.Array],
              warmup: int) -> PMMHChain:
    """The sampling steps of ``chain``, with the filter's log evidence alone at each."""
    chain = jax.tree.map(lambda v: v[warmup:], chain)
    log_prior_kept = jax.vmap(log_prior)(chain.positions)
    return chain._replace(log_evidence=chain.log_evidence - log_prior_kept)


# -- the method object of ``catlearn.infer`` ----------------------------------------------


def global_sites(target) -> list[str]:
    """The latent sites drawn before the model's time loop and never inside it."""
    from catlearn.syntax.model import Model, Scan
    scans = [box for box in target.model.diagram.hypergraph.boxes if isinstance(box, Scan)]
    inner = {b.site for scan in scans for b in Model("body", [], scan.body).sites()}
    return [site for site in target.latent_names if site not in inner]


@dataclass(frozen=True)
class PMMH:
    """Particle marginal Metropolis–Hastings, the method of ``infer … with pmmh(…)``.

    The global parameters (latent sites before the time loop and not in it)
    take random-walk steps of ``step_size`` on their unconstrained scale; the
    loop's states are integrated out by a bootstrap filter of ``particles``.
    Its bar shows compiling, then warm-up and sampling (``progress``, by
    default when interactive). With ``checkpoint`` (a path) the chain runs
    ``checkpoint_every`` steps at a time, its state and draws saved after each,
    and a run finding that checkpoint resumes from it to the same draws.
    """
    particles: int = 500
    samples: int = 2000
    warmup: int = 500
    seed: int = 0
    step_size: float = 0.25
    resampling: str = "systematic"
    ess_threshold: float = 0.5
    name: str = "pmmh"
    progress: Optional[bool] = None
    checkpoint: Optional[str] = None
    checkpoint_every: int = 100

    def __post_init__(self):
        segments.check_options(self)
        positive_int(self.name, "samples", self.samples)
        if not (isinstance(self.warmup, int) and self.warmup >= 0):
            raise InferenceError(f"pmmh: warmup must be a non-negative integer, got {self.warmup!r}")
        if not (isinstance(self.step_size, (int, float)) and self.step_size > 0):
            raise InferenceError(f"pmmh: step_size must be positive, got {self.step_size!r}")
        fraction(self.name, "ess_threshold", self.ess_threshold)
        scheme(self.resampling)

    def run(self, target, key: jax.Array):
        from catlearn.inference.posterior import Posterior
        names = global_sites(target)
        if not names:
            raise InferenceError(f"pmmh on {target.model.name}: the model has no global "
                                 "parameters (latent variables before its time loop); use smc")
        key_init, key_run = jax.random.split(key)
        start = target.unflatten(target.init(key_init))
        start = {site: start[site] for site in names}
        total, show = self.warmup + self.samples, progress.wanted(self.progress)
        args = (target, start, key_run, tuple(names), self.particles, self.samples,
                self.warmup, self.step_size, self.resampling, self.ess_threshold,
                progress.every(total, show))
        with progress.Bar(f"{self.name} on {target.model.name}", total, unit="step",
                          phases=("warmup", "sampling"), show=show) as bar:
            if self.checkpoint is not None:
                chain = self._in_segments(target, start, key, key_run, tuple(names), show)
            else:
                if show:
                    bar.compile(_chain, *args)
                chain = jax.block_until_ready(_chain(*args))
        if not np.isfinite(np.asarray(chain.log_evidence)).any():
            raise InferenceError(f"pmmh on {target.model.name}: the particle filter's evidence "
                                 "is zero at every parameter the chain visited; the data are "
                                 "impossible under the model")
        # the states and reported values of a particle drawn from each step's filter
        sites = {**_globals(target, tuple(names), chain.positions), **chain.kept}
        sites = {site: v[None] for site, v in target.in_program_order(sites).items()
                 if site in target.latent_names + target.deterministic_names}
        return Posterior(sites,
                         stats={"acceptance_rate": float(np.mean(chain.is_accepted)),
                                "log_evidence": np.asarray(chain.log_evidence)[None],
                                "particles": self.particles},
                         method=self.name, target=target)

    def _in_segments(self, target, start: dict, key: jax.Array, key_run: jax.Array,
                     names: tuple, show: bool) -> PMMHChain:
        """The chain of :func:`_chain` in segments of ``checkpoint_every`` steps, its
        state and steps so far saved after each (under the fingerprint of the run's
        ``key``)."""
        total = self.warmup + self.samples
        options = (names, self.particles, self.step_size, self.resampling,
                   self.ess_threshold)
        ticks = progress.every(total, show)
        state = _begun(target, start, key_run, options)
        rows = jax.eval_shape(lambda s: _stepped(target, key_run, s, 0, total, total,
                                                 self.warmup, None, options)[1], state)

        def advance(carry, begin, stop):
            state, chain = carry
            state, part = _stepped(target, key_run, state, begin, stop - begin, total,
                                   self.warmup, ticks, options)
            return state, segments.filled(chain, part, begin)

        saving = segments.options(self, target, key)
        state, chain = segments.in_segments(
            advance, (state, segments.blank(rows)), segments.stops(total, saving["every"]),
            checkpoint=saving["checkpoint"], made_by=saving["made_by"])
        return _kept(target, jax.tree.map(jnp.asarray, chain), self.warmup, options)


def _global_prior(target, names: tuple, theta: dict) -> tuple[jax.Array, dict]:
    """The globals' prior on unconstrained space, Jacobians included, and their
    constrained values: the model run with only them given (every other site
    drawn, unscored)."""
    from catlearn.inference.target import placeholder_key
    run = target.meaning(latent=list(names))
    trace = run.fn(placeholder_key(), theta, *target.inputs)[1]
    return trace.log_prior, {site: trace.sites()[site] for site in names}


# The target an argument and the options static: a later query of the same
# structure and options, on new data, runs the chain already compiled.
@partial(jax.jit, static_argnums=(3, 4, 5, 6, 7, 8, 9, 10))
def _chain(target, start, key, names, particles, samples, warmup, step_size, resampling,
           ess_threshold, progress_every) -> PMMHChain:
    return pmmh_chain(key, start, *_posed(target, names), particles=particles,
                      samples=samples, warmup=warmup, step_size=step_size,
                      resampling=resampling, ess_threshold=ess_threshold,
                      progress_every=progress_every, keep=_sites)


def _posed(target, names: tuple) -> tuple[Callable, Callable]:
    """The globals' log prior and the state-space model they pose."""
    return (lambda theta: _global_prior(target, names, theta)[0],
            lambda theta: target.sequential(_global_prior(target, names, theta)[1]))


def _kernel(target, names, particles, step_size, resampling, ess_threshold) -> Kernel:
    return pmmh_kernel(*_posed(target, names), particles=particles, step_size=step_size,
                       resampling=resampling, ess_threshold=ess_threshold, keep=_sites)


def _sites(particle) -> dict:
    return particle.sites


# The pieces of a chain in segments, the options one static tuple.
@partial(jax.jit, static_argnums=3)
def _begun(target, start, key, options) -> State:
    return pmmh_start(_kernel(target, *options), key, start)


@partial(jax.jit, static_argnums=(4, 5, 6, 7, 8))
def _stepped(target, key, state, start, count, total, warmup, progress_every, options):
    return pmmh_steps(_kernel(target, *options), key, state, start, count, total, warmup,
                      progress_every)


@partial(jax.jit, static_argnums=(2, 3))
def _kept(target, chain, warmup, options) -> PMMHChain:
    return pmmh_kept(chain, _posed(target, options[0])[0], warmup)


@partial(jax.jit, static_argnums=1)
def _globals(target, names: tuple, positions: dict) -> dict:
    return jax.vmap(lambda theta: _global_prior(target, names, theta)[1])(positions)


def pmmh(particles: int = 500, samples: int = 2000, warmup: int = 500, seed: int = 0,
         step_size: float = 0.25, resampling: str = "systematic",
         ess_threshold: float = 0.5, progress: Optional[bool] = None,
         checkpoint: Optional[str] = None, checkpoint_every: int = 100) -> PMMH:
    """The :class:`PMMH` method: ``infer(model, …, method=pmmh(particles=500))``;
    ``progress`` shows its compiling, warm-up and sampling phases (by default
    when interactive); with ``checkpoint`` (a path) it saves every
    ``checkpoint_every`` steps and resumes from there."""
    return PMMH(particles, samples, warmup, seed, step_size, resampling, ess_threshold,
                progress=progress, checkpoint=checkpoint, checkpoint_every=checkpoint_every)
