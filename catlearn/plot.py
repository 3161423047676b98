"""Plots of what a program's queries found: traces, densities, loss curves.

:func:`trace` draws each scalar of a posterior against the draw index, one
line per chain; :func:`density` draws its marginal, a histogram under a
Gaussian kernel density estimate, both weighted by the posterior's
``log_weights`` when the method weights its draws (importance sampling).
Weighted draws have no trace: their order means nothing. :func:`loss_curve`
draws a training history, one point per epoch. Vector sites show their
first :data:`MAX_ELEMENTS` elements (``theta[0]`` …); the JSON summary of
``catlearn run`` has them all.

:func:`plot_query` writes the plots of one statement of a program as PNG
files, as ``catlearn run FILE.cat --plot DIR`` does. Every figure is a
``matplotlib.figure.Figure`` with its own Agg canvas: nothing here touches
pyplot's global state.

>>> import numpy as np
>>> from catlearn.inference.posterior import Posterior
>>> post = Posterior({"w": np.random.default_rng(0).normal(size=(2, 50))})
>>> [len(ax.lines) for ax in trace(post).axes]
[2]
>>> len(loss_curve([3.0, 2.0, 1.5]).axes[0].lines[0].get_xdata())
3
"""
from __future__ import annotations

import itertools
import os
from typing import TYPE_CHECKING, Any, Optional, Sequence

import numpy as np

from catlearn.checkpoint import atomic_write
from catlearn.lang.program import Check, Infer, SampleQuery, Statement, Train
from catlearn.syntax.equation import Equation

if TYPE_CHECKING:
    from catlearn.inference.posterior import Posterior

MAX_ELEMENTS = 4  # elements of a vector site that are drawn
GRID = 200        # points at which a density estimate is evaluated
BINS = 40         # bins of a histogram of real values (numpy's rules ignore weights)
PANEL = (6.0, 1.8)  # inches per panel: one row per scalar


def scalars(posterior: "Posterior") -> list[tuple[str, np.ndarray]]:
    """``(name, draws)`` for each scalar drawn: draws with ``(chain, draw)`` axes;
    a vector site gives its first :data:`MAX_ELEMENTS` elements."""
    out = []
    for site, draws in posterior.samples.items():
        draws = np.asarray(draws)
        for element in itertools.islice(np.ndindex(*draws.shape[2:]), MAX_ELEMENTS):
            name = site + (f"[{', '.join(map(str, element))}]" if element else "")
            out.append((name, draws[(slice(None), slice(None)) + element]))
    return out


def trace(posterior: "Posterior", title: str = "") -> Any:
    """One panel per scalar: its draws against the draw index, one line per chain."""
    shown = scalars(posterior)
    fig, axes = _figure(len(shown), title)
    for ax, (name, draws) in zip(axes, shown):
        for chain, line in enumerate(draws):
            ax.plot(line, linewidth=0.6, alpha=0.8, label=f"chain {chain}")
        ax.set_ylabel(name)
    axes[-1].set_xlabel("draw")
    return fig


def density(posterior: "Posterior", title: str = "") -> Any:
    """One panel per scalar: the histogram of its (weighted) draws, all chains
    pooled, and for real values a Gaussian kernel density estimate over it."""
    from matplotlib.ticker import MaxNLocator
    shown = scalars(posterior)
    weights = _weights(posterior)
    fig, axes = _figure(len(shown), title)
    for ax, (name, draws) in zip(axes, shown):
        values = draws.reshape(-1).astype(float)
        if np.issubdtype(draws.dtype, np.floating):
            ax.hist(values, bins=BINS, weights=weights, density=True, color="0.8")
            grid, estimate = kde(values, weights)
            ax.plot(grid, estimate, color="C0")
        else:  # a count: one bar per value
            edges = np.arange(values.min(), values.max() + 2) - 0.5
            ax.hist(values, bins=edges, weights=weights, density=True, color="0.6",
                    rwidth=0.8)
            ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_xlabel(name)
        ax.set_ylabel("density")
    return fig


