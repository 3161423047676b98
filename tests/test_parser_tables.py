"""The grammar's LALR tables shipped as JSON (catlearn/lang/tables.py): current,
parsing as the parser built from the grammar does, and ignored when stale."""
import functools
import json
import pathlib
from importlib import resources

import lark
import pytest

from catlearn.errors import CatlearnSyntaxError
from catlearn.lang import parser, tables

EXAMPLES = sorted((pathlib.Path(__file__).parents[1] / "examples").glob("*.cat"))


def test_the_shipped_tables_are_those_of_the_shipped_grammar():
    """Made from this grammar by this lark (lark numbers its states in an order that
    changes from process to process, so two files of one grammar may differ)."""
    shipped = json.loads(resources.files("catlearn").joinpath(tables.FILE).read_text())
    made = tables.generated(parser.grammar_text())
    assert (shipped["grammar_sha256"], shipped["lark"]) == (made["grammar_sha256"],
                                                            made["lark"]), (
        "catlearn/grammar/catlearn.tables.json is stale: run "
        "python -c \"import catlearn.lang.tables as t; t.write()\"")


def test_the_parser_in_use_is_the_stored_one():
    assert parser._parser().source_path == "<deserialized>"


@functools.lru_cache(maxsize=None)
def built():
    return lark.Lark(parser.grammar_text(), **tables.BUILD, transformer=parser._Build(),
                     lexer_callbacks={"NAME": parser._refuse_reserved})


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_the_stored_parser_parses_as_the_built_one(path):
    source = path.read_text()
    assert parser._parser().parse(source) == built().parse(source)


@pytest.mark.parametrize("source", ["box f : Real -> -> Real", "model m( {", "x = 1 $",
                                    "box __f : Real -> Real"])
def test_the_stored_parser_fails_as_the_built_one(source, monkeypatch):
    errors = []
    for made in (parser._parser, built):
        monkeypatch.setattr(parser, "_parser", made)
        with pytest.raises(CatlearnSyntaxError) as caught:
            parser.parse_source(source)
        errors.append(str(caught.value))
    assert errors[0] == errors[1]


def test_tables_of_another_grammar_are_not_used():   # a negative control
    assert tables.stored_parser(parser.grammar_text() + "\n// edited\n") is None
    assert tables.stored_parser(parser.grammar_text()) is not None
