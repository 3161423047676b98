"""catlearn run --plot: trace, density and loss plots and diagrams, as PNG files."""
import contextlib
import io
import json

import numpy as np
import pytest

from catlearn.cli import main
from catlearn.inference.posterior import Posterior
from catlearn.lang import parse
from catlearn.syntax import Equation
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
    """Both programs run once through the command line with --plot: the coin
    with --json, the training without; their parsed programs and outputs."""
    folder = tmp_path_factory.mktemp("programs")
    (folder / "coin.cat").write_text(COIN)
    (folder / "train.cat").write_text(TRAIN)
    x = np.linspace(0, 1, 16)
    (folder / "line.csv").write_text("x,y\n" + "".join(f"{a},{2 * a + 1}\n" for a in x))
    plots = folder / "plots"
    outputs = {}
    for name, extra in (("coin", ["--json"]), ("train", [])):
        program = folder / f"{name}.cat"
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            assert main(["run", str(program), "--plot", str(plots), *extra]) == 0
        outputs[name] = parse(program.read_text(), str(program)), out.getvalue()
    return folder, plots, outputs


def test_the_plots_of_each_query_are_written(ran):
    _, plots, outputs = ran
    assert sorted(p.name for p in plots.iterdir()) == [
        "coin_diagram.png",                   # the model, drawn once for both queries
        "line4_reg_loss.png",
        "line7_coin_prior_density.png", "line7_coin_prior_trace.png",
        "line8_coin_importance_density.png",  # weighted draws: no trace
        "reg_diagram.png"]
    assert all(p.read_bytes().startswith(b"\x89PNG") for p in plots.iterdir())
    assert f"wrote {plots / 'line4_reg_loss.png'}" in outputs["train"][1]


def test_plots_leave_the_json_output_as_it_is(ran):
    """stdout is the JSON document alone, the results of the statements."""
    _, _, outputs = ran
    _, out = outputs["coin"]
    results = json.loads(out)
    assert [(r["kind"], r["line"], r["method"]) for r in results] == [
        ("sample", 7, "prior"), ("infer", 8, "importance")]
    assert set(results[1]) == {"kind", "line", "model", "method", "params", "log_evidence",
                               "warnings", "seconds"}


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


def test_kde_is_the_weighted_density():
    """Standard normal draws weighted by exp(x) are a sample of N(1, 1)."""
    values = np.random.default_rng(0).normal(size=20000)
    grid, p = kde(values, np.exp(values))
    mean = np.trapezoid(grid * p, grid)
    assert np.trapezoid(p, grid) == pytest.approx(1.0, abs=0.02)
    assert mean == pytest.approx(1.0, abs=0.05)
    assert grid[np.argmax(p)] == pytest.approx(1.0, abs=0.2)


def test_the_loss_curve_has_one_point_per_epoch(ran):
    _, _, outputs = ran
    program, _ = outputs["train"]
    (train,) = program.queries()
    program.run_statement(train)
    assert len(train.history) == 5
    (line,) = loss_curve(train.history).axes[0].lines
    np.testing.assert_array_equal(line.get_xdata(), np.arange(1, 6))
    np.testing.assert_array_equal(line.get_ydata(), train.history)


def test_a_check_is_drawn_as_its_equation(tmp_path):
    """Both sides as written: the copy and the discard of the left side are drawn,
    though the law folds them into the bare wire on the right."""
    program = parse("box f : Real -> Real\n"
                    "check copy(Real) >> (f @ discard(Real)) == f\n")
    (check,) = program.queries()
    program.run_statement(check)
    (path,) = plot_query(check, str(tmp_path), set())
    assert path.endswith("line2_check.png") and open(path, "rb").read(4) == b"\x89PNG"
    fig = Equation(check.left, check.right).draw()
    gids = [a.get_gid() or "" for a in fig.axes[0].get_children()]
    assert sum(g.startswith("side0/box:") for g in gids) == 1
    assert sum(g.startswith("side0/copy:") for g in gids) == 1
    assert sum(g.startswith("side0/discard:") for g in gids) == 1
    assert not any(g.startswith(("side1/copy:", "side1/discard:")) for g in gids)
    assert sum(g.startswith("separator:") for g in gids) == 1


def test_an_unwritable_plot_folder_is_refused_before_running(ran, capsys):
    folder, _, _ = ran
    blocker = folder / "not_a_folder"
    blocker.write_text("")
    assert main(["run", str(folder / "coin.cat"), "--plot", str(blocker)]) == 1
    out, err = capsys.readouterr()
    assert "cannot write plots in" in err and out == ""
