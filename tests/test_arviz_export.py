"""The ArviZ export fills every group ArviZ reads: posterior, sample stats,
pointwise log likelihood, observed and constant data, prior and posterior
predictive, with dimensions named by the model's plates; ``az.loo``,
``az.waic``, ``az.plot_ppc`` and ``az.plot_trace`` run on it.

The fast tests export posteriors made of prior draws (the export does not
care how draws were made) and check the pointwise log likelihood against
SciPy; the slow one runs NUTS on the linreg and eight-schools examples."""
import json

import arviz as az
import jax
import matplotlib
import numpy as np
import pytest
from scipy import stats
from scipy.special import logsumexp

import catlearn as cl
from catlearn.inference.posterior import Posterior
from catlearn.inference.target import Target

matplotlib.use("Agg")   # arviz plots with pyplot; no window in tests

CHAINS, DRAWS = 2, 60


def as_posterior(target: Target, key=jax.random.key(0), **extra) -> Posterior:
    """Prior draws of the latent sites shaped ``(chain, draw, …)``, as if sampled."""
    drawn = jax.vmap(target.sample_prior)(jax.random.split(key, CHAINS * DRAWS))
    samples = {s: np.reshape(drawn[s], (CHAINS, DRAWS) + np.shape(drawn[s])[1:])
               for s in target.latent_names}
    return Posterior(samples, target=target, **extra)


@pytest.fixture(scope="module")
def schools():
    program = cl.load("examples/eight_schools.cat")
    e = json.load(open("examples/eight_schools.json"))
    target = Target(program["eight_schools"], {"J": e["J"], "sigma": np.array(e["sigma"])},
                    {"y": np.array(e["y"], dtype=np.float32)})
    rng = np.random.default_rng(0)
    nuts_stats = {"diverging": rng.random((CHAINS, DRAWS)) < 0.1,
                  "tree_depth": rng.integers(1, 5, (CHAINS, DRAWS)),
                  "energy": rng.normal(size=(CHAINS, DRAWS)),
                  "acceptance_rate": rng.random((CHAINS, DRAWS)),
                  "step_size": np.array([0.3, 0.5]), "divergences": 3}
    # draws near the posterior (mu about 4, tau about 3), as a sampler would give
    samples = {"mu": rng.normal(4.4, 3.3, (CHAINS, DRAWS)).astype(np.float32),
               "tau": np.abs(rng.normal(0, 3.6, (CHAINS, DRAWS))).astype(np.float32) + 0.1,
               "theta_raw": rng.normal(size=(CHAINS, DRAWS, 8)).astype(np.float32)}
    post = Posterior(samples, stats=nuts_stats, target=target)
    return post, post.to_arviz(prior=40, posterior_predictive=True), e


def test_every_group_is_filled(schools):
    _, idata, _ = schools
    assert set(idata.groups()) == {"posterior", "sample_stats", "log_likelihood",
                                   "observed_data", "constant_data", "prior",
                                   "prior_predictive", "posterior_predictive"}
    assert set(idata.posterior.data_vars) == {"mu", "tau", "theta_raw"}
    assert set(idata.log_likelihood.data_vars) == set(idata.observed_data.data_vars) == {"y"}
    assert set(idata.constant_data.data_vars) == {"J", "sigma"}
    assert idata.prior["theta_raw"].shape == (1, 40, 8)
    assert idata.prior_predictive["y"].shape == (1, 40, 8)
    assert idata.posterior_predictive["y"].shape == (CHAINS, DRAWS, 8)


def test_sample_stats_carry_arviz_names_and_the_step_size_per_draw(schools):
    post, idata, _ = schools
    ss = idata.sample_stats
    assert {"diverging", "tree_depth", "energy", "acceptance_rate", "step_size"} <= set(
        ss.data_vars)
    assert "divergences" not in ss   # a count, not a per-draw statistic
    assert ss["diverging"].dtype == bool
    np.testing.assert_array_equal(ss["step_size"].values[:, 0], [0.3, 0.5])
    np.testing.assert_array_equal(ss["step_size"].values[1], np.full(DRAWS, 0.5))
    assert int(ss["diverging"].sum()) == int(post.stats["diverging"].sum())


def test_plates_name_their_dimension_across_groups(schools):
    _, idata, _ = schools
    for group, var in (("posterior", "theta_raw"), ("log_likelihood", "y"),
                       ("observed_data", "y"), ("posterior_predictive", "y")):
        assert "j" in idata[group][var].dims, (group, var)
    assert idata.posterior["mu"].dims == ("chain", "draw")
    assert idata.posterior.sizes["j"] == 8


