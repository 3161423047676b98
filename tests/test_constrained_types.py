"""Constrained vector and matrix types: ``ordered[K]``, ``positive_ordered[K]``,
``Simplex[K]``, ``cholesky_corr[K]``, ``cholesky_cov[K]``. Each bijector lands in
its set and back, its log-Jacobian is the log-determinant ``jax.jacfwd`` finds
in the free coordinates, a declared parameter's log density is that Jacobian,
and posteriors match references (a rejection sampler, a Dirichlet)."""
import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from refusals import assert_refused

import catlearn as cl
from catlearn.distributions import bijectors as B
from catlearn.distributions import constraints as C
from catlearn.errors import CatlearnTypeError, UnknownNameError
from catlearn.inference.target import Target
from catlearn.lang import parse


def _free(n_free):
    return lambda x: x[:n_free] if x.ndim == 1 else x


def _lower(n, strict):
    rows, cols = np.tril_indices(n, -1 if strict else 0)
    return lambda x: x[rows, cols]


# (bijector, its set, an unconstrained point, the free coordinates of a value)
CASES = {
    "ordered": (B.Ordered(), C.ordered_vector, [0.3, -1.0, 0.5, 0.2], lambda x: x),
    "positive_ordered": (B.Ordered(positive=True), C.positive_ordered_vector,
                         [-0.4, 0.1, -2.0], lambda x: x),
    "simplex": (B.StickBreaking(), C.simplex, [0.2, -0.7, 1.1], lambda x: x[:3]),
    "cholesky_corr": (B.CholeskyCorrelation(), C.corr_cholesky,
                      [0.3, -0.5, 0.8, 0.1, -1.2, 0.4], _lower(4, strict=True)),
    "cholesky_cov": (B.CholeskyCovariance(), C.cov_cholesky,
                     [0.3, -0.5, 0.8, 0.1, -1.2, 0.4], _lower(3, strict=False)),
}


@pytest.mark.parametrize("name", CASES)
def test_a_bijector_lands_in_its_set_and_its_jacobian_is_jacfwds(name):
    bijector, constraint, u, free = CASES[name]
    u = jnp.array(u)

    @jax.jit  # one program: eagerly, JAX would compile each operation
    def everything(u):
        x = bijector.forward(u)
        jacobian = jax.jacfwd(lambda v: free(bijector.forward(v)))(u)
        return (x, constraint.check(x), bijector.inverse(x), jacobian,
                jnp.linalg.slogdet(jacobian)[1], bijector.log_abs_det_jacobian(u),
                bijector.log_abs_det_jacobian(u + 0.5))
    x, inside, back, jacobian, expected, ladj, elsewhere = everything(u)
    assert bool(inside)
    np.testing.assert_allclose(back, u, atol=1e-5)
    assert jacobian.shape == (u.size, u.size)
    assert float(ladj) == pytest.approx(float(expected), rel=1e-4, abs=1e-5)
    # negative control: another point has another Jacobian
    assert float(elsewhere) != pytest.approx(float(expected), rel=1e-3)


def test_the_sets_refuse_what_is_not_in_them():
    assert not bool(C.ordered_vector.check(jnp.array([0.0, 2.0, 1.0])))
    assert not bool(C.positive_ordered_vector.check(jnp.array([-1.0, 2.0])))
    assert not bool(C.corr_cholesky.check(jnp.array([[1.0, 0.0], [0.5, 0.5]])))  # row length
    assert not bool(C.cov_cholesky.check(jnp.array([[1.0, 0.2], [0.5, 0.5]])))   # not lower
    assert bool(C.cov_cholesky.check(jnp.array([[1.0, 0.0], [0.5, 0.5]])))


DECLARED = """
model m(K: Nat) {
    c : ordered[K]
    p : positive_ordered[3]
    th : Simplex[K]
    L : cholesky_corr[K]
    S : cholesky_cov[2]
}
"""


