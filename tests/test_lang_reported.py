"""Values a model computes, reported as Stan reports its transformed parameters:
``theta = mu + tau * theta_raw`` appears in the posterior by name, in the
summary and in ``--json``, for every inference method, recorded in the trace
where the model computes it (not recomputed afterwards); ``sd()`` and ``var()``."""
import json

import numpy as np
import pytest

import catlearn as cl
from catlearn.errors import CatlearnTypeError, DataError
from catlearn.lang import parse
from refusals import refusal_test

SCHOOLS = """
model schools(J: Nat, sigma: Pos[J], x: Real[J]) {
    mu ~ Normal(0, 5)
    tau ~ HalfNormal(5)
    theta_raw ~ Normal(0 * sigma, 1)
    theta = mu + tau * theta_raw
    spread = sd(theta)
    scaled = 2 * x
    for j in range(J) {
        shift[j] = theta[j] - mu
        local = shift[j] * 1
        y[j] ~ Normal(theta[j], sigma[j])
    }
}
"""
ARGS = {"J": 4, "sigma": np.array([15.0, 10.0, 16.0, 11.0]), "x": np.arange(4.0)}
DATA = {"y": np.array([28.0, 8.0, -3.0, 7.0])}


def schools():
    return parse(SCHOOLS)["schools"]


def test_assignments_of_random_values_are_reported_and_data_and_locals_are_not():
    model = schools()
    assert [(b.site, str(b.dom)) for b in model.deterministic()] == [
        ("theta", "Real[J]"), ("spread", "Real"), ("shift", "Real")]  # one per iteration
    # negative control: without a latent site in it, nothing is reported
    plain = parse("model m(x: Real[3]) {\n a = 2 * x\n y ~ Normal(a, 1)\n}")["m"]
    assert plain.deterministic() == []
    # a name starting with _ is kept to the model
    kept = parse("model m() {\n w ~ Normal(0, 1)\n _a = 2 * w\n b = _a + 1\n}")["m"]
    assert [box.site for box in kept.deterministic()] == ["b"]


def test_a_python_model_reports_what_it_names_deterministic():
    from catlearn.lang.python import Normal, deterministic, model, sample

    @model
    def python(x: cl.Real["N"]):
        w = sample("w", Normal(0, 1))
        mu = deterministic("mu", w * x)
        sample("y", Normal(mu + w * x, 1))  # w * x used twice: an unreported _k
    assert [box.site for box in python.deterministic()] == ["mu"]
    language = parse("model python(x: Real[N]) {\n w ~ Normal(0, 1)\n mu = w * x\n"
                     " y ~ Normal(mu + w * x, 1)\n}")["python"]
    assert [box.site for box in language.deterministic()] == ["mu"]


METHODS = [cl.nuts(chains=2, warmup=100, samples=100, progress=False),
           cl.hmc(chains=1, warmup=50, samples=50, progress=False),
           cl.importance(particles=300, progress=False),
           cl.smc(particles=200, progress=False)]


@pytest.mark.slow
@pytest.mark.parametrize("method", METHODS, ids=lambda m: m.name)
def test_every_method_reports_the_computed_values_of_its_draws(method):
    post = cl.infer(schools(), args=ARGS, data=DATA, method=method)
    s = {k: np.asarray(v, dtype=float) for k, v in post.samples.items()}
    assert list(s) == ["mu", "tau", "theta_raw", "theta", "spread", "shift"]
    theta = s["mu"][..., None] + s["tau"][..., None] * s["theta_raw"]
    np.testing.assert_allclose(s["theta"], theta, rtol=1e-5, atol=1e-4)
    np.testing.assert_allclose(s["shift"], theta - s["mu"][..., None], rtol=1e-5, atol=1e-4)
    np.testing.assert_allclose(s["spread"], theta.std(-1, ddof=1), rtol=1e-4)
    rows = post.summary_dict()
    assert {"theta[0]", "theta[3]", "spread", "shift[2]"} <= set(rows)
    assert not {"scaled[0]", "local", "y[0]"} & set(rows)
    assert "theta[1]" in post.summary()
    flat = s["theta"][..., 1].ravel()
    if post.log_weights is None:
        assert rows["theta[1]"]["mean"] == pytest.approx(flat.mean(), rel=1e-4)


