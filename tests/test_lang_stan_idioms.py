"""Models as Stan's users write them: declared parameters with flat priors,
expressions on data in queries, matrices, comparisons, deterministic
quantities reported. Each feature is checked by what it computes, and its
misuse by the error class, line, column and words of the refusal."""
import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import catlearn as cl
from catlearn.errors import (CatlearnSyntaxError, CatlearnTypeError, DataError, InferenceError,
                             NotSupportedError, UnknownNameError)
from catlearn.inference.target import Target
from catlearn.lang import parse
from catlearn.syntax import Ty

# -- flat priors --------------------------------------------------------------------

FLAT = """
model m(K: Nat) {
    mu : Real
    sigma : Pos
    beta : Real[K]
    a : Real(lower = 0, upper = 1)
    c : Real(lower = 0, upper = 1 - a)
    p : Prob
}
"""


def test_declared_parameters_are_flat_sites_of_their_types():
    model = parse(FLAT)["m"]
    sites = {s.site: s for s in model.sites()}
    assert {s.dist for s in sites.values()} == {"Flat"}
    assert sites["mu"].cod == Ty("Real") and sites["sigma"].cod == Ty("Pos")
    assert sites["beta"].cod == Ty("Real", shape=("K",)) and sites["p"].cod == Ty("Prob")


def test_a_flat_prior_is_density_one_on_its_set_up_to_the_jacobians():
    target = Target(parse(FLAT)["m"], {"K": 2})
    assert target.dim == 7
    u = jnp.array([0.3, -0.2, 0.5, 1.5, 0.4, -0.7, 0.9])
    mu, log_sigma, b0, b1, ua, uc, up = u.tolist()
    a = 1 / (1 + math.exp(-ua))
    def interval(width, v):  # log |d/du (width * sigmoid(v))|
        return math.log(width) - math.log1p(math.exp(-v)) - math.log1p(math.exp(v))
    expected = log_sigma + interval(1, ua) + interval(1 - a, uc) + interval(1, up)
    assert float(target.logdensity(u)) == pytest.approx(expected, rel=1e-5)
    values = target.constrain(u)
    assert float(values["sigma"]) == pytest.approx(math.exp(log_sigma), rel=1e-6)
    assert float(values["c"]) == pytest.approx((1 - a) / (1 + math.exp(-uc)), rel=1e-5)
    # a Uniform(0, 1 - a) would be normalised: its density differs by 1 / (1 - a)
    uniform = parse(FLAT.replace("c : Real(lower = 0, upper = 1 - a)",
                                 "c ~ Uniform(0, 1 - a)"))["m"]
    other = float(Target(uniform, {"K": 2}).logdensity(u))
    assert other == pytest.approx(expected - math.log(1 - a), rel=1e-5)


def test_a_bound_that_depends_on_a_parameter_is_not_a_uniform_prior():
    """a and c flat on the triangle 0 < c < 1 - a: a's marginal is 2 (1 - a), mean 1/3
    (a Uniform(0, 1 - a) on c would leave a uniform, mean 1/2)."""
    model = parse("model m() {\n a : Real(lower = 0, upper = 1)\n"
                  " c : Real(lower = 0, upper = 1 - a)\n}")["m"]
    post = cl.infer(model, method=cl.nuts(chains=2, warmup=300, samples=1000, progress=False))
    a = np.asarray(post.samples["a"]).ravel()
    assert abs(a.mean() - 1 / 3) < 0.04 and abs(a.std() - math.sqrt(1 / 18)) < 0.03


def test_methods_that_draw_from_the_prior_refuse_a_flat_one():
    model = parse(FLAT)["m"]
    for method in (cl.prior(draws=5), cl.importance(particles=5)):
        with pytest.raises(InferenceError, match="mu, sigma, beta, a, c, p have flat "
                                                 r"\(improper\) priors.*use rmh, mala"):
            cl.infer(model, args={"K": 2}, method=method)


DATA = 'data d = csv("linreg.csv")\nmodel m(x: Real[N]) { y ~ Normal(x, 1) }\n'

# -- expressions on data in queries ---------------------------------------------------

QUERY = """
data d = csv("linreg.csv")
model m(x: Real[N], M: Real[2, 2]) {
    w ~ Normal(0, 1)
    y ~ Normal(w * x + M[0, 1], 1)
}
infer m(x = d.x - mean(d.x), M = [[1, 2], [3, 4]]) given (y = log(exp(d.y) + 1)) with nuts(step_size = 1 / 10)
"""


