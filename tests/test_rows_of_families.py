"""Several observations per time step: a family written row by row.

``for k in range(K) { y[0, k] ~ … }`` before a scan writes the row ``y[0]``
and ``y[t, k]`` inside the scan the rows ``y[1:T]``: data of shape (T, K).
"""
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax.scipy.stats import norm

from catlearn.errors import CatlearnError, CatlearnTypeError, DataError, UnknownNameError
from catlearn.inference.target import Target
from catlearn.lang import parse
from catlearn.syntax.model import Plate, Scan
from kalman_reference import MULTI

T, K = 6, 3
Y = jax.random.normal(jax.random.key(3), (T, K)) + jnp.arange(T)[:, None] * 0.3


def test_the_rows_make_one_site_of_shape_t_by_k():
    model = parse(MULTI)["multi"]
    plate = next(b for b in model.diagram.boxes if isinstance(b, Plate))
    scan = next(b for b in model.diagram.boxes if isinstance(b, Scan))
    assert plate.at_of("y") == (0,) and plate.at_of("x") == () and scan.at_of("y") == ()
    target = Target(model, {"T": T, "K": K}, {"y": Y})
    assert target.site_shapes == {"x": (T,), "y": (T, K)}
    assert target.latent_names == ["x"] and target.dim == T


def test_the_log_density_scores_every_row_against_its_state():
    target = Target(parse(MULTI)["multi"], {"T": T, "K": K}, {"y": Y})
    x = jnp.linspace(-1.0, 2.0, T)
    exact = (norm.logpdf(x[0], 0, 1) + jnp.sum(norm.logpdf(x[1:], 0.9 * x[:-1], 1))
             + jnp.sum(norm.logpdf(Y, x[:, None], 0.5)))
    assert jnp.isclose(target.logdensity(x), exact, rtol=1e-5)
    swapped = Target(parse(MULTI)["multi"], {"T": T, "K": K}, {"y": Y[::-1]})
    assert not jnp.isclose(swapped.logdensity(x), exact, rtol=1e-3)   # rows are per time


def test_an_element_of_a_written_row_is_read_by_its_index():
    model = parse("""
model m(K: Nat) {
    for k in range(K) {
        y[0, k] ~ Normal(0, 1)
    }
    z ~ Normal(y[0, 1], 0.1)
}""")["m"]
    draws = jax.vmap(Target(model, {"K": 3}).sample_prior)(jax.random.split(jax.random.key(0), 500))
    assert draws["y"].shape == (500, 1, 3)
    assert np.std(np.asarray(draws["z"] - draws["y"][:, 0, 1])) < 0.15
    assert np.std(np.asarray(draws["z"] - draws["y"][:, 0, 0])) > 0.9   # not another element


@pytest.mark.parametrize("body, error, words, line", [
    ("for k in range(K) {\n y[0, 1] ~ Normal(0, 1)\n }", CatlearnTypeError,
     "define y[k] (indexed by the loop variables, after whole numbers for one row", 3),
    ("for k in range(K) {\n y[0, k] ~ Normal(0, 1)\n y[1, k] ~ Normal(0, 1)\n }",
     CatlearnTypeError, "the loop over k writes y[0, ...] already", 4),
    ("for k in range(K) {\n y[0, k] ~ Normal(0, 1)\n }\nfor j in range(K) {\n "
     "y[0, j] ~ Normal(0, 1)\n }", UnknownNameError, "y[0] is defined twice", 5),
])
def test_rows_written_wrongly_are_refused_where_written(body, error, words, line):
    with pytest.raises(error) as info:
        parse(f"model m(K: Nat) {{\n{body}\n}}")
    assert words in info.value.message and info.value.line == line


def test_rows_of_different_lengths_and_data_of_the_wrong_shape_are_refused():
    ragged = parse("""
model m(T: Nat, K: Nat, J: Nat) {
    for k in range(K) {
        y[0, k] ~ Normal(0, 1)
    }
    for t in range(1, T) {
        for j in range(J) {
            y[t, j] ~ Normal(0, 1)
        }
    }
}""")["m"]
    with pytest.raises(CatlearnError, match=r"rows of site 'y' differ in shape: \[2\] and \[3\]"):
        Target(ragged, {"T": 4, "K": 3, "J": 2})
    assert Target(ragged, {"T": 4, "K": 2, "J": 2}).site_shapes["y"] == (4, 2)   # control
    with pytest.raises(DataError, match=r"data 'y' must have shape \(6, 3\)"):
        Target(parse(MULTI)["multi"], {"T": T, "K": K}, {"y": Y.T})


def test_a_row_with_a_gap_is_refused():
    model = parse("""
model m(K: Nat) {
    for k in range(1, K) {
        y[0, k] ~ Normal(0, 1)
    }
}""")["m"]
    with pytest.raises(CatlearnError, match="gap: a loop over range.1, 3. inside another"):
        Target(model, {"K": 3})
