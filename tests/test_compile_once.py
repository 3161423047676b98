"""Compile once: a query whose model structure, shapes and options match an
earlier one runs the program compiled for it, on its own data and key.

Traces are counted by JAX's own monitoring events (one per function traced to
a jaxpr, which every compilation needs), so "no trace" is "nothing compiled".
"""
from contextlib import contextmanager

import jax
import numpy as np
import pytest

import catlearn as cl
from jax._src.dispatch import JAXPR_TRACE_EVENT

COIN = """
model coin(n: Nat) {
    p ~ Beta(ALPHA, 1)
    for i in range(n) {
        flips[i] ~ Bernoulli(p)
    }
}
"""

AR1 = """
model ar1(T: Nat) {
    rho ~ Uniform(-1, 1)
    x[0] ~ Normal(0, 1)
    y[0] ~ Normal(x[0], 0.5)
    for t in range(1, T) {
        x[t] ~ Normal(rho * x[t - 1], 1)
        y[t] ~ Normal(x[t], 0.5)
    }
}
"""


def coin(alpha: int = 1):
    """The coin model, loaded afresh: a new object every call."""
    return cl.parse(COIN.replace("ALPHA", str(alpha)))["coin"]


@contextmanager
def traces():
    """The names of the functions JAX traces inside the block."""
    names = []

    def listen(event, duration, **kwargs):
        if event == JAXPR_TRACE_EVENT:
            names.append(kwargs.get("fun_name"))
    jax.monitoring.register_event_duration_secs_listener(listen)
    try:
        yield names
    finally:
        jax.monitoring.unregister_event_duration_listener(listen)


def flips(seed: int) -> dict:
    return {"flips": np.random.default_rng(seed).integers(0, 2, 10)}


def query(model, method, seed: int):
    data = {} if method.name == "prior" else flips(seed)
    return cl.infer(model, args={"n": 10}, data=data, method=method, key=jax.random.key(seed))


FAST = [cl.importance(particles=500, progress=False)]
SLOW = [cl.prior(draws=50), cl.nuts(chains=2, warmup=50, samples=50, progress=False),
        cl.smc(particles=200, moves=2, progress=False),
        cl.rmsmc(particles=200, stages=3, moves=2)]


@pytest.mark.parametrize("method", FAST + [pytest.param(m, marks=pytest.mark.slow)
                                           for m in SLOW], ids=lambda m: m.name)
def test_a_repeated_query_on_new_data_traces_nothing(method):
    query(coin(), method, 0)
    with traces() as traced:
        query(coin(), method, 1)         # a model loaded again, new data, a new key
    assert traced == []


def test_another_structure_or_option_compiles_again():   # negative controls
    method = cl.importance(particles=300, progress=False)
    query(coin(), method, 0)
    with traces() as other_prior:
        query(coin(alpha=2), method, 1)
    with traces() as other_option:
        query(coin(), cl.importance(particles=301, progress=False), 1)
    assert other_prior and other_option


@pytest.mark.slow
def test_other_shapes_compile_again():   # a negative control
    method = cl.importance(particles=300, progress=False)
    query(coin(), method, 0)
    with traces() as other_shape:
        cl.infer(coin(), args={"n": 11}, data={"flips": np.ones(11)}, method=method)
    assert other_shape


def test_a_repeated_query_gives_the_answer_of_a_fresh_one():
    method = cl.importance(particles=500, progress=False)   # as FAST's: compiled already
    query(coin(), method, 0)
    repeated = query(coin(), method, 1)
    jax.clear_caches()
    fresh = query(coin(), method, 1)
    np.testing.assert_array_equal(repeated.samples["p"], fresh.samples["p"])
    np.testing.assert_array_equal(repeated.log_weights, fresh.log_weights)
    assert repeated.log_evidence == fresh.log_evidence


def test_the_data_are_arguments_not_constants():
    """The same compiled program on other data gives that data's posterior."""
    method = cl.importance(particles=4000, progress=False)
    heads = cl.infer(coin(), args={"n": 10}, data={"flips": np.ones(10)}, method=method)
    tails = cl.infer(coin(), args={"n": 10}, data={"flips": np.zeros(10)}, method=method)
    # Beta(11, 1) has mean 11/12, Beta(1, 11) has mean 1/12
    assert abs(heads.summary_dict()["p"]["mean"] - 11 / 12) < 0.03
    assert abs(tails.summary_dict()["p"]["mean"] - 1 / 12) < 0.03


@pytest.mark.slow
def test_an_unread_site_with_another_prior_is_not_served_the_old_program():
    """Models differing only in a site nothing reads are different structures."""
    unread = "model m() {\n  p ~ Beta(A, 1)\n  z ~ Normal(0, 1)\n}\n"
    method = cl.prior(draws=4000)
    one = cl.infer(cl.parse(unread.replace("A", "1"))["m"], method=method)
    three = cl.infer(cl.parse(unread.replace("A", "3"))["m"], method=method)
    assert abs(float(np.mean(one.samples["p"])) - 1 / 2) < 0.03
    assert abs(float(np.mean(three.samples["p"])) - 3 / 4) < 0.03


@pytest.mark.slow
@pytest.mark.parametrize("method", [cl.smc(particles=100, progress=False),
                                    cl.pmmh(particles=50, samples=20, warmup=0)],
                         ids=lambda m: m.name)
def test_a_repeated_filter_on_new_data_traces_nothing(method):
    model = cl.parse(AR1)["ar1"]
    rng = np.random.default_rng(0)
    cl.infer(model, args={"T": 8}, data={"y": rng.normal(size=8)}, method=method)
    with traces() as traced:
        cl.infer(cl.parse(AR1)["ar1"], args={"T": 8}, data={"y": rng.normal(size=8)},
                 method=method, key=jax.random.key(3))
    assert traced == []
