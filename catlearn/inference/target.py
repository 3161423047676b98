"""A model conditioned on data: the target every inference method plugs into.

``Target(model, args, data)`` binds the query once (see
:mod:`catlearn.inference.conditioning`) and gives the model's three
meanings, each the functor into the traced samplers of
:mod:`catlearn.categories.traced` with different site modes:

* the **sampler** (prior and prior predictive; no site given): ``sample_prior``;
* the **weighted sampler** (likelihood weighting; observed sites given, so
  they score their data, latent sites drawn): ``weighted``;
* the **log density** of the latent sites on unconstrained space, as one
  pure JAX function of a flat vector ``θ ∈ ℝ^dim``:

      log p(θ) = Σ_latent [log p(f(u)) + log|det J_f(u)|] + Σ_observed log p(y | …)

  where ``f`` is each site's support bijection: ``logdensity``, split into
  ``log_prior`` and ``log_likelihood`` for tempering.

For models with loops that read their previous iteration (state-space
models), ``sequential()`` cuts the model at its time steps for particle filters.

>>> import jax, jax.numpy as jnp
>>> from catlearn.syntax import Ty
>>> from catlearn.syntax.model import Const, Model, Sample
>>> R = Ty("Real")
>>> t = Target(Model("m", [], Const(1.0) >> Sample("z", "HalfNormal", R, R)))
>>> t.dim, t.latent_names
(1, ['z'])
>>> float(t.constrain(jnp.zeros(1))["z"])  # exp(0)
1.0
"""
from __future__ import annotations

import copy
from typing import Any, Callable, Mapping, Optional, Sequence

import jax
import jax.numpy as jnp
import numpy as np

from catlearn.categories.sampler import Sampler
from catlearn.categories.weighted import Weighted
from catlearn.errors import DataError, InferenceError, NotSupportedError
from catlearn.inference.conditioning import bind_args, bind_data
from catlearn.categories.traced import FIXED, LATENT, OBSERVED, Trace, TracedSamplers
from catlearn.functor import Functor
from catlearn.inference.cutting import cut
from catlearn.inference.sequential import StateSpace
from catlearn.syntax.model import Model

Array = jax.Array


def placeholder_key() -> Array:
    """The key of a semantics that draws nothing. Made where it is used: a key
    held by the module would enter every compiled log density as a constant."""
    return jax.random.key(0)


def semantics(dims: Mapping[str, Any], modes: Mapping[str, str]) -> Functor:
    """The functor into traced samplers for one binding of the dimensions and site modes."""
    return Functor(cod=TracedSamplers(dims, modes))


