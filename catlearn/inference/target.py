"""A model conditioned on data: the target every inference method plugs into.

``Target(model, args, data)`` binds the query once (see
:mod:`catlearn.inference.conditioning`) and gives the model's meanings: one
functor into the traced samplers of :mod:`catlearn.categories.traced`,
applied to the model's diagram rewritten by conditioning
(:mod:`catlearn.syntax.condition`):

* the **sampler** (prior and prior predictive): the model as written,
  ``sample_prior``;
* the **weighted sampler** (likelihood weighting): the observed sites'
  boxes made ``Observe`` boxes, which score their data, ``weighted``;
* **prediction**: the latent sites' boxes made ``Fixed``, ``predict``;
* the **log density** of the latent sites on unconstrained space, the
  latent sites' boxes made ``Latent`` too, as one pure JAX function of a
  flat vector ``θ ∈ ℝ^dim``:

      log p(θ) = Σ_latent [log p(f(u)) + log|det J_f(u)|] + Σ_observed log p(y | …)

  where ``f`` is each site's support bijection: ``logdensity``, split into
  ``log_prior`` and ``log_likelihood`` for tempering.

Data with missing elements (NaN, or ``{"y[3]": v}`` for one element) observe
the elements they hold; the missing ones are latent, so they are sampled
(imputed) with the rest and reported with the site.

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
from functools import lru_cache
from typing import Any, Callable, Mapping, Optional, Sequence

import jax
import jax.numpy as jnp
import numpy as np

from catlearn.categories.sampler import Sampler
from catlearn.categories.weighted import Weighted
from catlearn.errors import DataError, InferenceError, NotSupportedError
from catlearn.inference.conditioning import bind_args, bind_data
from catlearn.categories.traced import Partial, Trace, Traced, TracedSamplers, covered
from catlearn.functor import Functor
from catlearn.inference.cutting import cut
from catlearn.inference.sequential import StateSpace
from catlearn.syntax.condition import condition
from catlearn.syntax.model import Model

Array = jax.Array


def placeholder_key() -> Array:
    """The key of a semantics that draws nothing. Made where it is used: a key
    held by the module would enter every compiled log density as a constant."""
    return jax.random.key(0)


def semantics(dims: Mapping[str, Any]) -> Functor:
    """The functor into traced samplers for one binding of the dimensions."""
    return Functor(cod=TracedSamplers(dims))


class Target:
    """``model`` with its arguments bound and the sites in ``data`` observed."""

    def __init__(self, model: Model, args: Optional[Mapping[str, Any]] = None,
                 data: Optional[Mapping[str, Any]] = None):
        self.model = model
        self.inputs, self.dims = bind_args(model.args, args or {}, model.name)
        self._functor = semantics(self.dims)
        self._prior = self.meaning()
        abstract, sites, unconstrained, computed = _prior_shapes(
            _Query(model, self.dims, self.inputs))
        #: the values the model computes and reports (Stan's transformed parameters)
        self.deterministic_names = list(dict.fromkeys(b.site for b in model.deterministic()))
        self._computed_structs = computed
        for name in data or {}:
            if name in computed:
                raise DataError(f"'{name}' is computed by {model.name} ({name} = ...), not "
                                "sampled: it cannot be given as data; observe a sampled "
                                "variable instead")
        self.data, self.missing = bind_data(model, data or {}, sites, abstract.values)
        self.site_shapes = {site: tuple(s.shape) for site, s in sites.items()}
        self._site_structs = sites
        order = list(dict.fromkeys(box.site for box in model.sites()))
        self.observed = [site for site in order if site in self.data]
        self.latent_names = [site for site in order
                             if site not in self.data or site in self.missing]
        self.discrete_latents = [site for site in self.latent_names
                                 if site not in unconstrained]
        self.has_discrete_latents = bool(self.discrete_latents)
        self._layout = [(site, tuple(unconstrained[site].shape)) for site in self.latent_names
                        if site in unconstrained]
        #: the elements of each latent site in the flat vector, where not all of them:
        #: the missing ones of a partly observed site, the defined ones of a site
        #: sampled in a loop over ``range(K, T)`` only (the rest never enter a density)
        self._free = {**{site: mask for site, shape in self._layout
                         if (mask := covered(shape, abstract.unconstrained[site])) is not None},
                      **self.missing}
        #: the elements no statement defines of each latent site that has some (NaN)
        self.undefined = {site: ~mask for site in self.latent_names
                          if (mask := covered(sites[site].shape, abstract.values[site])) is not None}
        self.dim = int(sum(self._size(site, shape) for site, shape in self._layout))
        wholly_latent = [site for site, _ in self._layout if site not in self.missing]
        self._weighted = self.meaning(observed=self.observed)
        self._density = self.meaning(observed=self.observed, latent=wholly_latent)
        # Everything a compiled program of this target reads but its leaves (the
        # data and arguments, whose shapes and dtypes jit keys on itself).
        self.structure = (model.structure, tuple(sorted(self.dims.items())),
                          tuple(self.latent_names), tuple(self.observed), tuple(self._layout),
                          tuple((site, gaps.shape, gaps.tobytes())
                                for site, gaps in self.missing.items()))
        self._structure_hash = hash(self.structure)

    def meaning(self, observed: Sequence[str] = (), latent: Sequence[str] = (),
                fixed: Sequence[str] = ()) -> Traced:
        """The traced sampler of the model conditioned as named
        (:func:`~catlearn.syntax.condition.condition`)."""
        return self._functor(condition(self.model, observed, latent, fixed).diagram)

    def __repr__(self) -> str:
        return (f"<Target {self.model.name}: latent {', '.join(self.latent_names) or 'none'}; "
                f"observed {', '.join(self.observed) or 'none'}>")

    # -- the flat parameter vector ------------------------------------------------

    def _size(self, site: str, shape: tuple) -> int:
        """How many unconstrained numbers a latent site takes: its missing elements
        if it is partly observed."""
        if site in self._free:
            return int(self._free[site].sum())
        return int(np.prod(shape, dtype=int))

    def unflatten(self, flat: Array) -> dict[str, Array]:
        """The unconstrained value of each continuous latent site (whole shape; a
        partly observed site has zeros where it is observed, and a site defined in
        part where it is not)."""
        out, offset = {}, 0
        for site, shape in self._layout:
            size = self._size(site, shape)
            part = flat[offset:offset + size]
            out[site] = (jnp.zeros(shape, flat.dtype).at[self._free[site]].set(part)
                         if site in self._free else jnp.reshape(part, shape))
            offset += size
        return out

    def flatten(self, unconstrained: Mapping[str, Array]) -> Array:
        return jnp.concatenate(
            [jnp.ravel(unconstrained[site][self._free[site]] if site in self._free
                       else unconstrained[site]) for site, _ in self._layout]
            or [jnp.zeros((0,))])

    def _given(self, free: Mapping[str, Array] = {}) -> dict:
        """What the conditioned boxes read: the data (partly observed sites with
        their missing elements drawn, or read from ``free``) and the latent values."""
        given = {**self.data, **free}
        for site, missing in self.missing.items():
            given[site] = Partial(self.data[site], jnp.asarray(~missing), free.get(site))
        return given

    # -- the log-density semantics ---------------------------------------------------

    def require_continuous(self) -> None:
        """Refuse discrete latents: a log density is of continuous latents only."""
        if self.has_discrete_latents:
            raise InferenceError(
                f"{self.model.name} has discrete latent variables "
                f"({', '.join(self.discrete_latents)}): gradient-based inference needs a "
                "log density of continuous latents only; use smc or importance instead")

    def _trace(self, flat: Array) -> Trace:
        self.require_continuous()
        return self._density.fn(placeholder_key(), self._given(self.unflatten(flat)),
                                *self.inputs)[1]

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

    @jax.jit
    def init(self, key: Array) -> Array:
        """An initial unconstrained point: a draw from the prior."""
        trace = self._weighted.fn(key, self._given(), *self.inputs)[1]
        return self.flatten(trace.unconstrained_sites())

    def sample_prior(self, key: Array) -> dict[str, Array]:
        """Every site and returned value drawn from the prior predictive."""
        return self._named(*self._prior.fn(key, {}, *self.inputs))

    def weighted(self, key: Array) -> tuple[dict[str, Array], Array]:
        """Likelihood weighting: latent sites from the prior (and the values reported
        from them), weighted by the data."""
        outs, trace = self._weighted.fn(key, self._given(), *self.inputs)
        sites = trace.sites()
        return ({**{site: sites[site] for site in self.latent_names},
                 **trace.deterministic_sites()}, trace.log_likelihood)

    def predict(self, key: Array, latents: Mapping[str, Array]) -> dict[str, Array]:
        """Every site and returned value, the latent sites held at ``latents``."""
        run = self.meaning(fixed=list(latents))
        return self._named(*run.fn(key, dict(latents), *self.inputs))

    def _held(self, latents: Mapping[str, Array]) -> Trace:
        """The trace of the model on its data, the latent sites held at ``latents``
        (constrained values)."""
        held = {site: value for site, value in latents.items() if site not in self.observed}
        run = self.meaning(observed=self.observed, fixed=list(held))
        return run.fn(placeholder_key(), {**self._given(), **held}, *self.inputs)[1]

    def pointwise_log_likelihood(self, latents: Mapping[str, Array]) -> dict[str, Array]:
        """Each observed site's log likelihood element by element (the shape of
        its data), the latent sites held at ``latents`` (constrained values)."""
        return self._held(latents).pointwise_sites()

    def computed(self, latents: Mapping[str, Array]) -> dict[str, Array]:
        """The values the model computes and reports, at ``latents`` and the data."""
        return self._held(latents).deterministic_sites()

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
        if self.missing:
            raise NotSupportedError(
                f"{self.model.name}: particle filters need every observed site observed "
                f"whole; {', '.join(self.missing)} has missing elements (use nuts or importance)")
        conditioned = condition(self.model, self.observed, fixed=list(fixed))
        recorded = {**{site: self._site_structs[site] for site in self.latent_names
                       if site not in fixed}, **self._computed_structs}
        return cut(conditioned, self._functor, self.inputs, {**self.data, **fixed}, recorded)


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
    """The static part of a :class:`Target`: equal for targets of the same
    :attr:`~Target.structure`, so a program compiled for one query is reused by
    every later query of an equal model with equal dimensions and options, on
    new data and keys (its leaves)."""

    def __init__(self, target: Target):
        self.target = getattr(target, "_template", target)

    def __eq__(self, other) -> bool:
        return isinstance(other, _Template) and (
            other.target is self.target or other.target.structure == self.target.structure)

    def __hash__(self) -> int:
        return self.target._structure_hash


class _Query:
    """A model with its dimensions and the shapes and dtypes of its inputs, equal
    by structure: what the shapes of a prior run depend on."""

    def __init__(self, model: Model, dims: Mapping[str, int], inputs: Sequence[Array]):
        self.model, self.dims = model, dict(dims)
        self.inputs = tuple(jax.ShapeDtypeStruct(jnp.shape(x), jnp.result_type(x))
                            for x in inputs)
        self.key = (model.structure, tuple(sorted(self.dims.items())),
                    tuple((s.shape, str(s.dtype)) for s in self.inputs))
        self._hash = hash(self.key)

    def __eq__(self, other) -> bool:
        return isinstance(other, _Query) and self.key == other.key

    def __hash__(self) -> int:
        return self._hash


@lru_cache(maxsize=256)
def _prior_shapes(query: _Query) -> tuple:
    """The abstract trace of one prior run, its sites and their unconstrained
    values (shapes and dtypes only), traced once per structure of query."""
    run = semantics(query.dims)(query.model.diagram)

    def shapes(*inputs):   # (the key made inside: made outside, it is a compiled program)
        trace = run.fn(placeholder_key(), {}, *inputs)[1]
        return trace, trace.sites(), trace.unconstrained_sites(), trace.deterministic_sites()
    return jax.eval_shape(shapes, *query.inputs)


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
