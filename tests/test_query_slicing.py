"""Parts of data in queries, as NumPy takes them: ``d.y[5:]``, ``d.y[:K]``,
``d.X[:, 0]`` in ``given`` and in the arguments, bounds from the data; an index or
slice that cannot be taken is refused where it is written."""
import json

import numpy as np
import pytest

from catlearn.errors import CatlearnTypeError, DataError
from catlearn.lang import parse

MODEL = """
data d = json("d.json")
model m(N: Nat, x: Real[N], X: Real[N, 2], c: Real) {
    w ~ Normal(0, 1)
    y ~ Normal(w * x + c, 1)
}
"""
DATA = {"K": 3, "y": [0.5, 1.5, -0.2, 0.7, 2.0, 1.1, -1.0],
        "X": [[1, 2], [3, 4], [5, 6], [7, 8], [9, 10], [11, 12], [13, 14]]}


@pytest.fixture
def folder(tmp_path):
    (tmp_path / "d.json").write_text(json.dumps(DATA))
    return tmp_path


def query(folder, text: str):
    return parse(MODEL + text, str(folder / "q.cat")).queries()[0]


def test_slices_of_data_in_the_arguments_and_given_are_numpy_slices(folder):
    q = query(folder, "infer m(N = 4, x = d.y[:4], X = d.X[3:], c = d.X[0, 1])\n"
                      "    given (y = d.y[d.K:]) with nuts(seed = 0)")
    y, X = np.array(DATA["y"]), np.array(DATA["X"])
    np.testing.assert_array_equal(q.args["x"], y[:4])
    np.testing.assert_array_equal(q.args["X"], X[3:])
    assert q.args["c"] == 2
    np.testing.assert_array_equal(q.data["y"], y[3:])


def test_a_column_a_negative_bound_and_arithmetic_bounds(folder):
    q = query(folder, "infer m(N = 7, x = d.X[:, 0] - 1, X = d.X, c = d.y[-1])\n"
                      "    given (y = d.y[0:d.K + 4]) with nuts(seed = 0)")
    X = np.array(DATA["X"])
    np.testing.assert_array_equal(q.args["x"], X[:, 0] - 1)
    assert q.args["c"] == -1.0
    np.testing.assert_array_equal(q.data["y"], DATA["y"])
    # negative control: a slice of the wrong length no longer fits N
    with pytest.raises(DataError, match="N"):
        query(folder, "infer m(N = 7, x = d.X[1:, 0], X = d.X, c = 0) given (y = d.y)"
                      " with nuts(seed = 0)")


@pytest.mark.parametrize("text, cls, column, words", [
    ("d.y[9]", DataError, 24, ["index 9", "7 entries"]),
    ("d.y[8:]", DataError, 25, ["slice 8:", "empty"]),
    ("d.y[0.5]", CatlearnTypeError, 24, ["whole number", "0.5"]),
    ("d.y[:d.y]", CatlearnTypeError, 27, ["whole number"]),
    ("d.y[0, 1]", DataError, 22, ["2 indices", "shape (7,)"]),
])
def test_an_index_that_cannot_be_taken_is_refused_where_it_is_written(folder, text, cls,
                                                                     column, words):
    source = MODEL + f"infer m(N = 7, x = {text}, X = d.X, c = 0) given (y = d.y) with nuts"
    with pytest.raises(cls) as err:
        parse(source, str(folder / "q.cat"))
    assert (err.value.line, err.value.column) == (7, column), str(err.value)
    for word in words:
        assert word in err.value.message, err.value.message
