"""Conditioning as a diagram rewrite (catlearn.syntax.condition), and observing part of a site.

The model ``mu ~ Normal(0, 1); y[i] ~ Normal(mu, 1)`` has a closed-form
posterior given any subset of the ``y``: with ``n`` observed values summing
to ``s``, ``mu | y ~ Normal(s / (n + 1), 1 / (n + 1))``, a missing ``y[j]``
is ``Normal(s / (n + 1), 1 + 1 / (n + 1))``, and the evidence is the
density of the observed values under ``Normal(0, I + 11ᵀ)``.
"""
import json

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax.scipy.stats import multivariate_normal

import catlearn as cl
from catlearn.errors import DataError, InferenceError, NotSupportedError
from catlearn.inference.target import Target
from catlearn.syntax.condition import Fixed, Latent, Observe, condition
from catlearn.syntax.model import Sample

SOURCE = """
model m(N: Nat) {
    mu ~ Normal(0, 1)
    for i in range(N) {
        y[i] ~ Normal(mu, 1)
    }
}

model walk(T: Nat) {
    x[0] ~ Normal(0, 1)
    for t in range(1, T) {
        x[t] ~ Normal(x[t - 1], 1)
        z[t] ~ Normal(x[t], 1)
    }
}
"""
PROGRAM = cl.parse(SOURCE)
M = PROGRAM["m"]
Y = np.array([0.5, np.nan, 1.5, 2.0, np.nan])


def exact(y):
    seen = y[~np.isnan(y)]
    n, s = len(seen), seen.sum()
    cov = np.eye(n) + np.ones((n, n))
    evidence = float(multivariate_normal.logpdf(jnp.asarray(seen), jnp.zeros(n), cov))
    return s / (n + 1), np.sqrt(1 / (n + 1)), np.sqrt(1 + 1 / (n + 1)), evidence


def kinds(model):
    return {box.address: type(box).__name__ for box in model.sites()}


def test_conditioning_rewrites_the_named_sample_boxes_inside_loops_too():
    walk = PROGRAM["walk"]
    rewritten = condition(walk, observed=["z"], latent=["x"])
    assert kinds(walk) == {"x[0]": "Sample", "x": "Sample", "z": "Sample"}
    assert kinds(rewritten) == {"x[0]": "Latent", "x": "Latent", "z": "Observe"}
    assert kinds(condition(walk, fixed=["x"])) == {"x[0]": "Fixed", "x": "Fixed", "z": "Sample"}
    assert rewritten.diagram != walk.diagram and condition(walk).diagram is walk.diagram
    # the rewritten boxes are sample boxes still (same site, distribution, wires)
    assert all(isinstance(b, Sample) for b in rewritten.sites())


def test_an_observation_nobody_reads_is_not_discarded():
    # a discarded sample box is the discard in a Markov category; a discarded
    # observation is not: it weighs the run
    observed = condition(M, observed=["y"])
    plate = observed.diagram.boxes[-1]
    assert plate != M.diagram.boxes[-1]
    (site,) = [box for box in plate.body.boxes if isinstance(box, Sample)]
    assert isinstance(site, Observe) and not site.discardable


def test_a_site_has_one_role():
    with pytest.raises(InferenceError, match="'y' cannot be both observed and latent"):
        condition(M, observed=["y"], latent=["y"])


def test_the_log_density_is_the_one_functor_on_the_rewritten_diagram():
    y = np.array([0.5, -1.0, 1.5])
    target = Target(M, {"N": 3}, {"y": y})
    mu = 0.3
    expected = (jax.scipy.stats.norm.logpdf(mu) + jax.scipy.stats.norm.logpdf(y, mu).sum())
    assert abs(float(target.logdensity(jnp.array([mu]))) - float(expected)) < 1e-5
    assert {type(b) for b in condition(M, ["y"], ["mu"]).sites()} == {Observe, Latent}


