"""Types as written in programs: ``Real``, ``Pos[J]``, ``Real[n, 3] * Nat``, ``I``.

>>> from catlearn.lang.parser import parse_source
>>> print(elaborate_type(parse_source("box f : Real[N, 3] * Pos -> I")[0].dom))
Real[N, 3] * Pos
"""
from __future__ import annotations

import difflib

from catlearn.errors import UnknownNameError
from catlearn.lang import ast
from catlearn.syntax.ty import Ob, Ty

BASE_TYPES = ("Real", "Pos", "Prob", "Int", "Nat", "Bool", "Simplex")
"""The base types of the language; ``I`` is the unit of ``*``."""

INTEGRAL = frozenset({"Int", "Nat", "Bool"})
"""Base types whose values are integers (usable as indices and dimensions)."""


def elaborate_type(node: ast.TypeExpr) -> Ty:
    """The :class:`Ty` a type expression denotes."""
    atoms = []
    for atom in node.atoms:
        if atom.name == "I" and not atom.dims:
            continue
        if atom.name not in BASE_TYPES:
            close = difflib.get_close_matches(atom.name, BASE_TYPES, n=1)
            hint = f"; did you mean '{close[0]}'?" if close else ""
            raise ast.error_at(UnknownNameError, f"unknown type '{atom.name}'{hint} "
                               f"(types are {', '.join(BASE_TYPES)} and I)", atom.pos)
        atoms.append(Ob(atom.name, atom.dims))
    return Ty.of(atoms)