def test_the_pointwise_log_likelihood_is_each_schools_normal_density(schools):
    post, idata, e = schools
    mu = np.asarray(post.samples["mu"])[..., None]
    tau = np.asarray(post.samples["tau"])[..., None]
    theta = mu + tau * np.asarray(post.samples["theta_raw"])
    expected = stats.norm.logpdf(np.array(e["y"]), theta, np.array(e["sigma"]))
    np.testing.assert_allclose(idata.log_likelihood["y"].values, expected, rtol=1e-4,
                               atol=1e-4)
    # the pointwise values sum to the log likelihood inference uses
    flat = post.target.flatten({"mu": mu[0, 0, 0], "tau": np.log(tau[0, 0, 0]),
                                "theta_raw": post.samples["theta_raw"][0, 0]})
    assert float(post.target.log_likelihood(flat)) == pytest.approx(expected[0, 0].sum(),
                                                                    rel=1e-4)


def test_waic_and_loo_read_the_pointwise_log_likelihood(schools):
    _, idata, _ = schools
    ll = idata.log_likelihood["y"].values.reshape(-1, 8).astype(float)
    lppd = logsumexp(ll, axis=0) - np.log(len(ll))
    expected = float(np.sum(lppd - ll.var(axis=0)))   # as arviz: no ddof
    waic = az.waic(idata)
    assert waic.elpd_waic == pytest.approx(expected, rel=1e-4)
    loo = az.loo(idata)
    assert np.isfinite(loo.elpd_loo) and loo.n_data_points == 8
    assert abs(loo.elpd_loo - waic.elpd_waic) < 1.0


def test_plot_ppc_and_plot_trace_draw(schools):
    import matplotlib.pyplot as plt
    _, idata, _ = schools
    assert az.plot_ppc(idata, num_pp_samples=20) is not None
    assert az.plot_trace(idata, var_names=["mu", "tau"]).shape == (2, 2)
    plt.close("all")


@pytest.mark.slow
def test_a_scan_names_its_time_dimension():
    lgss = cl.load("examples/lgss.cat")["lgss"]
    y = np.zeros(10, dtype=np.float32)
    idata = as_posterior(Target(lgss, {"T": 10, "rho": 0.9}, {"y": y})).to_arviz()
    assert idata.posterior["x"].dims == ("chain", "draw", "t")
    assert idata.log_likelihood["y"].dims == ("chain", "draw", "t")
    np.testing.assert_allclose(
        idata.log_likelihood["y"].values,
        stats.norm.logpdf(0.0, idata.posterior["x"].values, 0.5), rtol=1e-4, atol=1e-4)


def test_a_site_outside_plates_keeps_arviz_names_and_arguments_are_constant_data():
    linreg = cl.load("examples/linreg.cat")["linreg"]
    x = np.linspace(-1, 1, 5, dtype=np.float32)
    idata = as_posterior(Target(linreg, {"x": x}, {"y": x})).to_arviz()
    assert idata.log_likelihood["y"].dims == ("chain", "draw", "y_dim_0")
    assert set(idata.constant_data.data_vars) == {"x"}


def test_weighted_draws_have_no_sample_stats_and_a_posterior_without_a_model_only_draws():
    post = Posterior({"p": np.ones((1, 4))}, log_weights=np.log(np.full((1, 4), 0.25)),
                     stats={"ess": 4.0})
    idata = post.to_arviz()
    assert set(idata.groups()) == {"posterior"}
    with pytest.raises(cl.InferenceError, match="does not know its model"):
        post.to_arviz(prior=10)


@pytest.mark.slow
@pytest.mark.parametrize("example, model, sites", [
    ("linreg", "linreg", ("w", "b", "sigma")), ("eight_schools", "eight_schools", ("mu", "tau"))])
def test_loo_waic_ppc_and_trace_on_the_examples_after_nuts(example, model, sites):
    import matplotlib.pyplot as plt
    program = cl.load(f"examples/{example}.cat")
    query = next(q for q in program.queries() if getattr(q, "method", "") == "nuts")
    post = cl.infer(query.model, query.args, query.data,
                    cl.nuts(chains=2, warmup=300, samples=300, seed=0, progress=False))
    idata = post.to_arviz(posterior_predictive=True)
    loo, waic = az.loo(idata), az.waic(idata)
    assert np.isfinite(loo.elpd_loo) and np.isfinite(waic.elpd_waic)
    assert abs(loo.elpd_loo - waic.elpd_waic) < 1.0
    assert az.plot_ppc(idata, num_pp_samples=20) is not None
    assert az.plot_trace(idata, var_names=list(sites)).shape == (len(sites), 2)
    plt.close("all")
