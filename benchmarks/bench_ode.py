"""The gradient of an ODE posterior's log density: catlearn against diffrax by hand.

What NUTS pays per leapfrog step on posteriordb's two ODE posteriors
(``hudson_lynx_hare-lotka_volterra``, ``ode``; ``one_comp_mm_elim_abs``,
``ode_stiff``): one value and gradient of the log density for 4 chains under
``jit(vmap(...))``, at the precision the ``.cat`` program asks for, at 4 points
near the reference posterior (its means scaled by ``exp(0.2 z)``, ``z`` a
standard normal draw, every parameter of both being positive). Two ways:

- **catlearn**: the program's own ``Target`` (forward sensitivities, each step
  sized by the error of the state and the sensitivities together);
- **hand-written**: the NumPyro model of ``bench_posteriordb.py`` (the same
  density, solved by the same diffrax solver and tolerances), its potential
  differentiated as a JAX user would: reverse mode through ``diffeqsolve``
  (diffrax's checkpointed adjoint, its default).

Time per call: the best of 5 rounds of 200 calls. The ratio is catlearn's over
the hand-written one's (below 1: catlearn is faster).

    PYTHONPATH=$PWD .venv/bin/python benchmarks/bench_ode.py
"""
from __future__ import annotations

import json
import os
import sys
import time
from functools import partial

import jax
import jax.numpy as jnp
import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_posteriordb import BY_NAME, DB, _precision, _query  # noqa: E402

from catlearn.inference.target import Target  # noqa: E402

CHAINS = 4
POSTERIORS = ["hudson_lynx_hare-lotka_volterra", "one_comp_mm_elim_abs-one_comp_mm_elim_abs"]


def points(name: str, sites: dict) -> dict:
    """``{site: (chain, *shape)}`` unconstrained (logs of positive values) near the
    reference means, the same for both ways."""
    ref = json.load(open(os.path.join(DB, f"{name}.ref.json")))["ref"]
    rng = np.random.default_rng(0)
    out = {}
    for site, shape in sites.items():
        names = [site] if shape == () else [f"{site}[{i + 1}]" for i in range(int(np.prod(shape)))]
        mean = np.array([ref[n]["mean"] for n in names]).reshape(shape)
        out[site] = np.log(mean) + 0.2 * rng.standard_normal((CHAINS,) + shape)
    return out


def seconds_per_call(fn, x) -> float:
    jax.block_until_ready(fn(x))
    best = np.inf
    for _ in range(5):
        start = time.perf_counter()
        for _ in range(200):
            out = fn(x)
        jax.block_until_ready(out)
        best = min(best, (time.perf_counter() - start) / 200)
    return best


def handwritten(name: str, data: dict):
    """NumPyro's potential (minus the log density) of the posterior's model, as a
    function of ``{site: unconstrained value}``."""
    from numpyro.infer.util import potential_energy
    model = partial(BY_NAME[name].numpyro, data)
    return lambda params: -potential_energy(model, (), {}, params)


def main() -> None:
    print(f"{'posterior':<45} {'precision':<9} {'catlearn ms':>11} {'by hand ms':>10} {'ratio':>6}")
    for name in POSTERIORS:
        query = _query(name)
        data = {k: np.asarray(v) for k, v in
                json.load(open(os.path.join(DB, f"{name}.data.json"))).items()}
        with _precision(query):
            target = Target(query.model, query.args, query.data)
            start = points(name, {s: target.site_shapes[s] for s in target.latent_names})
            flat = jax.vmap(target.flatten)({s: jnp.asarray(v) for s, v in start.items()})
            ours = jax.jit(jax.vmap(jax.value_and_grad(target.logdensity)))
            theirs = jax.jit(jax.vmap(jax.value_and_grad(handwritten(name, data))))
            given = {s: jnp.asarray(v, flat.dtype) for s, v in start.items()}
            a, b = ours(flat)[0], theirs(given)[0]
            if not (jnp.all(jnp.isfinite(a)) and jnp.all(jnp.isfinite(b))):
                raise SystemExit(f"{name}: a log density is not finite at the points: {a}, {b}")
            t_ours, t_theirs = seconds_per_call(ours, flat), seconds_per_call(theirs, given)
        print(f"{name:<45} {query.precision or 'float32':<9} {t_ours * 1e3:>11.3f} "
              f"{t_theirs * 1e3:>10.3f} {t_ours / t_theirs:>6.2f}")


if __name__ == "__main__":
    main()
