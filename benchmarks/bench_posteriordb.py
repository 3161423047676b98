"""posteriordb posteriors: catlearn NUTS against Stan (pystan) and NumPyro, in one run.

Each posterior of ``benchmarks/posteriordb/`` (vendored from stan-dev/posteriordb,
see the README there) is run three ways, with the same chains, warm-up and draws:

- **catlearn**: the program ``NAME.cat`` as ``catlearn run`` would run it (its
  query's model, arguments, data and precision), NUTS with Stan's window
  adaptation; a first run from the model (tracing and compilation included),
  then a second with another key on the compiled program, which is timed;
- **Stan**: ``NAME.stan``, posteriordb's own source, through pystan (CmdStan's
  NUTS, diagonal metric, its defaults); the C++ build is timed apart (httpstan
  keeps built models in its cache, so a second run of the benchmark builds
  nothing) and the sampling time is pystan's ``sample`` call;
- **NumPyro**: the model written below in NumPyro, the same density (flat priors
  as ``ImproperUniform``), chains vectorised; one run, whose time less the
  seconds JAX reports tracing and compiling (its monitoring events) is its run
  time (a second ``MCMC.run`` compiles again).

Reported per posterior and method: the smallest bulk ESS (arviz) over the
reference's parameters that every method reports, per draw and per second of
the timed run (compilation excluded), leapfrog steps per draw (sampling phase,
the mean over chains), ESS per 1000 gradient evaluations, divergences, and
each mean against posteriordb's reference (a miss: off by more than 0.2
reference sds). The last column is catlearn's ESS/s over the best peer's.

    .venv/bin/pip install pystan numpyro arviz          # benchmark-only peers
    .venv/bin/python benchmarks/bench_posteriordb.py              # quick: 2 posteriors, short chains
    .venv/bin/python benchmarks/bench_posteriordb.py --full --json results.json
    .venv/bin/python benchmarks/bench_posteriordb.py --posteriors arK-arK --methods catlearn numpyro
    .venv/bin/python benchmarks/bench_posteriordb.py --table jax.json stan.json   # README's table
    .venv/bin/python benchmarks/bench_posteriordb.py --full --methods catlearn stan --seeds 0 1 2 3 \
        --posteriors sblri-blr arK-arK        # min ESS per draw over seeds, mean ± se

One seed's min ESS varies by ±20% or more between seeds for either sampler, so
``--seeds`` runs each method at each seed and reports, per posterior, the mean
and standard error of the min bulk ESS per draw and catlearn's ratio to each
peer (its standard error by the delta method).
"""
from __future__ import annotations

import argparse
import contextlib
import json
import os
import time
from dataclasses import dataclass, field
from functools import partial
from typing import Callable, Optional

import jax
import jax.numpy as jnp
import numpy as np

from catlearn.inference.api import infer, nuts
from catlearn.lang import load

HERE = os.path.dirname(os.path.abspath(__file__))
DB = os.path.join(HERE, "posteriordb")
TOLERANCE = 0.2   # a mean within 0.2 reference sds of the reference mean


# --- the posteriors, and each one's NumPyro model -------------------------------------

def _np():
    import numpyro
    import numpyro.distributions as dist
    from numpyro.distributions import constraints
    return numpyro, dist, constraints


def flat(name: str, constraint=None, shape=()):
    """A parameter declared with no prior (Stan's flat prior on its support)."""
    numpyro, dist, constraints = _np()
    return numpyro.sample(name, dist.ImproperUniform(constraint or constraints.real, (), shape))


def normal_regression(response: Callable[[dict], np.ndarray], design: Callable[[dict], list],
                      prior: Optional[Callable] = None) -> Callable[[dict], None]:
    """``y ~ Normal(beta . [1, x1, …], sigma)``, beta flat, sigma flat or ``prior(dist)``."""
    def model(d):
        numpyro, dist, constraints = _np()
        columns = design(d)
        beta = flat("beta", shape=(len(columns) + 1,))
        sigma = (numpyro.sample("sigma", prior(dist)) if prior is not None
                 else flat("sigma", constraints.positive))
        mu = beta[0] + sum(b * x for b, x in zip(beta[1:], columns))
        numpyro.sample("y", dist.Normal(mu, sigma), obs=response(d))
    return model


def kidiq_interaction(d):
    return [d["mom_hs"], d["mom_iq"], d["mom_hs"] * d["mom_iq"]]


