"""Training from the language: column ranges, held-out splits, nll, the JSON result,
and the examples' accuracies from the command line."""
import json
import math
import subprocess
import sys

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import catlearn as cl
from catlearn.io import load_table
from catlearn.learning import adam, cross_entropy, learn, mse
from catlearn.primitives.nn import dense, relu
from catlearn.learning.train import train_test_split

DIGITS = "examples/digits.cat"


def digits_with(**changes) -> str:
    source = open(DIGITS).read()
    for old, new in changes.items():
        assert old in source
        source = source.replace(old, new)
    return source


def run_cli(path: str) -> list:
    done = subprocess.run([sys.executable, "-m", "catlearn.cli", "run", path, "--json"],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def ranged(bounds: str, width: int) -> np.ndarray:
    source = (f'data digits = csv("data/digits.csv")\ndiagram net = dense({width}, 10)\n'
              f"learner clf = learn net with loss = cross_entropy\n"
              f"train clf on digits(x = digits[{bounds}], y = digit) with epochs = 1\n")
    (train,) = cl.parse(source, DIGITS).queries()
    return train.x


@pytest.mark.parametrize("bounds, columns", [
    ("p3:p6", ["p3", "p4", "p5", "p6"]),
    ("p60:", ["p60", "p61", "p62", "p63", "digit"]),
    (":p1", ["p0", "p1"]),
    ("p7:p7", ["p7"])])
def test_a_column_range_is_the_columns_from_first_to_last_in_file_order(bounds, columns):
    table = load_table("examples/data/digits.csv")
    np.testing.assert_array_equal(ranged(bounds, len(columns)),
                                  np.stack([table[c] for c in columns], 1))


def test_without_x_every_column_but_y_is_an_input():
    (ranged,) = cl.parse(open(DIGITS).read(), DIGITS).queries()
    (default,) = cl.parse(digits_with(**{"x = digits[p0:p63], ": ""}), DIGITS).queries()
    np.testing.assert_array_equal(default.x, ranged.x)


def test_the_split_is_a_seeded_partition_of_the_examples():
    x, y = jnp.arange(20.0)[:, None], jnp.arange(20)
    (xa, ya), (xb, yb) = train_test_split(jax.random.key(3), x, y, test=0.25)
    assert (len(ya), len(yb)) == (15, 5)
    assert sorted(jnp.concatenate([ya, yb]).tolist()) == list(range(20))
    np.testing.assert_array_equal(xa[:, 0], ya)                  # rows stay together
    (_, again), _ = train_test_split(jax.random.key(3), x, y, test=0.25)
    (_, other), _ = train_test_split(jax.random.key(4), x, y, test=0.25)
    assert again.tolist() == ya.tolist() and other.tolist() != ya.tolist()


def test_a_short_digits_run_reports_held_out_accuracy_and_is_reproducible():
    program = cl.parse(digits_with(**{"epochs = 30": "epochs = 2"}), DIGITS)
    first, again = (program.run()[0] for _ in range(2))
    assert set(first) == {"kind", "line", "learner", "loss", "accuracy", "test_loss",
                          "test_accuracy", "seconds"}
    assert (first["kind"], first["learner"], first["line"]) == ("train", "clf", 11)
    assert 0.5 < first["test_accuracy"] <= 1 and 0.5 < first["accuracy"] <= 1
    assert math.isfinite(first["test_loss"]) and first["test_loss"] > 0
    first.pop("seconds"), again.pop("seconds")
    assert first == again


def test_without_test_the_held_out_fields_are_null():
    source = digits_with(**{", test = 0.2": "", "epochs = 30": "epochs = 1"})
    (result,) = cl.parse(source, DIGITS).run()
    assert result["test_accuracy"] is None and result["test_loss"] is None
    assert result["accuracy"] > 0.5


LINE = '''data d = csv("linreg.csv")
diagram line = dense(1, 1)
learner reg = learn line with loss = nll(Normal, scale = 1), optimizer = adam(0.1)
train reg on d(x = [x], y = y) with epochs = 40, batch = 16, seed = 0, test = 0.25
'''


def test_nll_of_a_unit_normal_is_least_squares_plus_a_constant():
    program = cl.parse(LINE, "examples/line.cat")
    loss = program["reg"].loss
    yhat, y = jnp.array([[0.5], [2.0], [-1.0]]), jnp.array([1.0, 1.5, 0.0])
    assert math.isclose(float(loss(yhat, y)), float(mse(yhat, y)) + 0.5 * math.log(2 * math.pi),
                        rel_tol=1e-6)


def test_a_regression_trains_with_nll_and_reports_no_accuracy():
    (result,) = cl.parse(LINE, "examples/line.cat").run()
    table = load_table("examples/linreg.csv")
    x, y = table["x"], table["y"]
    residual = y - np.polyval(np.polyfit(x, y, 1), x)
    # at the least-squares line the loss is ½ mean residual² + ½ log 2π
    best = 0.5 * np.mean(residual ** 2) + 0.5 * math.log(2 * math.pi)
    assert result["accuracy"] is None and result["test_accuracy"] is None
    assert best - 0.05 < result["test_loss"] < best + 0.1
    assert best - 0.05 < result["loss"] < best + 0.1


def test_nll_with_a_learned_scale_from_two_outputs():
    source = LINE.replace("dense(1, 1)", "copy(Real[1]) >> (dense(1, 1) @ (dense(1, 1) >> "
                          "softplus))").replace("nll(Normal, scale = 1)", "nll(Normal)")
    (result,) = cl.parse(source.replace("epochs = 40", "epochs = 150"),
                         "examples/line.cat").run()
    # a learned scale below one beats the unit-scale loss
    assert result["test_loss"] < 0.5 * math.log(2 * math.pi)


COMPOSITE = '''data iris = csv("iris.csv")
diagram body = dense(4, 16) >> relu
diagram head = dense(16, 3)
learner features = learn body with loss = mse, optimizer = adam(0.01)
learner scores = learn head with loss = cross_entropy, optimizer = adam(0.02)
learner clf = features >> scores
train clf on iris(y = species) with epochs = 3, batch = 16, seed = 0
'''


def test_a_composite_learner_is_the_composite_in_learn():
    program = cl.parse(COMPOSITE, "examples/composite.cat")
    ours = program["clf"].learner
    theirs = (learn(dense(4, 16) >> relu(16), mse, adam(0.01))
              >> learn(dense(16, 3), cross_entropy, adam(0.02)))
    (train,) = program.queries()
    assert train.x.shape == (150, 4) and program["clf"].loss is cross_entropy
    fitted = [learner.fit(None, train.x, train.y, epochs=3, batch_size=16,
                          key=jax.random.key(0), progress=False) for learner in (ours, theirs)]
    for a, b in zip(jax.tree.leaves(fitted[0]), jax.tree.leaves(fitted[1])):
        np.testing.assert_array_equal(a, b)
    (result,) = program.run()
    assert result["loss"] == pytest.approx(float(fitted[0][1][-1]))


@pytest.mark.slow
def test_iris_reaches_its_training_accuracy_from_the_command_line():
    (result,) = run_cli("examples/iris.cat")
    assert result["accuracy"] >= 0.95


@pytest.mark.slow
def test_digits_reaches_its_held_out_accuracy_from_the_command_line():
    (result,) = run_cli(DIGITS)
    assert result["test_accuracy"] >= 0.95 and result["accuracy"] >= result["test_accuracy"]


SIDE_BY_SIDE = '''data iris = csv("iris.csv")
learner a = learn dense(2, 1) with loss = mse, optimizer = adam(0.05)
learner b = learn dense(2, 3) with loss = cross_entropy, optimizer = adam(0.05)
learner c = a @ b
train c on iris(x = [sepal_length, sepal_width, petal_length, petal_width], y = [petal_length, species]) with epochs = 40, batch = 16, seed = 0
'''


def test_learners_side_by_side_train_on_their_own_columns():
    program = cl.parse(SIDE_BY_SIDE, "examples/side.cat")
    c = program["c"]
    assert (c.learner.dom, c.learner.cod) == (cl.Ty("Real")[2] @ cl.Ty("Real")[2],
                                              cl.Ty("Real")[1] @ cl.Ty("Real")[3])
    (train,) = program.queries()
    assert [a.shape for a in train.x] == [(150, 2), (150, 2)]
    first = cl.parse(SIDE_BY_SIDE.replace("epochs = 40", "epochs = 1"), "examples/side.cat")
    assert program.run()[0]["loss"] < first.run()[0]["loss"]


@pytest.mark.parametrize("old, new, words", [
    ("petal_length, petal_width], y", "petal_length], y", ("x has shape (3,)", "Real[2] * Real[2]")),
    ("y = [petal_length, species]", "y = species", ("2 columns", "y = [a, b]"))])
def test_learners_side_by_side_refuse_data_of_the_wrong_width(old, new, words):
    with pytest.raises(cl.DataError) as caught:
        cl.parse(SIDE_BY_SIDE.replace(old, new), "examples/side.cat")
    assert all(w in str(caught.value) for w in words)
