"""MCMC as inference methods: options, refusals, and posteriors that match references.

The fast tests run NUTS on a conjugate model through the language; the
examples (``coin``, ``linreg``, ``eight_schools``) are checked against the
references in their EXPECT lines by the slow tests (``-m slow``).
"""
import json
import math
import re

import jax
import numpy as np
import pytest

from catlearn.cli import main
from catlearn.errors import InferenceError
from catlearn.inference.api import hmc, infer, mala, nuts, rmh
from catlearn.progress import wanted as _show_progress
from catlearn.lang import load, parse

CONJUGATE = """
model m(n: Nat) {
    mu ~ Normal(0, 1)
    s ~ HalfNormal(2)
    for i in range(n) {
        x[i] ~ Normal(mu, 1)
    }
}
infer m(n = 4) given (x = [1.5, 0.5, 2.0, 1.0]) with {method}
"""
# mu | x ~ Normal(Σx / (n + 1), 1 / (n + 1)); s is untouched by the data: HalfNormal(2).
EXACT = {"mu": (5.0 / 5, math.sqrt(1 / 5)),
         "s": (2 * math.sqrt(2 / math.pi), 2 * math.sqrt(1 - 2 / math.pi))}


def assert_matches(params: dict, exact: dict, z: float = 4.5):
    """Each mean within ``z`` Monte Carlo standard errors (sd / √ESS) of the truth."""
    for name, (mean, sd) in exact.items():
        row = params[name]
        se = sd / math.sqrt(row["ess"])
        assert abs(row["mean"] - mean) < z * se, f"{name}: {row} vs mean {mean}"
        assert abs(row["sd"] - sd) < 0.1 * sd, f"{name}: {row} vs sd {sd}"
        assert row["r_hat"] < 1.01


def test_nuts_from_the_language_matches_the_conjugate_posterior():
    method = "nuts(chains = 2, warmup = 300, samples = 1000, seed = 0)"
    (result,) = parse(CONJUGATE.replace("{method}", method)).run()
    assert result["method"] == "nuts" and set(result["params"]) == {"mu", "s"}
    assert_matches(result["params"], EXACT)


def test_posterior_has_chain_and_draw_axes_and_sampler_stats():
    program = parse(CONJUGATE.replace("{method}", "nuts(seed = 0)"))
    query = program.queries()[0]
    post = infer(query.model, query.args, query.data,
                 nuts(chains=2, warmup=50, samples=30, max_tree_depth=3, progress=False))
    assert post.samples["mu"].shape == (2, 30) and post.samples["s"].min() > 0
    stats = post.stats
    assert stats["diverging"].shape == stats["acceptance_rate"].shape == (2, 30)
    assert stats["divergences"] == int(stats["diverging"].sum())
    assert stats["step_size"].shape == (2,) and np.all(stats["step_size"] > 0)
    assert np.all(stats["tree_depth"] <= 3)           # max_tree_depth reaches the kernel
    assert np.all(stats["n_steps"] <= 2 ** 3)
    assert "diverging" in post.to_arviz().sample_stats


@pytest.mark.parametrize("make, option, value", [
    (nuts, "chains", 0), (nuts, "step_size", 0.0), (nuts, "warmup", -1),
    (nuts, "samples", 2.5), (nuts, "target_accept", 1.5), (nuts, "max_tree_depth", 0),
    (hmc, "num_steps", 0), (mala, "step_size", -1.0), (rmh, "scale", 0), (nuts, "seed", "a"),
])
def test_options_are_checked_when_the_method_is_made(make, option, value):
    with pytest.raises(InferenceError, match=f"{make.__name__}: {option} must be"):
        make(**{option: value})


def test_discrete_latents_are_refused_with_a_pointer_to_smc():
    program = parse("model flip() {\n    k ~ Bernoulli(0.3)\n    y ~ Normal(k, 1)\n}\n"
                    "infer flip() given (y = 0.5) with nuts(seed = 0)\n")
    with pytest.raises(InferenceError, match=r"discrete latent variables \(k\).*smc"):
        program.run()


def test_data_impossible_at_every_start_is_an_error_not_nan_draws():
    # y = 2 is outside Uniform(0, theta) for every theta in (0, 1).
    program = parse("""
model m() {
    theta ~ Uniform(0, 1)
    y ~ Uniform(0, theta)
}
""")
    with pytest.raises(InferenceError, match=r"nuts on m: .*not finite at any of 100 "
                                             r"initial points.*impossible.*observed: y"):
        infer(program["m"], {}, {"y": 2.0}, nuts(chains=2, warmup=20, samples=10,
                                                 progress=False))


