"""The errors catlearn raises at its users.

Every error a user can cause is a :class:`CatlearnError`. Errors that come
from a program carry its file, line and column, and render the offending
line with a caret under the column, so the message names the user's own
words.
"""
from __future__ import annotations


class CatlearnError(Exception):
    """Base class of every error catlearn raises at its users.

    >>> err = CatlearnError("unknown name 'mlq'", file="a.cat", line=2, column=13,
    ...                     source="x = 1\\ndiagram d = mlq >> f\\n")
    >>> print(err)
    a.cat:2:13: unknown name 'mlq'
        diagram d = mlq >> f
                    ^
    """

    def __init__(self, message: str, *, file: str | None = None,
                 line: int | None = None, column: int | None = None,
                 source: str | None = None):
        self.message = message
        self.file = file
        self.line = line
        self.column = column
        self.source = source
        super().__init__(self._render())

    def _render(self) -> str:
        where = ":".join(str(p) for p in (self.file or "<input>", self.line, self.column)
                         if p is not None) if self.line is not None else self.file
        text = f"{where}: {self.message}" if where else self.message
        if self.source is not None and self.line is not None:
            lines = self.source.splitlines()
            if 1 <= self.line <= len(lines):
                text += "\n    " + lines[self.line - 1]
                if self.column is not None:
                    text += "\n    " + " " * (self.column - 1) + "^"
        return text

    def at(self, *, file=None, line=None, column=None, source=None) -> "CatlearnError":
        """The same error, located in a program (fields already set are kept)."""
        self.file = self.file or file
        self.line = self.line if self.line is not None else line
        self.column = self.column if self.column is not None else column
        self.source = self.source or source
        self.args = (self._render(),)
        return self

    def __str__(self) -> str:
        return self._render()


class CatlearnSyntaxError(CatlearnError):
    """A program that does not parse."""


class CatlearnTypeError(CatlearnError):
    """Mismatched types or shapes, in a program or between diagrams."""


class CompositionError(CatlearnTypeError):
    """``f >> g`` where the codomain of ``f`` is not the domain of ``g``."""


class UnknownNameError(CatlearnError):
    """A name that is not defined (or defined twice)."""


class DataError(CatlearnError):
    """Data that is missing, malformed, or of the wrong shape, dtype or support."""


class DistributionError(CatlearnError):
    """A distribution with invalid parameters or an unknown distribution."""


class InferenceError(CatlearnError):
    """Inference that cannot proceed: invalid options, impossible models."""


class TrainingError(CatlearnError):
    """Training that cannot proceed, e.g. a loss that became NaN or infinite."""


class NotSupportedError(CatlearnError):
    """A construct that catlearn does not support (yet)."""


class DegeneracyWarning(UserWarning):
    """Inference that runs but whose answer for some variables is known to be poor,
    e.g. a particle filter's static parameters (drawn once, never moved)."""
