"""``infer m(...) with nuts``: a query that observes nothing (the likelihood is a
``factor``) needs no ``given ()``; its misuse is refused where it is written."""
import numpy as np
import pytest

import catlearn as cl
from catlearn.errors import CatlearnSyntaxError
from catlearn.lang import parse
from refusals import assert_refused

MODEL = """
model m(c: Real) {
    mu : Real
    factor(-0.5 * square(mu - c))
}
"""


def test_a_query_with_no_given_is_the_query_given_nothing():
    (bare,) = parse(MODEL + "infer m(c = 2) with nuts(seed = 3)").queries()
    (empty,) = parse(MODEL + "infer m(c = 2) given () with nuts(seed = 3)").queries()
    assert bare.data == empty.data == {}
    assert (bare.args, bare.method, bare.options) == (empty.args, empty.method, empty.options)


def test_it_samples_the_density_its_factor_gives():
    (query,) = parse(MODEL + "infer m(c = 2) with nuts(chains = 2, warmup = 200, "
                             "samples = 400, seed = 0)").queries()
    post = cl.infer(query.model, args=query.args, data=query.data,
                    method=cl.nuts(**query.options))
    mu = np.asarray(post.samples["mu"])
    assert abs(mu.mean() - 2) < 0.3 and abs(mu.std() - 1) < 0.25


@pytest.mark.parametrize("query, column, words", [
    ("infer m(c = 2) given with nuts", 22, ["'with'", "expected '('"]),
    ("infer m(c = 2)", 15, ["end of input", "'given' or 'with'"]),
    ("infer m(c = 2) given (mu = 1)", 30, ["end of input", "'with'"]),
])
def test_a_query_cut_short_is_refused_where_it_stops(query, column, words):
    assert_refused(MODEL + query, CatlearnSyntaxError, 6, column, words)