class Target:
    """``model`` with its arguments bound and the sites in ``data`` observed."""

    def __init__(self, model: Model, args: Optional[Mapping[str, Any]] = None,
                 data: Optional[Mapping[str, Any]] = None):
        self.model = model
        self.inputs, self.dims = bind_args(model.args, args or {}, model.name)
        self._prior = semantics(self.dims, {})(model.diagram)

        def shapes(key):
            trace = self._prior.fn(key, {}, *self.inputs)[1]
            return trace, trace.sites(), trace.unconstrained_sites(), trace.deterministic_sites()
        abstract, sites, unconstrained, computed = jax.eval_shape(shapes, placeholder_key())
        #: the values the model computes and reports (Stan's transformed parameters)
        self.deterministic_names = list(dict.fromkeys(b.site for b in model.deterministic()))
        self._computed_structs = computed
        for name in data or {}:
            if name in computed:
                raise DataError(f"'{name}' is computed by {model.name} ({name} = ...), not "
                                "sampled: it cannot be given as data; observe a sampled "
                                "variable instead")
        self.data = bind_data(model, data or {}, sites, abstract.values)
        self.site_shapes = {site: tuple(s.shape) for site, s in sites.items()}
        self._site_structs = sites
        order = list(dict.fromkeys(box.site for box in model.sites()))
        self.observed = [site for site in order if site in self.data]
        self.latent_names = [site for site in order if site not in self.data]
        self.discrete_latents = [site for site in self.latent_names
                                 if site not in unconstrained]
        self.has_discrete_latents = bool(self.discrete_latents)
        self._layout = [(site, tuple(unconstrained[site].shape)) for site in self.latent_names
                        if site in unconstrained]
        self.dim = int(sum(np.prod(shape, dtype=int) for _, shape in self._layout))
        observed = {site: OBSERVED for site in self.observed}
        self._weighted = semantics(self.dims, observed)
        self._density = semantics(self.dims, {**observed, **{
            site: LATENT for site, _ in self._layout}})

    def __repr__(self) -> str:
        return (f"<Target {self.model.name}: latent {', '.join(self.latent_names) or 'none'}; "
                f"observed {', '.join(self.observed) or 'none'}>")

    # -- the flat parameter vector ------------------------------------------------

    def unflatten(self, flat: Array) -> dict[str, Array]:
        """The unconstrained value of each continuous latent site."""
        out, offset = {}, 0
        for site, shape in self._layout:
            size = int(np.prod(shape, dtype=int))
            out[site] = jnp.reshape(flat[offset:offset + size], shape)
            offset += size
        return out

    def flatten(self, unconstrained: Mapping[str, Array]) -> Array:
        return jnp.concatenate([jnp.ravel(unconstrained[site]) for site, _ in self._layout]
                               or [jnp.zeros((0,))])

    # -- the log-density semantics ---------------------------------------------------

    def _trace(self, flat: Array) -> Trace:
        if self.has_discrete_latents:
            raise InferenceError(
                f"{self.model.name} has discrete latent variables "
                f"({', '.join(self.discrete_latents)}): gradient-based inference needs a "
                "log density of continuous latents only; use smc or importance instead")
        run = self._density(self.model.diagram)
        return run.fn(placeholder_key(), {**self.data, **self.unflatten(flat)}, *self.inputs)[1]

    @jax.jit
    def logdensity(self, flat: Array) -> Array:
        """The joint log density on unconstrained space, Jacobians included."""
        trace = self._trace(flat)
        return trace.log_prior + trace.log_likelihood

    @jax.jit
    def log_prior(self, flat: Array) -> Array:
        """The latent sites' part of :meth:`logdensity` (with the Jacobians)."""
        return self._trace(flat).log_prior

    @jax.jit
    def log_likelihood(self, flat: Array) -> Array:
        """The observed sites' and ``factor`` statements' part of :meth:`logdensity`."""
        return self._trace(flat).log_likelihood

    @jax.jit
    def constrain(self, flat: Array) -> dict[str, Array]:
        """Each latent site's value (on its support, whole shape) at ``flat``, and
        each value the model computes from them and reports."""
        trace = self._trace(flat)
        sites = trace.sites()
        return {**{site: sites[site] for site in self.latent_names},
                **trace.deterministic_sites()}

    # -- the sampler semantics -----------------------------------------------------

    def init(self, key: Array) -> Array:
        """An initial unconstrained point: a draw from the prior."""
        run = self._weighted(self.model.diagram)
        trace = run.fn(key, self.data, *self.inputs)[1]
        return self.flatten(trace.unconstrained_sites())

    def sample_prior(self, key: Array) -> dict[str, Array]:
        """Every site and returned value drawn from the prior predictive."""
        return self._named(*self._prior.fn(key, {}, *self.inputs))

    def weighted(self, key: Array) -> tuple[dict[str, Array], Array]:
        """Likelihood weighting: latent sites from the prior (and the values reported
        from them), weighted by the data."""
        outs, trace = self._weighted(self.model.diagram).fn(key, self.data, *self.inputs)
        sites = trace.sites()
        return ({**{site: sites[site] for site in self.latent_names},
                 **trace.deterministic_sites()}, trace.log_likelihood)

    def predict(self, key: Array, latents: Mapping[str, Array]) -> dict[str, Array]:
        """Every site and returned value, the latent sites held at ``latents``."""
        run = semantics(self.dims, {site: FIXED for site in latents})(
            self.model.diagram)
        return self._named(*run.fn(key, dict(latents), *self.inputs))

    def _named(self, outs: Sequence[Array], trace: Trace) -> dict[str, Array]:
        returned = {name: value for name, value in zip(self.model.returns, outs)}
        return {**trace.sites(), **trace.deterministic_sites(), **returned}

    def in_program_order(self, values: Mapping[str, Array]) -> dict[str, Array]:
        """``values`` keyed as the model names them: sites in program order, then returns
        (JAX sorts the keys of dictionaries it returns)."""
        order = [*self.latent_names, *self.deterministic_names, *self.observed,
                 *self.model.returns]
        return {name: values[name] for name in order if name in values}

    # -- the model cut at its time steps ----------------------------------------------

    def sequential(self, fixed: Optional[Mapping[str, Array]] = None) -> StateSpace:
        """The model cut at its loops for particle filters (:mod:`catlearn.inference.cutting`):
        every loop is one stage per iteration, whatever comes before, between and
        after. ``fixed`` holds latent sites at given (constrained) values, e.g. the
        parameters in PMMH; their prior density is not part of any weight."""
        fixed = dict(fixed or {})
        for site in fixed:
            if site not in self.latent_names:
                raise InferenceError(f"cannot hold '{site}' fixed: it is not a latent "
                                     f"variable of {self.model.name}")
        functor = semantics(self.dims, {**{site: OBSERVED for site in self.observed},
                                        **{site: FIXED for site in fixed}})
        recorded = {**{site: self._site_structs[site] for site in self.latent_names
                       if site not in fixed}, **self._computed_structs}
        return cut(self.model, functor, self.inputs, {**self.data, **fixed}, recorded)


