"""catlearn run --plot: trace, density and loss plots and diagrams, as PNG files."""
import json

import numpy as np
import pytest

from catlearn.cli import main
from catlearn.inference.posterior import Posterior
from catlearn.lang import parse
from catlearn.plot import MAX_ELEMENTS, density, kde, loss_curve, plot_query, trace

COIN = """model coin(n: Nat) {
    p ~ Beta(1, 1)
    for i in range(n) {
        flips[i] ~ Bernoulli(p)
    }
}
sample coin(n = 3) with prior(draws = 50, seed = 0)
infer coin(n = 3) given (flips = [1, 0, 1]) with importance(particles = 200, seed = 0)
"""

TRAIN = """data d = csv("line.csv")
diagram line = dense(1, 1)
learner reg = learn line with loss = mse, optimizer = adam(0.1)
train reg on d(x = [x], y = y) with epochs = 5, batch = 8, seed = 0
"""


@pytest.fixture(scope="module")
def ran(tmp_path_factory):
    """Both programs run through the command line with --plot (once for all tests)."""
    folder = tmp_path_factory.mktemp("programs")
    (folder / "coin.cat").write_text(COIN)
    (folder / "train.cat").write_text(TRAIN)
    x = np.linspace(0, 1, 16)
    (folder / "line.csv").write_text("x,y\n" + "".join(f"{a},{2 * a + 1}\n" for a in x))
    plots = folder / "plots"
    outputs = {}
    for name in ("coin", "train"):
        program = str(folder / f"{name}.cat")
        assert main(["run", program, "--plot", str(plots)]) == 0
        outputs[name] = parse((folder / f"{name}.cat").read_text(), program)
    return folder, plots, outputs


def test_the_plots_of_each_query_are_written(ran):
    _, plots, _ = ran
    assert sorted(p.name for p in plots.iterdir()) == [
        "coin_diagram.png",                   # the model, drawn once for both queries
        "line4_reg_loss.png",
        "line7_coin_prior_density.png", "line7_coin_prior_trace.png",
        "line8_coin_importance_density.png",  # weighted draws: no trace
        "reg_diagram.png"]
    assert all(p.read_bytes().startswith(b"\x89PNG") for p in plots.iterdir())


def test_plots_keep_the_json_output_as_it_is(ran, capsys, tmp_path):
    folder, _, _ = ran
    program = str(folder / "coin.cat")
    capsys.readouterr()
    assert main(["run", program, "--json"]) == 0
    plain = json.loads(capsys.readouterr().out)
    assert main(["run", program, "--json", "--plot", str(tmp_path / "p")]) == 0
    plotted = json.loads(capsys.readouterr().out)
    for result in plain + plotted:
        result.pop("seconds")
    assert plotted == plain


def test_trace_has_a_panel_per_scalar_and_a_line_per_chain():
    draws = np.random.default_rng(0).normal(size=(3, 40, 6))
    post = Posterior({"mu": draws[..., 0], "theta": draws})
    fig = trace(post)
    assert [ax.get_ylabel() for ax in fig.axes] == (
        ["mu"] + [f"theta[{i}]" for i in range(MAX_ELEMENTS)])
    for ax in fig.axes:
        assert len(ax.lines) == 3
    chain = fig.axes[1].lines[2]
    np.testing.assert_array_equal(chain.get_ydata(), draws[2, :, 0])


def test_weighted_density_follows_the_weights():
    """Draws at 0 and 1, weighted 1 : 3: the histogram's mass is where the weight is."""
    values = np.array([[0.0] * 50 + [1.0] * 50])
    log_w = np.log(np.array([[1.0] * 50 + [3.0] * 50]) / 200)
    fig = density(Posterior({"z": values}, log_weights=log_w))
    (ax,) = fig.axes
    heights = np.array([bar.get_height() * bar.get_width() for bar in ax.patches])
    assert heights.sum() == pytest.approx(1.0)
    assert heights[0] == pytest.approx(0.25) and heights[-1] == pytest.approx(0.75)


def test_kde_weights_move_the_mean():
    values = np.linspace(-1.0, 1.0, 101)
    grid, p = kde(values, np.exp(values))
    mean = np.trapezoid(grid * p, grid) / np.trapezoid(p, grid)
    weighted = np.sum(values * np.exp(values)) / np.sum(np.exp(values))
    assert mean == pytest.approx(weighted, abs=0.02) and weighted > 0.3


def test_the_loss_curve_has_one_point_per_epoch(ran):
    _, _, outputs = ran
    program = outputs["train"]
    (train,) = program.queries()
    program.run_statement(train)
    assert len(train.history) == 5
    (line,) = loss_curve(train.history).axes[0].lines
    np.testing.assert_array_equal(line.get_xdata(), np.arange(1, 6))
    np.testing.assert_array_equal(line.get_ydata(), train.history)


def test_plot_query_draws_each_diagram_once_and_skips_checks(tmp_path):
    program = parse("box f : Real -> Real\n"
                    "check f >> id(Real) == f\n")
    (check,) = program.queries()
    program.run_statement(check)
    assert plot_query(check, str(tmp_path), set()) == []
    assert list(tmp_path.iterdir()) == []


def test_an_unwritable_plot_folder_is_an_error(ran, capsys):
    folder, _, _ = ran
    blocker = folder / "not_a_folder"
    blocker.write_text("")
    assert main(["run", str(folder / "coin.cat"), "--plot", str(blocker)]) == 1
    assert "cannot write plots in" in capsys.readouterr().err