def centred_interaction(d):
    hs, iq = d["mom_hs"] - d["mom_hs"].mean(), d["mom_iq"] - d["mom_iq"].mean()
    return [hs, iq, hs * iq]


def mesquite(d):
    area = d["diam1"] * d["diam2"]
    return [np.log(area * d["canopy_height"]), np.log(area), np.log(d["diam1"] / d["diam2"]),
            np.log(d["total_height"]), np.log(d["density"]), d["group"]]


def nes(d):
    age = d["age_discrete"]
    return [d["real_ideo"], d["race_adj"], 1.0 * (age == 2), 1.0 * (age == 3), 1.0 * (age == 4),
            d["educ1"], d["gender"], d["income"]]


def blr(d):
    numpyro, dist, _ = _np()
    beta = numpyro.sample("beta", dist.Normal(0, 10).expand([int(d["D"])]).to_event(1))
    sigma = numpyro.sample("sigma", dist.HalfNormal(10))
    numpyro.sample("y", dist.Normal(d["X"] @ beta, sigma), obs=d["y"])


def kilpisjarvi(d):
    numpyro, dist, constraints = _np()
    alpha = numpyro.sample("alpha", dist.Normal(d["pmualpha"], d["psalpha"]))
    beta = numpyro.sample("beta", dist.Normal(d["pmubeta"], d["psbeta"]))
    sigma = flat("sigma", constraints.positive)
    numpyro.sample("y", dist.Normal(alpha + beta * d["x"], sigma), obs=d["y"])


def eight_schools(d):
    numpyro, dist, _ = _np()
    theta_trans = numpyro.sample("theta_trans", dist.Normal(0, 1).expand([int(d["J"])]).to_event(1))
    mu = numpyro.sample("mu", dist.Normal(0, 5))
    tau = numpyro.sample("tau", dist.HalfCauchy(5))
    theta = numpyro.deterministic("theta", theta_trans * tau + mu)
    numpyro.sample("y", dist.Normal(theta, d["sigma"]), obs=d["y"])


def garch11(d):
    numpyro, dist, constraints = _np()
    mu = flat("mu")
    alpha0 = flat("alpha0", constraints.positive)
    alpha1 = flat("alpha1", constraints.unit_interval)
    beta1 = flat("beta1", constraints.interval(0.0, 1.0 - alpha1))
    y = jnp.asarray(d["y"])

    def step(sigma, y_before):
        sigma = jnp.sqrt(alpha0 + alpha1 * (y_before - mu) ** 2 + beta1 * sigma ** 2)
        return sigma, sigma
    _, sigmas = jax.lax.scan(step, jnp.asarray(d["sigma1"], y.dtype), y[:-1])
    sigma = jnp.concatenate([jnp.asarray(d["sigma1"], y.dtype)[None], sigmas])
    numpyro.sample("y", dist.Normal(mu, sigma), obs=y)


def ar_k(d):
    numpyro, dist, _ = _np()
    K, y = int(d["K"]), np.asarray(d["y"])
    alpha = numpyro.sample("alpha", dist.Normal(0, 10))
    beta = numpyro.sample("beta", dist.Normal(0, 10).expand([K]).to_event(1))
    sigma = numpyro.sample("sigma", dist.HalfCauchy(2.5))
    lags = np.stack([y[K - k:len(y) - k] for k in range(1, K + 1)], axis=1)   # y[t-k]
    numpyro.sample("y", dist.Normal(alpha + lags @ beta, sigma), obs=y[K:])


def arma11(d):
    numpyro, dist, _ = _np()
    y = jnp.asarray(d["y"])
    mu = numpyro.sample("mu", dist.Normal(0, 10))
    phi = numpyro.sample("phi", dist.Normal(0, 2))
    theta = numpyro.sample("theta", dist.Normal(0, 2))
    sigma = numpyro.sample("sigma", dist.HalfCauchy(2.5))

    def step(err, ys):
        y_before, y_now = ys
        err = y_now - (mu + phi * y_before + theta * err)
        return err, err
    err0 = y[0] - (mu + phi * mu)
    _, errs = jax.lax.scan(step, err0, (y[:-1], y[1:]))
    numpyro.factor("err", dist.Normal(0, sigma).log_prob(
        jnp.concatenate([err0[None], errs])).sum())


def exp_quad(x, alpha, rho):
    return alpha ** 2 * jnp.exp(-0.5 * (x[:, None] - x[None, :]) ** 2 / rho ** 2)


