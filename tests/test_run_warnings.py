"""Every inference result carries its warnings: in ``Posterior.warnings()``, in the
``warnings`` list of ``catlearn run --json`` and as lines under the printed table.
Each warning has a negative control: the same posterior without the fault is silent."""
import json

import numpy as np
import pytest

import catlearn as cl
from catlearn.cli import _human, main
from catlearn.errors import DistributionError
from catlearn.inference.posterior import Posterior


def mixed(chains, draws, seed=0):
    return np.random.default_rng(seed).normal(size=(chains, draws))


def nuts_stats(chains, draws, depth, max_depth=10):
    return {"divergences": 0, "tree_depth": np.full((chains, draws), depth),
            "acceptance_rate": np.full((chains, draws), 0.8), "max_tree_depth": max_depth,
            "tree_depth_saturated": int(np.sum(np.full((chains, draws), depth) >= max_depth))}


def test_a_well_mixed_posterior_has_no_warnings():
    assert Posterior({"mu": mixed(4, 500)}, stats=nuts_stats(4, 500, 3)).warnings() == []


def test_saturated_trees_are_counted():
    post = Posterior({"mu": mixed(4, 500)}, stats=nuts_stats(4, 500, 10))
    assert post.warnings() == ["2000 transitions hit the maximum tree depth (10): the sampler "
                               "is inefficient there; raise max_tree_depth or reparametrise "
                               "the model"]


def test_a_chain_that_never_moves_is_named():
    draws = mixed(4, 500)
    draws[2] = 0.25  # chain 2 rejected every proposal
    post = Posterior({"mu": draws}, stats=nuts_stats(4, 500, 3))
    assert any(w.startswith("zero acceptance: chain 2 never moved from its start")
               for w in post.warnings())
    # constant draws without acceptance statistics (prior draws of a constant) are no fault
    assert not any("zero acceptance" in w for w in Posterior({"mu": draws}).warnings())


def test_non_finite_draws_are_named():
    draws = mixed(4, 500)
    draws[0, 7] = np.inf
    found = Posterior({"mu": draws}).warnings()
    assert found[0].startswith("non-finite draws (NaN or infinite) of mu:")
    assert Posterior({"mu": mixed(4, 500)}).warnings() == []


def test_divergences_disagreeing_chains_and_few_draws_warn():
    apart = mixed(4, 500) + np.arange(4)[:, None]
    found = Posterior({"mu": apart}, stats={"divergences": 3}).warnings()
    assert found[0].startswith("3 divergent transitions")
    assert any(w.startswith("r_hat above 1.01 for mu") for w in found)
    few = mixed(4, 500)
    few[:, 1:] = few[:, :1] + 1e-3 * few[:, 1:]  # each chain nearly still: few effective draws
    assert any(w.startswith("effective sample size under 400 for mu")
               for w in Posterior({"mu": few}).warnings())


PROGRAM = """\
data d = csv("rows.csv")
model lin(x: Real[N]) {
    w ~ Normal(0, 1)
    y ~ Normal(w * x, 1)
}
model m(a: Real) {
    s ~ Normal(a, 1)
}
infer lin(x = d.x) given (y = d.y) with importance(particles = 500)
infer m(a = 0) given () with rmh(chains = 2, warmup = 0, samples = 20, scale = 1e30)
"""


@pytest.mark.parametrize("rows, empty", [("x,y\n", True), ("x,y\n1,2\n3,4\n", False)])
def test_run_reports_warnings_in_json_and_in_the_table(tmp_path, capsys, rows, empty):
    (tmp_path / "rows.csv").write_text(rows)
    (tmp_path / "w.cat").write_text(PROGRAM)
    assert main(["run", str(tmp_path / "w.cat"), "--json", "--no-cache"]) == 0
    first, second = json.loads(capsys.readouterr().out)
    prior = "no observations: y is empty (N = 0), so the posterior is the prior"
    assert (prior in first["warnings"]) is empty  # the header-only CSV, and its control
    assert second["warnings"][0].startswith("zero acceptance: chains 0, 1 never moved")
    table = _human(first) + _human(second)
    assert (f"  warning: {prior}" in table) is empty
    assert "  warning: zero acceptance: chains 0, 1" in table


@pytest.mark.parametrize("scale, refused", [("-1", True), ("1/0", True), ("2 - 2", True),
                                            ("1.5", False), ("2 ** -1", False)])
def test_literal_parameters_are_checked_where_written(scale, refused):
    source = f"model m(a: Real) {{\n    s ~ Normal(a, {scale})\n}}"
    if not refused:
        assert "m" in cl.parse(source)
        return
    with pytest.raises(DistributionError) as info:
        cl.parse(source, "p.cat")
    assert info.value.line == 2 and info.value.column >= len("    s ~ Normal(a, ")
    assert "Normal: scale must be positive" in info.value.message