@pytest.mark.slow
def test_a_state_space_model_reports_its_computed_states_under_the_particle_filter():
    """The bootstrap filter cuts the model at its loop; ``level`` is recorded in
    every stage, along the particles' paths. ``gap`` is computed for t >= 1 only:
    its element 0 is missing (NaN), as an unassigned Stan variable."""
    model = parse("""
model ar(T: Nat) {
    rho ~ Uniform(0, 1)
    x[0] ~ Normal(0, 1)
    level[0] = 10 + x[0]
    y[0] ~ Normal(x[0], 0.5)
    for t in range(1, T) {
        x[t] ~ Normal(rho * x[t-1], 1)
        level[t] = 10 + x[t]
        gap[t] = x[t] - x[t-1]
        y[t] ~ Normal(x[t], 0.5)
    }
}""")["ar"]
    post = cl.infer(model, args={"T": 6}, data={"y": np.linspace(0, 1, 6)},
                    method=cl.smc(particles=100, progress=False))
    x = np.asarray(post.samples["x"])
    np.testing.assert_allclose(np.asarray(post.samples["level"]), 10 + x, rtol=1e-6)
    gap = np.asarray(post.samples["gap"])
    assert np.isnan(gap[..., 0]).all()
    np.testing.assert_allclose(gap[..., 1:], np.diff(x, axis=-1), rtol=1e-5, atol=1e-5)
    assert post.summary_dict()["gap[0]"]["mean"] is None


@pytest.mark.slow
def test_the_prior_and_the_predictive_carry_the_computed_values():
    model = schools()
    prior = cl.infer(model, args=ARGS, method=cl.prior(draws=20))
    s = {k: np.asarray(v) for k, v in prior.samples.items()}
    np.testing.assert_allclose(s["theta"], s["mu"][..., None]
                               + s["tau"][..., None] * s["theta_raw"], rtol=1e-5, atol=1e-4)
    post = cl.infer(model, args=ARGS, data=DATA, method=cl.importance(particles=50))
    predicted = post.predictive()
    np.testing.assert_allclose(predicted["shift"], np.asarray(predicted["theta"])
                               - np.asarray(predicted["mu"])[..., None], rtol=1e-5, atol=1e-4)


def test_the_json_of_catlearn_run_has_the_computed_values(tmp_path, capsys):
    from catlearn.cli import main
    path = tmp_path / "schools.cat"
    path.write_text(SCHOOLS + "infer schools(J = 4, sigma = [15, 10, 16, 11], x = [0, 1, 2, 3])"
                    " given (y = [28, 8, -3, 7]) with importance(particles = 200, seed = 1)\n")
    assert main(["run", str(path), "--json"]) == 0
    (result,) = json.loads(capsys.readouterr().out)
    assert {"theta[0]", "spread", "shift[3]"} <= set(result["params"])
    assert result["params"]["theta[0]"]["sd"] > 0


def test_sd_and_var_are_the_sample_statistics():
    model = parse("model m(x: Real[5], X: Real[2, 3]) {\n mu ~ Normal(0, 1)\n"
                  " return sd(x), var(x), sd(X, axis = 1), var(X, axis = 0)\n}")["m"]
    x, X = np.array([1.0, 2.0, 4.0, 8.0, 16.0]), np.arange(6.0).reshape(2, 3) ** 2
    out = cl.infer(model, args={"x": x, "X": X}, method=cl.prior(draws=1)).predictive()
    got = [np.asarray(out[f"return_{k}"])[0, 0] for k in range(4)]
    expected = [x.std(ddof=1), x.var(ddof=1), X.std(1, ddof=1), X.var(0, ddof=1)]
    for g, e in zip(got, expected):
        np.testing.assert_allclose(g, e, rtol=1e-5)
    assert not np.isclose(got[0], x.std())  # negative control: not the population sd
    program = parse('data d = csv("linreg.csv")\nmodel m(x: Real[N]) { y ~ Normal(x, 1) }\n'
                    "sample m(x = (d.x - mean(d.x)) / sd(d.x)) with prior", "examples/q.cat")
    standardised = program.queries()[0].args["x"]
    assert np.std(standardised, ddof=1) == pytest.approx(1.0, rel=1e-9)


BAD = [
    ("model m() {\n mu ~ Normal(0, 1)\n s = sd(mu)\n}", CatlearnTypeError, 3, 6,
     ["sd of a single number", "array"]),
    ("model m() {\n mu ~ Normal(0, 1)\n v = var(mu + 1)\n}", CatlearnTypeError, 3, 6,
     ["var of a single number"]),
    ("model m(J: Nat) {\n mu ~ Normal(0, 1)\n th[j] = mu\n}", CatlearnTypeError, 3, 2,
     ["outside a loop", "whole numbers"]),
]


test_misuse_is_refused_where_it_is_written = refusal_test(BAD)


def test_a_computed_value_cannot_be_observed():
    with pytest.raises(DataError, match="'theta' is computed by schools .theta = ...., not "
                                        "sampled: it cannot be given as data"):
        cl.infer(schools(), args=ARGS, data={"theta": np.zeros(4)},
                 method=cl.importance(particles=10))