def gp_regr(d):
    numpyro, dist, _ = _np()
    x = jnp.asarray(d["x"])
    rho = numpyro.sample("rho", dist.Gamma(25, 4))
    alpha = numpyro.sample("alpha", dist.HalfNormal(2))
    sigma = numpyro.sample("sigma", dist.HalfNormal(1))
    cov = exp_quad(x, alpha, rho) + sigma * jnp.eye(len(x))
    numpyro.sample("y", dist.MultivariateNormal(jnp.zeros(len(x)), cov), obs=d["y"])


def gp_pois_regr(d):
    numpyro, dist, _ = _np()
    x = jnp.asarray(d["x"])
    rho = numpyro.sample("rho", dist.Gamma(25, 4))
    alpha = numpyro.sample("alpha", dist.HalfNormal(2))
    f_tilde = numpyro.sample("f_tilde", dist.Normal(0, 1).expand([len(x)]).to_event(1))
    L = jnp.linalg.cholesky(exp_quad(x, alpha, rho) + 1e-10 * jnp.eye(len(x)))
    f = numpyro.deterministic("f", L @ f_tilde)
    numpyro.sample("k", dist.Poisson(jnp.exp(f)), obs=d["k"])


def accel_gp(d):
    numpyro, dist, _ = _np()

    def gp(suffix: str, X, slambda, intercept):
        """brms's intercept plus an approximate GP in one dimension (basis functions X)."""
        base = numpyro.sample(f"Intercept{suffix}", intercept)
        sdgp = numpyro.sample(f"sdgp{suffix}_1",
                              dist.FoldedDistribution(dist.StudentT(3, 0, 36)))
        lscale = numpyro.sample(f"lscale{suffix}_1", dist.InverseGamma(1.124909, 0.0177))
        zgp = numpyro.sample(f"zgp{suffix}_1", dist.Normal(0, 1).expand([X.shape[1]]).to_event(1))
        spd = sdgp ** 2 * jnp.sqrt(2 * jnp.pi) * lscale * jnp.exp(-0.5 * (lscale * slambda) ** 2)
        return base + X @ (jnp.sqrt(spd) * zgp)
    mu = gp("", jnp.asarray(d["Xgp_1"]), jnp.asarray(d["slambda_1"])[:, 0],
            dist.StudentT(3, -13, 36))
    log_sigma = gp("_sigma", jnp.asarray(d["Xgp_sigma_1"]),
                   jnp.asarray(d["slambda_sigma_1"])[:, 0], dist.StudentT(3, 0, 10))
    numpyro.sample("Y", dist.Normal(mu, jnp.exp(log_sigma)), obs=jnp.asarray(d["Y"]))


def low_dim_gauss_mix(d):
    numpyro, dist, constraints = _np()
    mu = flat("mu", constraints.ordered_vector, (2,))
    sigma = numpyro.sample("sigma", dist.HalfNormal(2).expand([2]).to_event(1))
    theta = numpyro.sample("theta", dist.Beta(5, 5))
    numpyro.factor("mu_prior", dist.Normal(0, 2).log_prob(mu).sum())
    y = jnp.asarray(d["y"])[:, None]
    weights = jnp.log(jnp.stack([theta, 1 - theta]))
    numpyro.factor("y", jax.nn.logsumexp(weights + dist.Normal(mu, sigma).log_prob(y), -1).sum())


def hmm_example(d):
    numpyro, dist, constraints = _np()
    K, y = int(d["K"]), jnp.asarray(d["y"])
    theta = jnp.stack([numpyro.sample(f"theta{k + 1}", dist.Dirichlet(jnp.ones(K)))
                       for k in range(K)])          # theta[j, k]: from state j to k
    mu = flat("mu", constraints.positive_ordered_vector, (K,))
    numpyro.factor("mu_prior", dist.Normal(3, 1).log_prob(mu[0])
                   + dist.Normal(10, 1).log_prob(mu[1]))
    emission = dist.Normal(mu, 1).log_prob(y[:, None])          # (N, K)

    def forward(gamma, lp):
        gamma = jax.nn.logsumexp(gamma[:, None] + jnp.log(theta), axis=0) + lp
        return gamma, None
    gamma, _ = jax.lax.scan(forward, emission[0], emission[1:])
    numpyro.factor("y", jax.nn.logsumexp(gamma))