def test_a_target_used_in_other_programs_first_still_runs_twice():
    # Constant boxes once cached JAX arrays made while the first program using
    # them was traced; the leaked tracers broke every later compiled run.
    from catlearn.inference.target import Target
    model = parse(CONJUGATE.split("infer")[0])["m"]
    target = Target(model, {"n": 4}, {"x": [1.5, 0.5, 2.0, 1.0]})
    jax.jit(target.logdensity)(jax.numpy.zeros(target.dim))
    jax.jit(jax.vmap(target.init))(jax.random.split(jax.random.key(0), 2))
    method = nuts(chains=2, warmup=20, samples=10, progress=False)
    first, second = (method.run(target, jax.random.key(k)) for k in (1, 2))
    assert np.all(np.isfinite(first.samples["mu"])) and np.all(np.isfinite(second.samples["mu"]))
    assert not np.array_equal(first.samples["mu"], second.samples["mu"])


def test_progress_bar_is_off_when_standard_error_is_not_a_terminal():
    assert not _show_progress(None)          # pytest captures stderr
    assert _show_progress(True) and not _show_progress(False)


# --- the examples, against their references (slow) ---------------------------------

def expected_moments(path: str) -> dict:
    """``{name: (mean, sd)}`` from the ``# EXPECT … name: mean M sd S`` lines of an example."""
    text = "\n".join(line for line in open(path) if line.startswith("# EXPECT"))
    return {name: (float(mean), float(sd)) for name, mean, sd in
            re.findall(r"(\w+): mean (-?[\d.]+),? sd ([\d.]+)", text)}


def run_nuts_queries(path: str) -> list:
    program = load(path)
    return [program.run_statement(q) for q in program.queries()
            if getattr(q, "method", None) == "nuts"]


@pytest.mark.slow
def test_coin_nuts_matches_beta_8_4():
    (result,) = run_nuts_queries("examples/coin.cat")
    p = result["params"]["p"]
    a, b = 8, 4
    assert abs(p["mean"] - a / (a + b)) < 0.02
    assert abs(p["sd"] - math.sqrt(a * b / ((a + b) ** 2 * (a + b + 1)))) < 0.02
    assert p["r_hat"] < 1.01


@pytest.mark.slow
def test_linreg_nuts_matches_the_reference_in_its_expect_lines():
    reference = expected_moments("examples/linreg.cat")
    assert set(reference) == {"w", "b", "sigma"}
    (result,) = run_nuts_queries("examples/linreg.cat")
    for name, (mean, sd) in reference.items():
        row = result["params"][name]
        assert abs(row["mean"] - mean) < 0.1 * sd, (name, row)
        assert abs(row["sd"] - sd) < 0.1 * sd, (name, row)
        assert row["r_hat"] < 1.01, (name, row)


# Means of a long NumPyro run of the same model (numpyro 0.22, NUTS, 4 vectorised chains
# x 50,000 draws after 5,000 warm-up, key 0) with their Monte Carlo standard errors
# (sd / sqrt(ESS)); the script is in benchmarks/README.md, section MCMC.
NUMPYRO_LONG_RUN = {"mu": (4.3953, 0.0074), "tau": (3.5905, 0.0089)}


@pytest.mark.slow
def test_eight_schools_from_the_command_line_matches_posteriordb_and_numpyro(capsys):
    assert main(["run", "examples/eight_schools.cat", "--json"]) == 0
    (result,) = json.loads(capsys.readouterr().out)
    params = result["params"]
    assert all(row["r_hat"] < 1.01 for row in params.values())
    db = json.load(open("examples/data/posteriordb/"
                        "eight_schools-eight_schools_noncentered.json"))
    examples = expected_moments("examples/eight_schools.cat")
    for name in ("mu", "tau"):
        row = params[name]
        se = row["sd"] / math.sqrt(row["ess"])
        ref = db["ref"][name]
        assert abs(row["mean"] - ref["mean"]) < 4 * math.hypot(se, db["ref_mcse_mean"][name])
        assert abs(row["sd"] - ref["sd"]) < 0.1 * ref["sd"]
        assert abs(examples[name][0] - ref["mean"]) < 0.01   # the EXPECT line is posteriordb's
        mean, mcse = NUMPYRO_LONG_RUN[name]
        assert abs(row["mean"] - mean) < 4 * math.hypot(se, mcse)


def test_nuts_runs_without_warmup_at_a_given_step_size():
    import json

    import catlearn as cl
    program = cl.load("examples/coin.cat")
    flips = json.load(open("examples/coin.json"))["flips"]
    post = cl.infer(program["coin"], args={"n": 10}, data={"flips": flips},
                    method=cl.nuts(chains=2, warmup=0, samples=1000, step_size=0.5,
                                   progress=False))
    draws = post.samples["p"]
    assert draws.shape == (2, 1000)
    assert abs(float(draws.mean()) - 8 / 12) < 0.03  # Beta(8, 4)