def _flatten(target: Target):
    """A target is a pytree whose leaves are its data and arguments: compiled
    programs take them as inputs rather than baking them in as constants, and
    a target rebuilt around new leaves (inside ``jit`` or ``vmap``) keeps the
    rest (the model, its layout) from ``target`` itself, the tree's static part."""
    return (target.data, target.inputs), _Template(target)


def _unflatten(template: "_Template", leaves) -> Target:
    target = copy.copy(template.target)
    target.data, target.inputs = leaves
    target._template = template.target
    return target


class _Template:
    """The static part of a :class:`Target`: equal only to itself, so programs
    compiled for one target are reused for it and for its rebuilt copies."""

    def __init__(self, target: Target):
        self.target = getattr(target, "_template", target)

    def __eq__(self, other) -> bool:
        return isinstance(other, _Template) and other.target is self.target

    def __hash__(self) -> int:
        return id(self.target)


jax.tree_util.register_pytree_node(Target, _flatten, _unflatten)


def sampler(model: Model, args: Optional[Mapping[str, Any]] = None) -> Sampler:
    """The prior predictive as a sampler ``key -> {site or return: value}``."""
    target = Target(model, args)
    return Sampler(0, 1, lambda key: (target.sample_prior(key),))


def weighted(model: Model, args: Optional[Mapping[str, Any]] = None,
             data: Optional[Mapping[str, Any]] = None) -> Weighted:
    """Likelihood weighting as a weighted sampler ``key -> ({latent: value}, log w)``."""
    target = Target(model, args, data)
    return Weighted(0, 1, lambda key: (lambda s, w: ((s,), w))(*target.weighted(key)))


def log_density(model: Model, args: Optional[Mapping[str, Any]] = None,
                data: Optional[Mapping[str, Any]] = None) -> Callable[[Array], Array]:
    """The joint log density of the latent sites, a function of a flat unconstrained vector."""
    return Target(model, args, data).logdensity