def _diffrax_solve(rhs, y0, t0, ts, args, stiff: bool, rtol: float, atol: float,
                   max_steps: int):
    """The ODE solution at ``ts`` by diffrax, as catlearn's ``ode``/``ode_stiff`` solve it
    (NaN where the solve fails, so the point is rejected)."""
    import diffrax
    steps = diffrax.PIDController(rtol=rtol, atol=atol)
    if stiff:   # catlearn's float32 chord tolerance (catlearn/primitives/ode.py)
        solver = diffrax.Kvaerno5(root_finder=diffrax.VeryChord(rtol=1e-2, atol=1e-2))
        steps = diffrax.ClipStepSizeController(steps, step_ts=ts)
    else:
        solver = diffrax.Dopri5()
    solution = diffrax.diffeqsolve(diffrax.ODETerm(rhs), solver, t0, ts[-1], None, y0,
                                   args=args, saveat=diffrax.SaveAt(ts=ts),
                                   stepsize_controller=steps, max_steps=max_steps,
                                   throw=False)
    return jnp.where(solution.result != diffrax.RESULTS.successful, jnp.nan, solution.ys)


def lotka_volterra(d):
    numpyro, dist, _ = _np()
    theta = numpyro.sample("theta", dist.TruncatedNormal(
        jnp.array([1, 0.05, 1, 0.05]), jnp.array([0.5, 0.05, 0.5, 0.05]), low=0.0))
    z_init = numpyro.sample("z_init", dist.LogNormal(jnp.log(10.0), 1).expand([2]).to_event(1))
    sigma = numpyro.sample("sigma", dist.LogNormal(-1, 1).expand([2]).to_event(1))

    def dz_dt(t, z, theta):
        u, v = z
        alpha, beta, gamma, delta = theta
        return jnp.stack([(alpha - beta * v) * u, (-gamma + delta * u) * v])
    z = _diffrax_solve(dz_dt, z_init, 0.0, jnp.asarray(d["ts"], z_init.dtype), theta,
                       stiff=False, rtol=1e-5, atol=1e-3, max_steps=500)
    numpyro.sample("y_init", dist.LogNormal(jnp.log(z_init), sigma), obs=d["y_init"])
    numpyro.sample("y", dist.LogNormal(jnp.log(z), sigma), obs=d["y"])


def one_comp_mm_elim_abs(d):
    numpyro, dist, _ = _np()
    k_a, K_m, V_m, sigma = (numpyro.sample(name, dist.HalfCauchy(1))
                            for name in ("k_a", "K_m", "V_m", "sigma"))
    D, V = float(d["D"]), float(d["V"])

    def rhs(t, y, theta):
        k_a, K_m, V_m = theta
        dose = jnp.where(t > 0, jnp.exp(-k_a * t) * D * k_a / V, 0.0)
        return dose - (V_m / V) * y / (K_m + y)
    C = _diffrax_solve(rhs, jnp.zeros(1), float(d["t0"]), jnp.asarray(d["times"], k_a.dtype),
                       (k_a, K_m, V_m), stiff=True, rtol=1e-5, atol=1e-5, max_steps=4096)
    numpyro.sample("C_hat", dist.LogNormal(jnp.log(C[:, 0]), sigma), obs=d["C_hat"])


@dataclass(frozen=True)
class Posterior:
    """A posterior of the selection: its family, its NumPyro model (of the data
    dictionary) and catlearn's site names that are not Stan's (zero-based
    ``beta[0]`` is Stan's ``beta[1]`` without saying)."""

    name: str
    family: str
    numpyro: Callable[[dict], None]
    rename: dict = field(default_factory=dict)


def _log(column: str):
    return lambda d: np.log(d[column])


