"""Fuzzing's one rule: a program is parsed, or refused by a ``CatlearnError`` that
says what and where; any other exception fails the test that fed it."""
from catlearn.errors import CatlearnError
from catlearn.lang import parse


def parses_or_refuses(source: str, filename: str = "examples/fuzz.cat"):
    """The program, or None when a CatlearnError refuses it; anything else fails."""
    try:
        return parse(source, filename)
    except CatlearnError as err:
        assert err.message and (err.line is None or err.line >= 1)
        return None
