"""A training history: the mean loss of each epoch, as an array that shows itself.

:class:`History` is a one-dimensional ``numpy`` array (everything that
reads a history as an array still does) with a short ``repr`` and, in
Jupyter, a table of its first, last and best losses over a sparkline of the
curve, drawn as a few lines of SVG rather than a matplotlib figure.

>>> h = History([4.0, 2.0, 1.0])
>>> h
<History of 3 epochs: loss 4 -> 1 (best 1)>
>>> float(h.mean()), h[1:].tolist()
(2.3333333333333335, [2.0, 1.0])
"""
from __future__ import annotations

from typing import Sequence

import numpy as np

from catlearn import display

SPARK = (240, 60)  # the sparkline's width and height, in pixels


class History(np.ndarray):
    """The mean loss of each epoch of a training run."""

    def __new__(cls, losses: Sequence[float]) -> "History":
        return np.asarray(losses, dtype=float).view(cls)

    def __repr__(self) -> str:
        if self.ndim != 1:  # a reduction or a reshape is a plain array
            return repr(np.asarray(self))
        if not len(self):
            return "<History of 0 epochs>"
        return (f"<History of {len(self)} epochs: loss {self[0]:.4g} -> {self[-1]:.4g} "
                f"(best {np.min(self):.4g})>")

    def _repr_html_(self) -> str:
        rows = [(len(self), f"{self[0]:.4g}", f"{self[-1]:.4g}", f"{np.min(self):.4g}")
                ] if len(self) else []
        return display.block("training history",
                             [display.table(("epochs", "first loss", "last loss", "best loss"),
                                            rows)], picture=sparkline(np.asarray(self)))


def sparkline(values: np.ndarray) -> str:
    """The curve of ``values`` as a small SVG polyline (highest value on top)."""
    width, height = SPARK
    values = values[np.isfinite(values)]
    if len(values) < 2:
        return f'<svg width="{width}" height="{height}"></svg>'
    low, span = values.min(), max(float(np.ptp(values)), 1e-12)
    xs = np.linspace(2, width - 2, len(values))
    ys = height - 2 - (values - low) / span * (height - 4)
    points = " ".join(f"{x:.1f},{y:.1f}" for x, y in zip(xs, ys))
    return (f'<svg width="{width}" height="{height}" xmlns="http://www.w3.org/2000/svg">'
            f'<polyline points="{points}" fill="none" stroke="#1f77b4" stroke-width="1.5"/>'
            "</svg>")