SELECTION = [
    Posterior("kidiq-kidscore_interaction", "regression",
              normal_regression(lambda d: d["kid_score"], kidiq_interaction,
                                prior=lambda dist: dist.HalfCauchy(2.5))),
    Posterior("kidiq_with_mom_work-kidscore_interaction_c", "regression",
              normal_regression(lambda d: d["kid_score"], centred_interaction)),
    Posterior("earnings-log10earn_height", "regression",
              normal_regression(lambda d: np.log10(d["earn"]), lambda d: [d["height"]])),
    Posterior("mesquite-logmesquite_logvas", "regression",
              normal_regression(_log("weight"), mesquite)),
    Posterior("nes2000-nes", "regression", normal_regression(lambda d: d["partyid7"], nes)),
    Posterior("sblri-blr", "regression", blr),
    Posterior("kilpisjarvi_mod-kilpisjarvi", "regression", kilpisjarvi),
    Posterior("eight_schools-eight_schools_noncentered", "hierarchical", eight_schools),
    Posterior("garch-garch11", "time series", garch11),
    Posterior("arK-arK", "time series", ar_k),
    Posterior("arma-arma11", "time series", arma11),
    Posterior("gp_pois_regr-gp_regr", "GP", gp_regr),
    Posterior("gp_pois_regr-gp_pois_regr", "GP", gp_pois_regr),
    Posterior("mcycle_gp-accel_gp", "GP", accel_gp),
    Posterior("low_dim_gauss_mix-low_dim_gauss_mix", "mixture", low_dim_gauss_mix,
              rename={"mu1": "mu[1]", "sigma1": "sigma[1]", "sigma2": "sigma[2]"}),
    Posterior("hmm_example-hmm_example", "HMM", hmm_example, rename={"mu1": "mu[1]"}),
    Posterior("hudson_lynx_hare-lotka_volterra", "ODE", lotka_volterra),
    Posterior("one_comp_mm_elim_abs-one_comp_mm_elim_abs", "ODE (stiff solver)",
              one_comp_mm_elim_abs),
]
BY_NAME = {p.name: p for p in SELECTION}
QUICK = ["eight_schools-eight_schools_noncentered", "kidiq-kidscore_interaction"]
#: posteriordb families not in the selection yet, and what they wait for (issue 16)
TO_ADD = {
    "bball_drive_event_0/1-hmm_drive_0/1 (HMM)": "log_sum_exp, normal_lpdf, ordered (items 4-5)",
    "diamonds-diamonds (regression, 24 predictors, brms)": "student_t_lccdf (item 4)",
}


# --- running ---------------------------------------------------------------------------

@dataclass
class Run:
    """One method on one posterior: draws ``{stan name: (chain, draw)}``, seconds of
    the timed run and of compilation, leapfrog steps per draw (sampling phase)."""

    draws: dict
    seconds: float
    compile_s: float
    leapfrogs_per_draw: float
    divergences: int


def stan_names(samples: dict, rename: dict) -> dict:
    """``{site: (chain, draw, *shape)}`` as Stan names each scalar: ``beta[1]``."""
    out = {}
    for site, value in samples.items():
        value = np.asarray(value, np.float64)
        site = rename.get(site, site)
        if value.ndim == 2:
            out[site] = value
            continue
        for index in np.ndindex(*value.shape[2:]):
            out[f"{site}[{','.join(str(i + 1) for i in index)}]"] = value[(..., *index)]
    return out


def _query(name: str):
    (query,) = load(os.path.join(DB, f"{name}.cat")).queries()
    return query


def _precision(query):
    return jax.enable_x64(True) if query.precision == "float64" else contextlib.nullcontext()


def _timed(fn):
    """``fn()``'s value and the wall seconds it took, its arrays computed."""
    start = time.perf_counter()
    out = jax.block_until_ready(fn())
    return out, time.perf_counter() - start


def run_catlearn(posterior: Posterior, data: dict, chains: int, warmup: int, samples: int,
                 seed: int) -> Run:
    query = _query(posterior.name)
    method = nuts(chains=chains, warmup=warmup, samples=samples, seed=seed, progress=False)
    with _precision(query):
        first, cold = _timed(lambda: infer(query.model, query.args, query.data, method))
        post, warm = _timed(lambda: method.run(first.target, jax.random.key(seed + 1)))
    stats = post.stats
    return Run(stan_names(post.samples, posterior.rename), warm, cold - warm,
               float(np.asarray(stats["n_steps"]).sum(1).mean() / samples),
               int(stats["divergences"]))


