"""The grammar's LALR(1) tables, kept as JSON beside it, so a process does not
build them again.

Building lark's parser from ``catlearn/grammar/catlearn.lark`` (reading the
grammar, computing its LALR(1) automaton) takes about 0.5 s, a fifth of what a
second ``catlearn run`` spent before its first query. The automaton depends
on the grammar alone, so it is computed once and shipped as
``catlearn/grammar/catlearn.tables.json``: lark's own serialised form of the
parser (``Lark.memo_serialize``, the data lark's standalone generator writes),
tuples and dictionaries with non-string keys tagged so that JSON keeps them.
It is read only when it was made from the same grammar text (its SHA-256) by
the same lark version; otherwise the grammar is compiled as before, so a stale
file costs time, never a wrong parse (``tests/test_parser_tables.py`` checks
the shipped file is current). Regenerate it after editing the grammar::

    python -m catlearn.lang.tables

lark's own ``cache=True`` would pickle the parser; this never unpickles
anything: the file is JSON, decoded into plain values that lark rebuilds its
objects from.
"""
from __future__ import annotations

import gc
import hashlib
import json
from importlib import resources
from typing import Any, Optional

import lark
from lark.grammar import Rule
from lark.lexer import TerminalDef

#: how the parser is built; a stored parser was built the same way
BUILD = {"parser": "lalr", "maybe_placeholders": True}
FILE = "grammar/catlearn.tables.json"


def generated(grammar: str) -> dict:
    """The JSON document of the tables of ``grammar``."""
    data, memo = lark.Lark(grammar, **BUILD).memo_serialize([TerminalDef, Rule])
    return {"grammar_sha256": _digest(grammar), "lark": lark.__version__,
            "data": _encoded(data), "memo": _encoded(memo)}


def stored_parser(grammar: str, **callbacks: Any) -> Optional[lark.Lark]:
    """lark's parser of ``grammar`` from the shipped tables, with ``callbacks``
    (``transformer``, ``lexer_callbacks``); ``None`` when they were made from
    another grammar or by another lark."""
    try:
        document = json.loads(resources.files("catlearn").joinpath(FILE).read_text())
    except (OSError, ValueError):
        return None
    if document.get("grammar_sha256") != _digest(grammar) or \
            document.get("lark") != lark.__version__:
        return None
    collecting = gc.isenabled()
    gc.disable()  # ~10^5 new objects, no cycles: a collection would scan JAX's heap too
    try:
        return lark.Lark._load_from_dict(_decoded(document["data"]),
                                         _decoded(document["memo"]), **callbacks)
    finally:
        if collecting:
            gc.enable()


def _digest(grammar: str) -> str:
    return hashlib.sha256(grammar.encode()).hexdigest()


def _encoded(value: Any) -> Any:
    """``value`` in JSON's terms: tuples and dictionaries whose keys are not all
    strings tagged (``{"tuple": [...]}``, ``{"items": [[k, v], ...]}``)."""
    if isinstance(value, dict):
        if all(isinstance(k, str) for k in value) and not {"tuple", "items"} & set(value):
            return {k: _encoded(v) for k, v in value.items()}
        return {"items": [[_encoded(k), _encoded(v)] for k, v in value.items()]}
    if isinstance(value, tuple):
        return {"tuple": [_encoded(v) for v in value]}
    if isinstance(value, list):
        return [_encoded(v) for v in value]
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    raise TypeError(f"lark's tables hold a {type(value).__name__}, which JSON cannot keep")


def _decoded(value: Any) -> Any:
    if isinstance(value, dict):
        if set(value) == {"items"}:
            return {_decoded(k): _decoded(v) for k, v in value["items"]}
        if set(value) == {"tuple"}:
            return tuple(_decoded(v) for v in value["tuple"])
        return {k: _decoded(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_decoded(v) for v in value]
    return value


def write() -> str:
    """Regenerate the shipped tables from the shipped grammar; the file written."""
    grammar = resources.files("catlearn").joinpath("grammar/catlearn.lark").read_text()
    path = str(resources.files("catlearn").joinpath(FILE))
    with open(path, "w") as file:
        json.dump(generated(grammar), file, separators=(",", ":"))
        file.write("\n")
    return path

