"""Prior (predictive) sampling: the sampler functor, run ``draws`` times.

Every site is drawn, observed ones included, so the result is the prior
predictive distribution ``p(θ, y)``; data bound in the query are checked but
do not condition.

>>> import jax
>>> from catlearn.syntax import Ty
>>> from catlearn.syntax.model import Const, Model, Sample
>>> from catlearn.inference.target import Target
>>> R = Ty("Real")
>>> m = Model("m", [], (Const(0.0) @ Const(1.0)) >> Sample("z", "Normal", R @ R, R))
>>> PriorSampling(draws=100).run(Target(m), jax.random.key(0)).samples["z"].shape
(1, 100)
"""
from __future__ import annotations

from dataclasses import dataclass

import jax

from catlearn import program_cache
from catlearn.inference.options import positive_int, whole_seed
from catlearn.inference.posterior import Posterior
from catlearn.inference.target import Target


@dataclass(frozen=True)
class PriorSampling:
    """``draws`` independent draws of the prior predictive, in one jitted ``vmap``."""

    draws: int = 1000
    seed: int = 0
    name: str = "prior"

    def __post_init__(self):
        positive_int(self.name, "draws", self.draws)
        whole_seed(self.name, self.seed)

    def run(self, target: Target, key: jax.Array) -> Posterior:
        samples = program_cache.call("prior.draws", _draws, target,
                                     jax.random.split(key, self.draws))
        return Posterior({site: v[None] for site, v in target.in_program_order(samples).items()},
                         method=self.name, target=target)


# The target is an argument, not a constant: a later query of the same structure
# (new data or arguments of the same shapes) runs this program again uncompiled.
_draws = jax.jit(jax.vmap(Target.sample_prior, in_axes=(None, 0)))