def run_numpyro(posterior: Posterior, data: dict, chains: int, warmup: int, samples: int,
                seed: int) -> Run:
    """NumPyro's NUTS kernel (its window adaptation runs inside ``sample`` while the
    iteration is below ``warmup``), chains vectorised, every iteration in one compiled
    ``lax.scan``: compiled apart and then timed. (``MCMC.run`` traces and compiles
    afresh on every call, so its time cannot be split.)"""
    from numpyro.infer import NUTS
    query = _query(posterior.name)
    with _precision(query):
        # The data are constants of the model (as they are of catlearn's and Stan's
        # programs), so the model may take shapes and slices from them in Python.
        kernel = NUTS(partial(posterior.numpyro, data))
        start = time.perf_counter()
        state = kernel.init(jax.random.split(jax.random.key(seed), chains), warmup)

        def run(state):
            def step(state, _):
                state = kernel.sample(state, (), {})
                return state, (state.z, state.num_steps, state.diverging)
            _, trace = jax.lax.scan(step, state, None, length=warmup + samples)
            return jax.tree.map(lambda v: v[warmup:], trace)
        compiled = jax.jit(run).lower(state).compile()
        compile_s = time.perf_counter() - start
        (z, steps, diverging), seconds = _timed(lambda: compiled(state))
        constrain = jax.vmap(jax.vmap(kernel.postprocess_fn((), {})))
        draws = {k: np.swapaxes(v, 0, 1) for k, v in constrain(z).items()}  # (chain, draw)
    return Run(stan_names(draws, {}), seconds, compile_s,
               float(np.asarray(steps).sum(0).mean() / samples),
               int(np.asarray(diverging).sum()))


def pystan_chains(values, dims: list, chains: int, samples: int) -> np.ndarray:
    """``(chain, draw, *dims)`` draws of one parameter from pystan's ``fit[name]``,
    shaped ``(*dims, draws x chains)`` (``(1, draws x chains)`` for a scalar) with
    the chains interleaved: its last axis runs over the chains first (draw 1 of
    chains 1..4, then draw 2 of each, …: its ``_draws`` is ``(parameter, draw,
    chain)`` flattened in C order). Read as chains of consecutive draws, each
    "chain" would cycle through the real ones, its lag-1 autocorrelation that of
    independent chains, and its ESS near the number of draws."""
    values = np.asarray(values).reshape(*dims, samples, chains)
    return np.moveaxis(values, (-1, -2), (0, 1))


def run_stan(posterior: Posterior, data: dict, chains: int, warmup: int, samples: int,
             seed: int) -> Run:
    import aiohttp
    import stan
    # pystan's HTTP client keeps aiohttp's 5-minute limit on a request, which a
    # C++ build on the loaded shared machine outlasts: no limit.
    if not isinstance(aiohttp.ClientSession, partial):
        aiohttp.ClientSession = partial(aiohttp.ClientSession,
                                        timeout=aiohttp.ClientTimeout(total=None))
    code = open(os.path.join(DB, f"{posterior.name}.stan")).read()
    raw = json.load(open(os.path.join(DB, f"{posterior.name}.data.json")))
    model, build = _timed(lambda: stan.build(code, data=raw, random_seed=seed))
    fit, seconds = _timed(lambda: model.sample(num_chains=chains, num_warmup=warmup,
                                               num_samples=samples))
    draws = {name: pystan_chains(fit[name], dims, chains, samples)
             for name, dims in zip(fit.param_names, fit.dims)}
    leapfrogs = pystan_chains(fit["n_leapfrog__"], [], chains, samples)
    divergent = np.asarray(fit["divergent__"]).sum()
    return Run(stan_names(draws, {}), seconds, build, float(leapfrogs.sum(1).mean() / samples),
               int(divergent))


RUNNERS = {"catlearn": run_catlearn, "stan": run_stan, "numpyro": run_numpyro}


# --- scoring ---------------------------------------------------------------------------

def bulk_ess(draws: np.ndarray) -> float:
    import arviz
    return float(arviz.ess(np.asarray(draws, np.float64), method="bulk"))


def misses(run: Run, reference: dict) -> list[str]:
    """The reference parameters whose mean this run misses by over 0.2 reference sds."""
    return [name for name, ref in reference.items() if name in run.draws
            and abs(run.draws[name].mean() - ref["mean"]) > TOLERANCE * ref["sd"]]


def score(runs: dict[str, Run], reference: dict, chains: int, samples: int) -> dict:
    """Per method: min bulk ESS over the reference parameters all methods report,
    per draw, per second, per 1000 gradients, and the reference check."""
    common = [n for n in reference if all(n in run.draws for run in runs.values())]
    out = {}
    for method, run in runs.items():
        each = {n: bulk_ess(run.draws[n]) for n in reference if n in run.draws}
        ess = min(each[n] for n in common)
        gradients = run.leapfrogs_per_draw * chains * samples
        out[method] = {"min_ess": ess, "ess_per_draw": ess / (chains * samples),
                       "ess_per_s": ess / run.seconds, "seconds": run.seconds,
                       "compile_s": run.compile_s, "leapfrogs_per_draw": run.leapfrogs_per_draw,
                       "ess_per_1000_gradients": 1000 * ess / gradients,
                       "divergences": run.divergences,
                       "compared": sum(n in run.draws for n in reference),
                       "misses": misses(run, reference), "ess": each}
    out["parameters"] = len(common)
    return out