def test_nuts_imputes_missing_values_with_the_exact_posterior():
    mean, sd, missing_sd, _ = exact(Y)
    post = cl.infer(M, args={"N": 5}, data={"y": Y},
                    method=cl.nuts(chains=2, warmup=300, samples=1000, seed=0))
    s = {k: np.asarray(v).reshape(-1, *np.shape(v)[2:]) for k, v in post.samples.items()}
    assert abs(s["mu"].mean() - mean) < 0.1 and abs(s["mu"].std() - sd) < 0.1 * sd + 0.03
    for j in (1, 4):
        assert abs(s["y"][:, j].mean() - mean) < 0.15
        assert abs(s["y"][:, j].std() - missing_sd) < 0.15 * missing_sd
    # the observed elements are the data, exactly
    assert np.all(s["y"][:, [0, 2, 3]] == Y[[0, 2, 3]])


def test_the_log_density_has_one_coordinate_per_missing_value():
    assert Target(M, {"N": 5}, {"y": Y}).dim == 1 + 2
    assert Target(M, {"N": 5}, {"y": np.nan_to_num(Y)}).dim == 1


def test_elements_named_one_by_one_observe_part_of_a_site():
    mean, sd, _, evidence = exact(Y)
    post = cl.infer(M, args={"N": 5}, data={"y[0]": 0.5, "y[2]": 1.5, "y[3]": 2.0},
                    method=cl.importance(particles=20000, seed=0))
    row = post.summary_dict()["mu"]
    assert abs(row["mean"] - mean) < 0.03 and abs(row["sd"] - sd) < 0.03
    assert abs(float(post.log_evidence) - evidence) < 0.02
    # negative control: the same values observed as a whole site of three
    whole = exact(Y[[0, 2, 3]])[3]
    assert whole == pytest.approx(evidence)


def test_a_table_marks_missing_values_with_NA(tmp_path):
    (tmp_path / "d.csv").write_text("y\n0.5\nNA\n1.5\n2.0\nNA\n")
    (tmp_path / "j.json").write_text(json.dumps({"y": [0.5, None, 1.5, 2.0, None]}))
    for reader in ('csv("d.csv")', 'json("j.json")'):
        program = tmp_path / "p.cat"
        program.write_text(SOURCE + f"data d = {reader}\n"
                           "infer m(N = 5) given (y = d.y) with importance(particles = 20000, "
                           "seed = 0)\n")
        result = cl.load(str(program)).run()[-1]
        assert abs(result["params"]["mu"]["mean"] - exact(Y)[0]) < 0.03


def test_missing_values_are_refused_where_they_cannot_mean_anything(tmp_path):
    with pytest.raises(DataError, match="every element is missing"):
        Target(M, {"N": 2}, {"y": np.array([np.nan, np.nan])})
    with pytest.raises(DataError, match=r"outside it"):
        Target(M, {"N": 2}, {"y[2]": 1.0})
    with pytest.raises(NotSupportedError, match="missing elements"):
        Target(M, {"N": 5}, {"y": Y}).sequential()
    mvn = cl.parse("model v(m: Real[2]) { y ~ MultivariateNormal(m, eye(2)) }")["v"]
    with pytest.raises(DataError, match="multivariate"):
        Target(mvn, {"m": np.zeros(2)}, {"y": np.array([1.0, np.nan])})
    (tmp_path / "d.csv").write_text("x\n1.0\nNA\n")
    program = tmp_path / "p.cat"
    program.write_text("data d = csv(\"d.csv\")\nmodel r(x: Real[2]) { w ~ Normal(0, 1)\n"
                       "for i in range(2) { y[i] ~ Normal(w * x[i], 1) } }\n"
                       "infer r(x = d.x) given (y = [1.0, 2.0]) with importance(particles = 10)\n")
    with pytest.raises(DataError, match="'x'"):
        cl.load(str(program)).run()


def test_the_rewrite_keeps_the_row_a_loop_writes():
    from catlearn.syntax.model import Plate
    from kalman_reference import MULTI
    rewritten = condition(cl.parse(MULTI)["multi"], observed=["y"])
    (plate,) = [b for b in rewritten.diagram.boxes if isinstance(b, Plate)]
    assert plate.at_of("y") == (0,) and kinds(rewritten)["y"] == "Observe"


def test_a_site_is_named_whole_or_element_by_element_not_both():
    y = np.array([0.5, 1.0, 1.5])
    with pytest.raises(DataError, match="both whole and element by element"):
        Target(M, {"N": 3}, {"y": y, "y[1]": 2.0})
    assert y[1] == 1.0   # the caller's array is left as it was
