"""The result of inference: draws of the latent sites, and what they tell.

``samples`` maps each site to an array with leading ``(chain, draw)`` axes
and the site's own shape after them. Methods that produce *weighted* draws
(importance sampling) also set ``log_weights`` (``(chain, draw)``,
normalised); summaries then weight each draw, and ``to_arviz``/``predictive``
first resample to equal weights. Summaries treat vector sites element by
element (``theta[0]``, ``theta[1]`` …), with R̂ and bulk ESS from
:mod:`catlearn.inference.diagnostics` (Kish's ESS for weighted draws).

>>> import jax, jax.numpy as jnp
>>> draws = {"w": jax.random.normal(jax.random.key(0), (2, 500)), "v": jnp.ones((2, 500, 2))}
>>> post = Posterior(draws)
>>> sorted(post.summary_dict())
['v[0]', 'v[1]', 'w']
>>> print(post.summary().splitlines()[0])
parameter      mean        sd        5%       95%       ess   r_hat
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Mapping, Optional, TYPE_CHECKING

import jax
import jax.numpy as jnp
import numpy as np

from catlearn import display, program_cache
from catlearn.display import names
from catlearn.inference.diagnostics import ess_bulk, rhat

if TYPE_CHECKING:
    from catlearn.inference.target import Target

COLUMNS = ("mean", "sd", "q5", "q95", "ess", "r_hat")
R_HAT_LIMIT = 1.01      # above it the chains disagree (Vehtari et al. 2021)
ESS_PER_CHAIN = 100     # below 100 per chain quantiles are unreliable (the same paper)
MAX_ROWS = 40           # rows of the HTML summary; the rest is counted


@dataclass
class Posterior:
    """Draws with ``(chain, draw)`` axes, optional weights, evidence and statistics."""

    samples: dict[str, jax.Array]
    log_weights: Optional[jax.Array] = None
    log_evidence: Optional[float] = None
    stats: dict[str, Any] = field(default_factory=dict)
    method: str = ""
    target: Optional["Target"] = field(default=None, repr=False)

    @property
    def chains(self) -> int:
        return next(iter(self.samples.values())).shape[0] if self.samples else 0

    @property
    def draws(self) -> int:
        return next(iter(self.samples.values())).shape[1] if self.samples else 0

    # -- summaries ---------------------------------------------------------------

    def summary_dict(self) -> dict[str, dict[str, Optional[float]]]:
        """``{"w": {"mean", "sd", "q5", "q95", "ess", "r_hat"}, "theta[0]": …}``;
        a statistic that does not apply (R̂ of weighted draws) is ``None``."""
        out = {}
        mixing = program_cache.call("posterior.mixing", _mixing, self.samples) \
            if self.log_weights is None and self.draws >= 4 else {}
        for site, draws in self.samples.items():
            draws = np.asarray(draws, dtype=float)
            shape = draws.shape[2:]
            if 0 in shape:      # a family of no elements (a loop of length zero) has no rows
                continue
            stats = (self._weighted_stats(draws) if self.log_weights is not None
                     else self._chain_stats(draws, *mixing.get(site, (None, None))))
            for element in np.ndindex(*shape):
                name = site + (f"[{', '.join(map(str, element))}]" if shape else "")
                out[name] = {column: _finite_or_none(stats[column][element])
                             for column in COLUMNS}
        return out

    @staticmethod
    def _chain_stats(draws: np.ndarray, ess, r_hat) -> dict[str, np.ndarray]:
        flat = draws.reshape((-1,) + draws.shape[2:])
        nan = np.full(draws.shape[2:], np.nan)
        return {"mean": flat.mean(0), "sd": flat.std(0, ddof=1) if len(flat) > 1 else nan,
                "q5": np.quantile(flat, 0.05, axis=0), "q95": np.quantile(flat, 0.95, axis=0),
                "ess": nan if ess is None else np.asarray(ess),
                "r_hat": nan if r_hat is None else np.asarray(r_hat)}

    def _weighted_stats(self, draws: np.ndarray) -> dict[str, np.ndarray]:
        flat = draws.reshape((-1,) + draws.shape[2:])
        log_w = np.asarray(self.log_weights, dtype=float).reshape(-1)
        w = np.exp(log_w - log_w.max())
        w = (w / w.sum()).reshape((-1,) + (1,) * (flat.ndim - 1))
        mean = (w * flat).sum(0)
        sd = np.sqrt((w * (flat - mean) ** 2).sum(0))
        order = np.argsort(flat, axis=0)
        cumulative = np.cumsum(np.take_along_axis(np.broadcast_to(w, flat.shape), order, 0), 0)
        ordered = np.take_along_axis(flat, order, 0)

        def quantile(q):
            at = np.argmax(cumulative >= q, axis=0)[None]
            return np.take_along_axis(ordered, at, 0)[0]
        ess = np.full(flat.shape[1:], 1.0 / float((w ** 2).sum()))
        return {"mean": mean, "sd": sd, "q5": quantile(0.05), "q95": quantile(0.95),
                "ess": ess, "r_hat": np.full(flat.shape[1:], np.nan)}

    def summary(self) -> str:
        """A table: parameter, mean, sd, 5%, 95%, ess, r_hat (one row per scalar)."""
        rows = self.summary_dict()
        width = max([9] + [len(name) for name in rows])
        head = f"{'parameter':<{width}}" + "".join(
            f"{h:>10}" for h in ("mean", "sd", "5%", "95%", "ess")) + f"{'r_hat':>8}"
        lines = [head]
        for name, stats in rows.items():
            cells = "".join(_cell(stats[c], 10, "{:.4g}") for c in COLUMNS[:4])
            cells += _cell(stats["ess"], 10, "{:.0f}") + _cell(stats["r_hat"], 8, "{:.3f}")
            lines.append(f"{name:<{width}}" + cells)
        if self.log_evidence is not None:
            lines.append(f"log evidence: {self.log_evidence:.4f}")
        if "divergences" in self.stats:
            lines.append(f"divergences: {int(self.stats['divergences'])}")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()

    # -- display -----------------------------------------------------------------------

    def warnings(self, rows: Optional[dict] = None) -> list[str]:
        """What a reader should not miss: non-finite draws, observations that are
        all empty (the posterior is the prior), divergences, saturated trees,
        chains that never moved, R̂ above :data:`R_HAT_LIMIT`, an effective
        sample size under :data:`ESS_PER_CHAIN` per chain (``rows``: a
        ``summary_dict()``)."""
        rows = self.summary_dict() if rows is None else rows
        out = []
        broken = [site for site, v in self.samples.items() if not np.all(np.isfinite(v))]
        if broken:
            out.append(f"non-finite draws (NaN or infinite) of {names(broken)}: their "
                       "summaries are undefined; check the parameters of their distributions")
        empty = self._empty_observations()
        if empty:
            out.append(f"no observations: {names(empty)} {'is' if len(empty) == 1 else 'are'}"
                       " empty (N = 0), so the posterior is the prior")
        divergent = int(self.stats.get("divergences", 0))
        if divergent:
            out.append(f"{divergent} divergent transitions after warm-up: the draws may be "
                       "biased; raise target_accept or reparametrise the model")
        saturated = int(self.stats.get("tree_depth_saturated", 0))
        if saturated:
            out.append(f"{saturated} transitions hit the maximum tree depth "
                       f"({int(self.stats['max_tree_depth'])}): the sampler is inefficient "
                       "there; raise max_tree_depth or reparametrise the model")
        stuck = self._stuck_chains()
        if stuck:
            many = len(stuck) > 1
            out.append(f"zero acceptance: chain{'s' * many} {names(map(str, stuck))} never "
                       f"moved from {'their' if many else 'its'} start; lower the step size "
                       "or scale, or reparametrise the model")
        high = [n for n, s in rows.items() if s["r_hat"] is not None and s["r_hat"] > R_HAT_LIMIT]
        if high:
            out.append(f"r_hat above {R_HAT_LIMIT} for {names(high)}: the chains disagree; "
                       "run them longer")
        least = ESS_PER_CHAIN * max(self.chains, 1) if self.log_weights is None else ESS_PER_CHAIN
        low = [n for n, s in rows.items() if s["ess"] is not None and s["ess"] < least]
        if low:
            out.append(f"effective sample size under {least} for {names(low)}: "
                       "their quantiles are unreliable")
        return out

    def _empty_observations(self) -> list[str]:
        """The observed sites, when every one of them was given no values at all."""
        data = getattr(self.target, "data", None) or {}
        observed = list(getattr(self.target, "observed", ()))
        sizes = [np.size(data[site]) for site in observed if site in data]
        return observed if sizes and not any(sizes) else []

    def _stuck_chains(self) -> list[int]:
        """MCMC chains (those with acceptance statistics) whose draws never change."""
        if "acceptance_rate" not in self.stats or self.draws < 2 or not self.samples:
            return []
        moved = np.zeros(self.chains, bool)
        for v in self.samples.values():
            v = np.asarray(v).reshape(self.chains, self.draws, -1)
            moved |= np.any(v != v[:, :1], axis=(1, 2))
        return [int(c) for c in np.flatnonzero(~moved)]

    def _header(self) -> str:
        head = f"{self.method or 'draws'}: {self.chains} chains × {self.draws} draws"
        if self.log_weights is not None:
            head += ", weighted"
        if self.log_evidence is not None:
            head += f", log evidence {self.log_evidence:.4f}"
        return head

    def __repr__(self) -> str:
        sites = [site + (f"[{', '.join(map(str, np.shape(v)[2:]))}]" if np.ndim(v) > 2 else "")
                 for site, v in self.samples.items()]
        return f"<Posterior {self._header()}; sites {names(sites)}>"

    def _repr_html_(self) -> str:
        rows = self.summary_dict()
        shown = list(rows.items())[:MAX_ROWS]
        body = [display.table(("parameter", "mean", "sd", "5%", "95%", "ess", "r_hat"), [
            [name] + [_cell(s[c], 0, "{:.4g}").strip() for c in COLUMNS[:4]]
            + [_cell(s["ess"], 0, "{:.0f}").strip(), _cell(s["r_hat"], 0, "{:.3f}").strip()]
            for name, s in shown])]
        if len(rows) > MAX_ROWS:
            body.append(display.text(f"… and {len(rows) - MAX_ROWS} more (summary_dict() has "
                                     "them all)"))
        return display.block(f"Posterior by {self._header()}", body, self.warnings(rows))

    # -- equal-weight draws, arviz, prediction ----------------------------------------

    def resampled(self, key: Optional[jax.Array] = None) -> dict[str, jax.Array]:
        """Equally weighted draws: the samples themselves, or for weighted draws a
        systematic resample of them (one chain, as many draws as particles)."""
        if self.log_weights is None:
            return dict(self.samples)
        key = jax.random.key(0) if key is None else key
        log_w = jnp.reshape(self.log_weights, -1)
        n = log_w.shape[0]
        cumulative = jnp.cumsum(jax.nn.softmax(log_w))
        points = (jax.random.uniform(key) + jnp.arange(n)) / n
        picks = jnp.minimum(jnp.searchsorted(cumulative, points), n - 1)
        return {site: jnp.reshape(v, (n,) + v.shape[2:])[picks][None]
                for site, v in self.samples.items()}

    def to_arviz(self, prior: int = 0, posterior_predictive: bool = False,
                 key: Optional[jax.Array] = None):
        """An ``arviz.InferenceData``: posterior, sample stats, pointwise log
        likelihood, observed and constant data and, on request, ``prior`` draws
        and the posterior predictive (see :mod:`catlearn.inference.arviz_export`)."""
        from catlearn.inference.arviz_export import inference_data
        return inference_data(self, prior, posterior_predictive, key)

    def predictive(self, args: Optional[Mapping[str, Any]] = None,
                   key: Optional[jax.Array] = None) -> dict[str, jax.Array]:
        """Posterior predictive draws of every site and returned value, one per
        (equal-weight) posterior draw, with ``(chain, draw)`` axes; ``args``
        rebinds the model's arguments (new inputs), else those of the query."""
        from catlearn.errors import InferenceError
        from catlearn.inference.target import Target
        if self.target is None:
            raise InferenceError("this posterior does not know its model, so it cannot predict")
        key = jax.random.key(0) if key is None else key
        target = self.target if args is None else Target(self.target.model, args)
        k1, k2 = jax.random.split(key)
        draws = self.resampled(k1)
        chains, n = next(iter(draws.values())).shape[:2]
        flat = {site: jnp.reshape(v, (chains * n,) + v.shape[2:]) for site, v in draws.items()
                if site in target.latent_names}
        keys = jax.random.split(k2, chains * n)
        out = _predictive(target, keys, flat)
        return {name: jnp.reshape(v, (chains, n) + v.shape[1:]) for name, v in out.items()}


# The target an argument: predictions for a later posterior of the same structure
# run the program already compiled.
_predictive = jax.jit(jax.vmap(lambda target, key, latents: target.predict(key, latents),
                               in_axes=(None, 0, 0)))


@jax.jit
def _mixing(samples: Mapping[str, jax.Array]) -> dict[str, tuple[jax.Array, jax.Array]]:
    """Bulk ESS and R̂ of every site, in one compiled program."""
    return {site: (ess_bulk(v.astype(float)), rhat(v.astype(float)))
            for site, v in samples.items()}


def _finite_or_none(value) -> Optional[float]:
    value = float(value)
    return value if math.isfinite(value) else None


def _cell(value: Optional[float], width: int, fmt: str) -> str:
    return f"{'—' if value is None else fmt.format(value):>{width}}"