def table(paths: list[str]) -> str:
    """The markdown table of ``--json`` files of runs of the same size, merged (e.g. one
    run of catlearn and NumPyro, one of Stan): the min bulk ESS over the reference
    parameters every merged method reports, and catlearn's ratios."""
    files = [json.load(open(p)) for p in paths]
    draws = files[0]["chains"] * files[0]["samples"]
    merged: dict[str, dict] = {}
    for f in files:
        assert f["chains"] * f["samples"] == draws, "runs of different sizes"
        for name, scores in f["results"].items():
            merged.setdefault(name, {}).update(
                {m: s for m, s in scores.items() if m in RUNNERS})
    rows = ["| posterior | method | min ESS / draw | ESS / s | run s | compile s | "
            "leapfrogs / draw | ESS / 1000 gradients | divergences | means off by > 0.2 sd |",
            "|---|---|---|---|---|---|---|---|---|---|"]
    ratios = ["| posterior | ESS/draw vs Stan | ESS/s vs Stan | ESS/s vs NumPyro | "
              "ESS/s vs best peer |", "|---|---|---|---|---|"]
    for name, methods in merged.items():
        common = set.intersection(*(set(s["ess"]) for s in methods.values()))
        per_s, per_draw = {}, {}
        for method, s in methods.items():
            ess = min(s["ess"][n] for n in common)
            per_draw[method], per_s[method] = ess / draws, ess / s["seconds"]
            missed = ", ".join(s["misses"]) or "none"
            rows.append(f"| {name if method == next(iter(methods)) else ''} | {method} | "
                        f"{per_draw[method]:.3f} | {per_s[method]:.0f} | {s['seconds']:.2f} | "
                        f"{s['compile_s']:.1f} | {s['leapfrogs_per_draw']:.1f} | "
                        f"{1000 * ess / (s['leapfrogs_per_draw'] * draws):.1f} | "
                        f"{s['divergences']} | {missed} ({s['compared']} compared) |")
        if "catlearn" in methods and len(methods) > 1:
            def ratio(of, peer):
                return f"{of['catlearn'] / of[peer]:.2f}" if peer in of else "—"
            best = max(v for m, v in per_s.items() if m != "catlearn")
            ratios.append(f"| {name} | {ratio(per_draw, 'stan')} | {ratio(per_s, 'stan')} | "
                          f"{ratio(per_s, 'numpyro')} | {per_s['catlearn'] / best:.2f} |")
    return "\n".join(rows) + "\n\n" + "\n".join(ratios)


def vendored(name: str) -> tuple[Posterior, dict, dict]:
    """A posterior of the selection, its reference summary and its data."""
    reference = json.load(open(os.path.join(DB, f"{name}.ref.json")))["ref"]
    data = {k: np.asarray(v) for k, v in
            json.load(open(os.path.join(DB, f"{name}.data.json"))).items()}
    return BY_NAME[name], reference, data


def mean_se(values: list[float]) -> tuple[float, float]:
    values = np.asarray(values, np.float64)
    return float(values.mean()), float(values.std(ddof=1) / np.sqrt(len(values)))


