"""Rich display in Jupyter: short reprs, HTML tables, SVG pictures."""
import re

import numpy as np
import pytest

import catlearn as cl
from catlearn.errors import NotSupportedError
from catlearn.inference.posterior import MAX_ROWS, Posterior
from catlearn.learning.history import History

EIGHT = """model eight(J: Nat, sigma: Pos[J]) {
    mu ~ Normal(0, 5)
    tau ~ HalfCauchy(5)
    for j in range(J) {
        theta[j] ~ Normal(mu, tau)
        y[j] ~ Normal(theta[j], sigma[j])
    }
}
infer eight(J = 2, sigma = [1, 2]) given (y = [0.5, 1.5]) with importance(particles = 50)
"""


def mixed(chains=2, draws=300, seed=0):
    return np.random.default_rng(seed).normal(size=(chains, draws))


def test_a_posterior_repr_is_short_and_holds_no_arrays():
    post = Posterior({"mu": mixed(), "theta": np.zeros((2, 300, 8))}, method="nuts")
    assert len(str(post.samples)) > 1000          # what a dataclass repr would print
    text = repr(post)
    assert text == "<Posterior nuts: 2 chains × 300 draws; sites mu, theta[8]>"


def test_the_posterior_table_has_a_row_per_scalar_and_a_header():
    post = Posterior({"mu": mixed(), "v": np.ones((2, 300, 3))}, method="nuts")
    page = post._repr_html_()
    assert "Posterior by nuts: 2 chains × 300 draws" in page
    assert [re.sub("<.*?>", "", r) for r in re.findall(r"<tr><td>(.*?)</td>", page)] == [
        "mu", "v[0]", "v[1]", "v[2]"]
    assert "array" not in page and len(page) < 4000


def test_the_table_is_capped_and_says_how_many_rows_it_leaves_out():
    post = Posterior({"w": np.random.default_rng(1).normal(size=(2, 50, MAX_ROWS + 5))})
    page = post._repr_html_()
    assert page.count("<tr><td>") == MAX_ROWS and "… and 5 more" in page


def test_warnings_name_divergences_disagreeing_chains_and_few_draws():
    good = Posterior({"mu": mixed(4, 500)}, stats={"divergences": 0}, method="nuts")
    assert good.warnings() == []
    assert "<ul" not in good._repr_html_()
    apart = mixed(4, 500) + np.arange(4)[:, None]     # chains centred at 0, 1, 2, 3
    bad = Posterior({"mu": apart, "ok": mixed(4, 500, seed=2)},
                    stats={"divergences": 7}, method="nuts")
    found = bad.warnings()
    assert found[0].startswith("7 divergent transitions")
    assert any("r_hat above 1.01 for mu:" in w for w in found)
    few = Posterior({"mu": mixed(4, 10)})
    assert any(w.startswith("effective sample size under 400 for mu") for w in few.warnings())
    assert "7 divergent transitions" in bad._repr_html_()


@pytest.fixture(scope="module")
def program():
    prog = cl.parse(EIGHT)
    prog.run()
    return prog


def test_a_model_shows_its_signature_sites_and_picture(program):
    model = program["eight"]
    assert repr(model) == "<Model eight(J: Nat, sigma: Pos[J]); sites mu, tau, theta, y>"
    page = model._repr_html_()
    assert "model eight(J: Nat, sigma: Pos[J])" in page
    assert re.findall(r"<tr><td>(\w+)</td><td>(\w+)</td>", page) == [
        ("mu", "Normal"), ("tau", "HalfCauchy"), ("theta", "Normal"), ("y", "Normal")]
    assert "<svg" in page and model._repr_svg_().lstrip().startswith("<?xml")


def test_a_program_lists_its_statements_and_their_results(program):
    page = program._repr_html_()
    assert "model eight(J: Nat, sigma: Pos[J]) {" in page
    assert "&lt;Posterior importance: 1 chains × 50 draws, weighted" in page
    (infer,) = program.queries()
    assert repr(infer) == "<Infer at line 9>"


def test_a_learner_draws_its_parameters_and_loss():
    net = cl.dense(4, 16) >> cl.relu >> cl.dense(16, 3)
    learner = cl.learn(net, loss=cl.cross_entropy, optimizer=cl.adam(0.01))
    ax = learner.draw().axes[0]
    labels = [t.get_text() for t in ax.texts]
    for label in ("dense(4, 16)", "dense(16, 3)", "relu", "cross_entropy",
                  "θ1 adam(0.01)", "θ2 adam(0.01)"):
        assert label in labels
    assert labels.count("θ") == 2                   # one parameter wire per layer
    assert "dense(4, 16)" in learner._repr_html_()
    assert learner._repr_svg_().count('id="box:') == 6
    composite = learner @ learner
    assert composite._repr_svg_() is None
    with pytest.raises(NotSupportedError, match="has no picture"):
        composite.draw()


def test_a_training_history_is_an_array_that_shows_its_curve():
    x = np.linspace(0, 1, 32)[:, None]
    learner = cl.learn(cl.dense(1, 1), loss=cl.mse, optimizer=cl.adam(0.1))
    _, history = learner.fit(None, x, 2 * x + 1, epochs=4, batch_size=8, progress=False)
    assert isinstance(history, History) and history.shape == (4,)
    assert re.fullmatch(r"<History of 4 epochs: loss \S+ -> \S+ \(best \S+\)>", repr(history))
    page = history._repr_html_()
    assert "<polyline" in page and page.count(",") >= 4
    np.testing.assert_array_equal(np.asarray(history)[:2], history[:2])
    assert repr(History([]).reshape(0, 1)).startswith("array(")
