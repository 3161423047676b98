"""A posterior as ArviZ's ``InferenceData``, every group it can fill.

* ``posterior``: the (equal-weight) draws of the latent sites;
* ``sample_stats``: per-draw statistics under ArviZ's names (``diverging``,
  ``tree_depth``, ``energy``, ``acceptance_rate``, ``n_steps``) and each
  chain's adapted ``step_size`` repeated along its draws;
* ``log_likelihood``: each observed site's log likelihood *point by point*
  (one value per observation and draw), what ``az.loo`` and ``az.waic`` read;
* ``observed_data``: the data; ``constant_data``: the model's arguments;
* on request, ``prior``/``prior_predictive`` (draws of the model alone) and
  ``posterior_predictive`` (the observed sites drawn again at each posterior
  draw), what ``az.plot_ppc`` compares with the data.

Dimensions are named by the loops that make them: a site drawn in
``for j in range(J)`` has the dimension ``j`` (ArviZ's default names for the
rest), so ``theta_raw``, ``y`` and the data ``y`` share one axis.
"""
from __future__ import annotations

from typing import Any, Optional

import jax
import numpy as np

from catlearn.errors import InferenceError

PER_DRAW = ("diverging", "tree_depth", "energy", "acceptance_rate", "n_steps")
"""Statistics with one value per draw, as ArviZ names them."""


def inference_data(posterior: Any, prior: int = 0, posterior_predictive: bool = False,
                   key: Optional[jax.Array] = None) -> Any:
    """The ``arviz.InferenceData`` of a :class:`~catlearn.inference.posterior.Posterior`
    (which imports this module, so it is not named here); ``prior`` draws from the
    model alone when positive, and the posterior predictive when asked."""
    import arviz
    key = jax.random.key(0) if key is None else key
    k_resample, k_prior, k_predict = jax.random.split(key, 3)
    draws = {site: np.asarray(v) for site, v in posterior.resampled(k_resample).items()}
    groups: dict[str, Any] = {"posterior": draws, "sample_stats": _sample_stats(posterior)}
    target = posterior.target
    if target is None:
        if prior or posterior_predictive:
            raise InferenceError("this posterior does not know its model, so it has no "
                                 "prior or predictive draws")
        return arviz.from_dict(**groups)
    chains, n = next(iter(draws.values())).shape[:2] if draws else (1, 0)
    if target.observed:
        groups["log_likelihood"] = _pointwise(target, draws, chains, n)
        groups["observed_data"] = {site: np.asarray(target.data[site])
                                   for site in target.observed}
    groups["constant_data"] = {name: np.asarray(value) for (name, _), value
                               in zip(target.model.args, target.inputs)}
    if prior:
        drawn = jax.jit(jax.vmap(target.sample_prior))(jax.random.split(k_prior, prior))
        groups["prior"] = {s: np.asarray(drawn[s])[None] for s in target.latent_names}
        groups["prior_predictive"] = {s: np.asarray(drawn[s])[None] for s in target.observed}
    if posterior_predictive:
        predicted = posterior.predictive(key=k_predict)
        groups["posterior_predictive"] = {s: np.asarray(predicted[s]) for s in target.observed}
    return arviz.from_dict(**{k: v for k, v in groups.items() if v},
                           dims=site_dims(target.model, target.site_shapes))


def _sample_stats(posterior: Any) -> dict[str, np.ndarray]:
    """The per-draw statistics, and per-chain ones repeated along the draws.
    Weighted draws were resampled: no statistic belongs to them."""
    if posterior.log_weights is not None:
        return {}
    chains, n = posterior.chains, posterior.draws
    out = {name: np.asarray(posterior.stats[name]) for name in PER_DRAW
           if np.shape(posterior.stats.get(name))[:2] == (chains, n)}
    step = posterior.stats.get("step_size")
    if step is not None and np.shape(step) == (chains,):
        out["step_size"] = np.repeat(np.asarray(step)[:, None], n, axis=1)
    return out


def _pointwise(target, draws: dict, chains: int, n: int) -> dict[str, np.ndarray]:
    """Each observed site's pointwise log likelihood at every draw, ``(chain, draw, …)``."""
    latents = {site: np.reshape(v, (chains * n,) + v.shape[2:]) for site, v in draws.items()
               if site in target.latent_names}
    values = jax.jit(jax.vmap(target.pointwise_log_likelihood))(latents)
    return {site: np.reshape(np.asarray(values[site]), (chains, n) + np.shape(values[site])[1:])
            for site in target.observed}


def site_dims(model: Any, shapes: dict[str, tuple]) -> dict[str, list[str]]:
    """Each site's leading dimensions named by the loops that draw it (outer
    first). A name that would mean two lengths is made unique by its site."""
    named: dict[str, list[str]] = {}
    todo = [(box, []) for box in model.diagram.boxes]
    while todo:
        box, loops = todo.pop()
        data = getattr(box, "data", {})
        if "body" in data:
            todo.extend((inner, loops + [data["var"]]) for inner in box.body.boxes)
        elif "site" in data and loops:
            named.setdefault(data["site"], loops)
    lengths: dict[str, set] = {}
    for site, loops in named.items():
        for name, length in zip(loops, shapes.get(site, ())):
            lengths.setdefault(name, set()).add(length)
    return {site: [name if len(lengths[name]) == 1 else f"{site}_{name}" for name in loops]
            for site, loops in named.items() if len(shapes.get(site, ())) >= len(loops)}