def test_query_arguments_are_expressions_on_data():
    program = parse(QUERY, "examples/query.cat")
    (query,) = program.queries()
    x, y = program["d"]["x"], program["d"]["y"]
    np.testing.assert_allclose(query.args["x"], x - x.mean(), atol=1e-12)
    np.testing.assert_allclose(query.data["y"], np.log(np.exp(y) + 1), rtol=1e-12)
    assert query.options["step_size"] == 0.1


def test_an_inline_matrix_is_read_row_by_row_and_a_list_of_columns_as_a_table():
    (query,) = parse(QUERY, "examples/query.cat").queries()
    np.testing.assert_array_equal(query.args["M"], [[1, 2], [3, 4]])  # M[0, 1] is 2
    program = parse('data d = csv("linreg.csv")\n'
                    "model m(X: Real[N, 2]) {\n y ~ Normal(X[0, 0], 1)\n}\n"
                    "sample m(X = [d.x, d.y]) with prior", "examples/table.cat")
    X = program.queries()[0].args["X"]
    assert X.shape == (50, 2)
    np.testing.assert_array_equal(X[:, 1], program["d"]["y"])


# -- slicing, comparisons, integer-array indexing ------------------------------------

INDEXING = """
model m(N: Nat, K: Nat, X: Real[N, 3], g: Nat[N], x: Real[N]) {
    alpha ~ Normal(0, 1)
    column = X[:, 1]
    row = X[0, :]
    block = X[1:K, 0:2]
    picked = X[g, 0]
    for i in range(N) {
        looked_up[i] = x[g[i]]
    }
    positive = x > 0
    folded = where(x > 1, x, 0 - x)
    count = (x <= 1) + (x == 2)
    y ~ Normal(alpha + column, 1)
    return column, row, block, picked, looked_up, positive, folded, count
}
"""
ARGS = {"N": 4, "K": 2, "X": np.arange(1.0, 13.0).reshape(4, 3), "g": np.array([3, 2, 1, 0]),
        "x": np.array([-1.0, 2.0, 3.0, 0.5])}


def test_slices_comparisons_and_integer_arrays_compute_what_numpy_does():
    model = parse(INDEXING)["m"]
    assert str(model.diagram.cod) == ("Real[N] * Real[3] * Real[K - 1, 2] * Real[N] * Real[N]"
                                      " * Bool[N] * Real[N] * Int[N]")
    out = cl.infer(model, args=ARGS, method=cl.prior(draws=1)).predictive()
    X, g, x = ARGS["X"], ARGS["g"], ARGS["x"]
    expected = {"column": X[:, 1], "row": X[0, :], "block": X[1:2, 0:2], "picked": X[g, 0],
                "looked_up": x[g], "positive": (x > 0).astype(int),
                "folded": np.where(x > 1, x, -x),
                "count": (x <= 1).astype(int) + (x == 2).astype(int)}
    for name, value in expected.items():
        np.testing.assert_array_equal(np.asarray(out[name])[0, 0], value, err_msg=name)


def test_comparisons_work_on_data_in_queries():
    program = parse(DATA + "sample m(x = (d.x > 0.5) * d.x) with prior", "examples/q.cat")
    x = program["d"]["x"]
    np.testing.assert_allclose(program.queries()[0].args["x"], (x > 0.5) * x)


# -- refusals -------------------------------------------------------------------------