def seed_spread(names: list[str], methods: list[str], chains: int, warmup: int,
                samples: int, seeds: list[int], path: Optional[str]) -> None:
    """Each method at each seed on each posterior: the min bulk ESS per draw, its mean
    ± se over the seeds, and catlearn's ratio of means to each peer (± se)."""
    results = {}
    for name in names:
        posterior, reference, data = vendored(name)
        per_seed = {m: [] for m in methods}
        leapfrogs = {m: [] for m in methods}
        for seed in seeds:
            runs = {m: RUNNERS[m](posterior, data, chains, warmup, samples, seed)
                    for m in methods}
            scores = score(runs, reference, chains, samples)
            for m in methods:
                per_seed[m].append(scores[m]["ess_per_draw"])
                leapfrogs[m].append(scores[m]["leapfrogs_per_draw"])
        row = results[name] = {m: {"ess_per_draw": per_seed[m],
                                   "leapfrogs_per_draw": leapfrogs[m]} for m in methods}
        line = f"{name:44}"
        for m in methods:
            mean, se = mean_se(per_seed[m])
            line += f"  {m} {mean:.3f} ± {se:.3f} ({np.mean(leapfrogs[m]):.1f} leapfrogs)"
        if "catlearn" in methods:
            ours, ours_se = mean_se(per_seed["catlearn"])
            for peer in (m for m in methods if m != "catlearn"):
                theirs, theirs_se = mean_se(per_seed[peer])
                ratio = ours / theirs
                ratio_se = ratio * np.hypot(ours_se / ours, theirs_se / theirs)
                row[f"over_{peer}"] = [ratio, ratio_se]
                line += f"  / {peer}: {ratio:.2f} ± {ratio_se:.2f}"
        print(line, flush=True)
        if path:
            json.dump({"chains": chains, "warmup": warmup, "samples": samples,
                       "seeds": seeds, "results": results}, open(path, "w"), indent=1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--full", action="store_true",
                        help="every posterior, 4 chains x 1000 warm-up + 1000 draws")
    parser.add_argument("--posteriors", nargs="+", choices=list(BY_NAME))
    parser.add_argument("--methods", nargs="+", default=list(RUNNERS), choices=list(RUNNERS))
    parser.add_argument("--chains", type=int)
    parser.add_argument("--warmup", type=int)
    parser.add_argument("--samples", type=int)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--seeds", type=int, nargs="+",
                        help="run every method at each of these seeds: min ESS per draw, "
                             "mean ± se over them")
    parser.add_argument("--json", help="write the scores to this file")
    parser.add_argument("--table", nargs="+", metavar="JSON",
                        help="print the markdown table of these --json files, merged")
    options = parser.parse_args()
    if options.table:
        print(table(options.table))
        return
    names = options.posteriors or (list(BY_NAME) if options.full else QUICK)
    chains = options.chains or (4 if options.full else 2)
    warmup = options.warmup or (1000 if options.full else 300)
    samples = options.samples or (1000 if options.full else 300)
    jax.block_until_ready(jax.jit(jax.grad(lambda x: jnp.sum(jnp.sin(x))))(jnp.ones(3)))
    print(f"{chains} chains x {warmup} warm-up + {samples} draws; load average "
          f"{os.getloadavg()[0]:.1f} ({os.cpu_count()} cores); jax {jax.__version__}")
    if options.seeds:
        seed_spread(names, options.methods, chains, warmup, samples, options.seeds,
                    options.json)
        return
    header = (f"{'posterior':44}{'method':10}{'ESS/draw':>9}{'ESS/s':>9}{'run s':>8}"
              f"{'compile':>8}{'leap/dr':>8}{'ESS/kgr':>8}{'div':>5}  reference")
    print(header)
    results = {}
    for name in names:
        posterior, reference, data = vendored(name)
        runs = {method: RUNNERS[method](posterior, data, chains, warmup, samples, options.seed)
                for method in options.methods}
        scores = results[name] = score(runs, reference, chains, samples)
        for method in runs:
            s = scores[method]
            check = (f"{s['compared'] - len(s['misses'])}/{s['compared']} means ok"
                     + (f", MISS {', '.join(s['misses'])}" if s["misses"] else ""))
            print(f"{name if method == 'catlearn' else '':44}{method:10}{s['ess_per_draw']:9.3f}"
                  f"{s['ess_per_s']:9.0f}{s['seconds']:8.2f}{s['compile_s']:8.1f}"
                  f"{s['leapfrogs_per_draw']:8.1f}{s['ess_per_1000_gradients']:8.1f}"
                  f"{s['divergences']:5d}  {check}")
        peers = [m for m in runs if m != "catlearn"]
        if "catlearn" in runs and peers:
            ours = scores["catlearn"]
            scores["catlearn_over_best_peer"] = ours["ess_per_s"] / max(
                scores[p]["ess_per_s"] for p in peers)
            line = f"catlearn / best peer, ESS/s: {scores['catlearn_over_best_peer']:.2f}"
            if "stan" in runs:
                scores["ess_per_draw_over_stan"] = (ours["ess_per_draw"]
                                                    / scores["stan"]["ess_per_draw"])
                line += f"; ESS per draw / Stan's: {scores['ess_per_draw_over_stan']:.2f}"
            print(f"{'':44}{line} (min over {scores['parameters']} parameters)")
        if options.json:   # after each posterior, so that a long run keeps what it did
            json.dump({"chains": chains, "warmup": warmup, "samples": samples,
                       "seed": options.seed, "results": results},
                      open(options.json, "w"), indent=1)


if __name__ == "__main__":
    main()
