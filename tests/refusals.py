"""Fuzzing's one rule: a program is parsed, or refused by a ``CatlearnError`` that
says what and where; any other exception fails the test that fed it."""
from typing import Optional

import pytest

from catlearn.errors import CatlearnError
from catlearn.lang import parse


def parse_or_refusal(source: str, filename: str = "examples/fuzz.cat"):
    """``(program, None)`` if ``source`` parses, ``(None, error)`` if a CatlearnError
    refuses it; any other exception propagates, failing the test."""
    try:
        return parse(source, filename), None
    except CatlearnError as err:
        return None, err


def is_clear(refusal: Optional[CatlearnError]) -> bool:
    """No refusal, or one with a message and, where it points at a line, a real one."""
    return refusal is None or (bool(refusal.message)
                               and (refusal.line is None or refusal.line >= 1))


def assert_refused(source: str, cls: type, line: int, column: int, words: list[str]) -> None:
    """``source`` is refused by exactly ``cls`` at ``line``/``column``, in ``words``."""
    program, err = parse_or_refusal(source, "bad.cat")
    assert err is not None, "the program was accepted"
    assert type(err) is cls and (err.line, err.column) == (line, column), str(err)
    for word in words:
        assert word in err.message, err.message


def refusal_test(cases: list):
    """A test of ``(source, class, line, column, words)`` cases, one per case."""
    @pytest.mark.parametrize("source, cls, line, column, words", cases)
    def test(source, cls, line, column, words):
        assert_refused(source, cls, line, column, words)
    return test