BAD = [
    ("model m() {\n k : Nat\n}", CatlearnTypeError, 2, 6, ["only continuous", "k ~ Poisson"]),
    ("model m() {\n x : Pos(lower = 1)\n}", CatlearnTypeError, 2, 10, ["Pos has its bounds"]),
    ("model m() {\n x : Real(low = 0)\n}", UnknownNameError, 2, 11, ["did you mean 'lower'"]),
    ("model m() {\n x : Real(0)\n}", CatlearnSyntaxError, 2, 11, ["must be named"]),
    ("model m() {\n x : Reel\n}", UnknownNameError, 2, 6, ["did you mean 'Real'"]),
    ("model m() {\n x : Real[M]\n}", UnknownNameError, 2, 6, ["dimension M"]),
    ("model m() {\n x : Simplex[3, 2]\n}", CatlearnTypeError, 2, 6, ["give one size K"]),
    # (a draw on a declared parameter adds its density: tests/test_draw_on_declared.py)
    ("model m() {\n x : Real\n x = 1.0\n}", UnknownNameError, 3, 2, ["x is defined twice"]),
    ("model m(J: Nat) {\n for j in range(J) {\n  x : Real\n }\n}", CatlearnTypeError, 3, 3,
     ["needs the loop's index"]),
    # expressions on data
    (DATA + "sample m(x = log(d.x - 100)) with prior", DataError, 3, 14,
     ["log(...) is not finite on these data", "index (0,)"]),
    (DATA + "sample m(x = lgo(d.x)) with prior", UnknownNameError, 3, 14,
     ["did you mean 'log'"]),
    (DATA + "sample m(x = d.x + [1, 2]) with prior", CatlearnTypeError, 3, 18,
     ["+ cannot take values of shape (50,) and (2,)"]),
    (DATA + 'sample m(x = "a" * 2) with prior', CatlearnTypeError, 3, 18, ["not a string"]),
    (DATA + "sample m(x = Normal(0, 1)) with prior", CatlearnTypeError, 3, 14,
     ["Normal is a distribution"]),
    (DATA + "sample m(x = [[1, 2], d.x]) with prior", DataError, 3, 16, ["one length"]),
    # indexing and comparisons
    ("model m(X: Real[3, 3], s: Real) { y = X[s, :] }", CatlearnTypeError, 1, 41,
     ["an index must be an integer or an array of integers, not Real"]),
    ("model m(X: Real[3, 3], s: Real) { y = X[0:s] }", CatlearnTypeError, 1, 43,
     ["slice bounds must be whole numbers or integer arguments"]),
    ("model m(X: Real[3, 3]) { y = X[0:5, 0] }", CatlearnTypeError, 1, 30,
     ["0:5 is not inside an axis of length 3"]),
    ("model m(X: Real[3]) { y = X[:, 0] }", CatlearnTypeError, 1, 27, ["2 indices"]),
    ("model m(x: Real[3]) { y = where(x > 0, x) }", CatlearnTypeError, 1, 27,
     ["where takes 3 arguments"]),
    ("model m(x: Real) { y = x < 1 < 2 }", CatlearnSyntaxError, 1, 30, ["'<'"]),
]


@pytest.mark.parametrize("source, cls, line, column, words", BAD)
def test_misuse_is_refused_where_it_is_written(source, cls, line, column, words):
    with pytest.raises(cls) as info:
        parse(source, "examples/bad.cat")
    err = info.value
    assert type(err) is cls and (err.line, err.column) == (line, column), str(err)
    for word in words:
        assert word in err.message, err.message


# -- a start needs a finite gradient too ------------------------------------------------

def test_a_chain_starts_only_where_the_gradient_is_finite():
    """Finite everywhere, with a NaN gradient for x > 0 (the branch jnp.where
    leaves still enters the gradient): half of the uniform starts have a finite
    density there, none of them a usable gradient."""
    from catlearn.inference.chains import finite_start

    def logdensity(x):
        return jnp.sum(jnp.where(x > 0, 0.0, jnp.sqrt(-x)))
    assert jnp.isfinite(logdensity(jnp.ones(1)))
    assert not jnp.isfinite(jax.grad(logdensity)(jnp.ones(1))).all()
    starts = [finite_start(logdensity, jax.random.key(seed), jnp.full(1, jnp.nan))
              for seed in range(20)]
    assert all(float(x[0]) < 0 and jnp.isfinite(value) for x, value in starts)


def test_eye_of_a_nat_argument_runs():
    model = parse("model m(N: Nat) {\n s ~ HalfNormal(1)\n K = s * eye(N)\n"
                  " z ~ MultivariateNormal(0 * diag(K), K)\n return K\n}")["m"]
    draws = cl.infer(model, args={"N": 3}, method=cl.prior(draws=4)).predictive()
    K, s = np.asarray(draws["K"]), np.asarray(draws["s"])
    assert np.asarray(draws["z"]).shape == (1, 4, 3)
    np.testing.assert_allclose(K, s[..., None, None] * np.eye(3))


def test_nuts_runs_in_double_precision_when_jax_does():
    """With JAX in float64 (JAX_ENABLE_X64=1, here its context manager), the
    chains start and move in float64 (a float32 start once broke the loop)."""
    model = parse("model m() {\n mu ~ Normal(0, 1)\n y ~ Normal(mu, 1)\n}")["m"]
    with jax.enable_x64(True):
        post = cl.infer(model, data={"y": 1.0},
                        method=cl.nuts(chains=1, warmup=100, samples=200, progress=False))
        draws = np.asarray(post.samples["mu"])
    assert draws.dtype == np.float64
    assert abs(draws.mean() - 0.5) < 0.25  # N(0.5, 1/2)