def kde(values: np.ndarray, weights: Optional[np.ndarray] = None) -> tuple[np.ndarray,
                                                                           np.ndarray]:
    """A Gaussian kernel density estimate on :data:`GRID` points from the least
    draw to the greatest (so a bounded variable shows no mass past its bounds),
    with Silverman's bandwidth (``n`` is Kish's effective sample size for
    weighted draws).

    >>> grid, p = kde(np.random.default_rng(0).normal(size=2000))
    >>> bool(abs(np.trapezoid(p, grid) - 1) < 0.02)
    True
    """
    w = np.full(len(values), 1.0 / len(values)) if weights is None else weights / weights.sum()
    mean = np.sum(w * values)
    sd = np.sqrt(np.sum(w * (values - mean) ** 2))
    n = 1.0 / np.sum(w ** 2)
    bandwidth = max(1.06 * sd * n ** -0.2, 1e-12)
    grid = np.linspace(values.min(), values.max(), GRID)
    z = (grid[:, None] - values[None, :]) / bandwidth
    return grid, (np.exp(-0.5 * z ** 2) @ w) / (bandwidth * np.sqrt(2 * np.pi))


def loss_curve(history: Sequence[float], title: str = "") -> Any:
    """The mean loss of each epoch, one point per epoch (log scale when positive)."""
    history = np.asarray(history, dtype=float)
    fig, (ax,) = _figure(1, title)
    epochs = np.arange(1, len(history) + 1)
    ax.plot(epochs, history, marker="o", markersize=3)
    if len(history) and np.all(history > 0):
        ax.set_yscale("log")
    ax.set_xlabel("epoch")
    ax.set_ylabel("loss")
    return fig


def plot_query(statement: Statement, directory: str, drawn: set) -> list[str]:
    """Write the plots of a statement that has run into ``directory``; the paths
    written. A check draws its equation, ``line{n}_check.png``. ``drawn`` holds the names whose diagram is already drawn (each is
    drawn once): ``{model}_diagram.png`` or ``{learner}_diagram.png``."""
    figures: dict[str, Any] = {}
    if isinstance(statement, Check):  # the law as written, both sides
        figures[f"line{statement.line}_check.png"] = Equation(
            statement.left, statement.right).draw()
        name = None
    elif isinstance(statement, (Infer, SampleQuery)) and statement.posterior is not None:
        posterior, model = statement.posterior, statement.model.name
        method = getattr(statement, "method", "prior")
        stem = f"line{statement.line}_{model}_{method}"
        title = f"{model} with {method} (line {statement.line})"
        if posterior.log_weights is None:
            figures[f"{stem}_trace.png"] = trace(posterior, title)
        figures[f"{stem}_density.png"] = density(posterior, title)
        observed = tuple(getattr(statement, "data", ()))   # shaded in the model's picture
        name, picture = model, lambda: statement.model.draw(observed=observed)
    elif isinstance(statement, Train) and statement.history is not None:
        name, picture = statement.learner.name, statement.learner.diagram.draw
        figures[f"line{statement.line}_{name}_loss.png"] = loss_curve(
            statement.history, f"{name} (line {statement.line})")
    else:
        return []
    if name is not None and name not in drawn:
        drawn.add(name)
        figures[f"{name}_diagram.png"] = picture()
    os.makedirs(directory, exist_ok=True)
    paths = [os.path.join(directory, file) for file in figures]
    for path, figure in zip(paths, figures.values()):
        # a new file renamed into place: a symlink planted at ``path`` is replaced,
        # never followed (its target is left as it was)
        atomic_write(path, lambda file, figure=figure: figure.savefig(file, format="png"))
    return paths


def _figure(panels: int, title: str) -> tuple[Any, list]:
    """A figure of ``panels`` stacked axes on its own Agg canvas."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    fig = Figure(figsize=(PANEL[0], PANEL[1] * max(panels, 1) + 0.4), layout="constrained")
    FigureCanvasAgg(fig)
    axes = list(fig.subplots(max(panels, 1), 1, squeeze=False)[:, 0])
    if title:
        fig.suptitle(title)
    return fig, axes


def _weights(posterior: "Posterior") -> Optional[np.ndarray]:
    """The normalised weight of each draw, chains pooled; None when unweighted."""
    if posterior.log_weights is None:
        return None
    log_w = np.asarray(posterior.log_weights, dtype=float).reshape(-1)
    w = np.exp(log_w - log_w.max())
    return w / w.sum()