def test_a_declared_parameter_has_the_flat_density_of_its_chart():
    target = Target(parse(DECLARED)["m"], {"K": 4})
    sizes = {"c": 4, "p": 3, "th": 3, "L": 6, "S": 3}
    assert target.dim == sum(sizes.values())
    u = jnp.linspace(-1.0, 1.2, target.dim)
    values = target.constrain(u)
    parts, at = {}, 0
    for name, size in sizes.items():  # the sites in the model's order
        parts[name], at = u[at:at + size], at + size
    expected = sum(float(CASES[kind][0].log_abs_det_jacobian(parts[name])) for name, kind in
                   [("c", "ordered"), ("p", "positive_ordered"), ("th", "simplex"),
                    ("L", "cholesky_corr"), ("S", "cholesky_cov")])
    assert float(target.logdensity(u)) == pytest.approx(expected, rel=1e-5)
    assert values["L"].shape == (4, 4) and values["S"].shape == (2, 2)
    np.testing.assert_allclose(jnp.diag(values["L"] @ values["L"].T), np.ones(4), rtol=1e-5)
    assert bool(C.ordered_vector.check(values["c"])) and bool(C.simplex.check(values["th"]))


@pytest.mark.slow
def test_an_ordered_posterior_is_the_truncated_gaussian():
    """c : ordered[3] with y ~ Normal(c, 1): the posterior is N(y, I) restricted to
    increasing vectors, sampled here by rejection."""
    y = np.array([0.0, 0.3, 0.1], np.float32)
    model = parse("model m() {\n c : ordered[3]\n y ~ Normal(c, 1)\n}")["m"]
    post = cl.infer(model, data={"y": y},
                    method=cl.nuts(chains=2, warmup=500, samples=1000, seed=0, progress=False))
    draws = np.asarray(post.samples["c"]).reshape(-1, 3)
    ref = np.random.default_rng(0).normal(y, 1.0, size=(400_000, 3))
    ref = ref[np.all(np.diff(ref, axis=1) > 0, axis=1)]
    assert np.all(np.diff(draws, axis=1) > 0)
    np.testing.assert_allclose(draws.mean(0), ref.mean(0), atol=0.2 * ref.std(0).min())
    np.testing.assert_allclose(draws.std(0), ref.std(0), rtol=0.2)


@pytest.mark.slow
def test_a_flat_simplex_posterior_is_the_dirichlet():
    """th : Simplex[3] with categorical counts n: the posterior is Dirichlet(1 + n)."""
    y = np.array([0] * 3 + [1] * 7 + [2] * 12, np.int32)
    model = parse("model m(N: Nat) {\n th : Simplex[3]\n for i in range(N) {\n"
                  "  y[i] ~ Categorical(th)\n }\n}")["m"]
    post = cl.infer(model, args={"N": len(y)}, data={"y": y},
                    method=cl.nuts(chains=2, warmup=500, samples=1000, seed=1, progress=False))
    draws = np.asarray(post.samples["th"]).reshape(-1, 3)
    alpha = 1 + np.bincount(y, minlength=3)
    mean = alpha / alpha.sum()
    sd = np.sqrt(mean * (1 - mean) / (alpha.sum() + 1))
    np.testing.assert_allclose(draws.mean(0), mean, atol=0.2 * sd.min())
    np.testing.assert_allclose(draws.std(0), sd, rtol=0.2)


BAD = [
    ("model m() {\n c : ordered[3](lower = 0)\n}", CatlearnTypeError, 2, 17,
     ["ordered takes no bounds"]),
    ("model m() {\n L : cholesky_corr[3, 3]\n}", CatlearnTypeError, 2, 6,
     ["give one size K (a K x K matrix)"]),
    ("model m() {\n c : ordered[K]\n}", UnknownNameError, 2, 6, ["dimension K"]),
    ("model m() {\n c : orderd[3]\n}", UnknownNameError, 2, 6, ["did you mean"]),
]


@pytest.mark.parametrize("source, cls, line, column, words", BAD)
def test_misuse_is_refused_where_it_is_written(source, cls, line, column, words):
    assert_refused(source, cls, line, column, words)
