"""Equations between diagrams: both sides drawn as written, equality decided.

An :class:`Equation` is what a law *says* (``copy >> (id @ discard) = id``),
so its picture shows each side exactly as it was composed, with ``=``
between them; :attr:`Equation.holds` says whether the sides are equal up to
the axioms of a Markov category (their normal forms agree).

>>> from catlearn.syntax import Ty, Copy, Discard, Id
>>> R = Ty("Real")
>>> law = Equation(Copy(R) >> (Id(R) @ Discard(R)), Id(R))
>>> law.holds
True
>>> law
<Equation Real -> Real, 2 sides, holds>
"""
from __future__ import annotations

from typing import Any

from catlearn.errors import CatlearnTypeError
from catlearn.syntax.diagram import Diagram


class Equation:
    """``sides[0] = sides[1] = …``: two or more diagrams stated equal."""

    def __init__(self, *sides: Diagram):
        if len(sides) < 2:
            raise CatlearnTypeError(f"an equation needs two sides or more, got {len(sides)}")
        for k, side in enumerate(sides):
            if not isinstance(side, Diagram):
                raise CatlearnTypeError(
                    f"side {k + 1} of the equation is a {type(side).__name__}, not a diagram")
        self.sides = tuple(sides)

    @property
    def lhs(self) -> Diagram:
        return self.sides[0]

    @property
    def rhs(self) -> Diagram:
        return self.sides[-1]

    @property
    def holds(self) -> bool:
        """Whether every side is equal to the first up to the axioms."""
        return all(side == self.sides[0] for side in self.sides[1:])

    def __bool__(self) -> bool:
        return self.holds

    def draw(self, path: str | None = None, **options: Any) -> Any:
        """Every side as written, ``=`` between neighbours (a matplotlib Figure);
        written to ``path`` if given. Gids are prefixed ``side<k>/``."""
        from catlearn.syntax.drawing import draw_sides
        return draw_sides(list(self.sides), path, **options)

    def _repr_svg_(self) -> str:
        from catlearn.syntax.drawing import svg_of
        return svg_of(self.draw())

    def __repr__(self) -> str:
        side = self.sides[0]
        return (f"<Equation {side.dom} -> {side.cod}, {len(self.sides)} sides, "
                f"{'holds' if self.holds else 'does not hold'}>")
