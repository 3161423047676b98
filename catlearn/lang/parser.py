"""Parsing: source text to the abstract syntax of :mod:`catlearn.lang.ast`.

The grammar is the file ``catlearn/grammar/catlearn.lark`` shipped in the
package, parsed with LALR(1). The syntax tree is built by lark's inline
transformer, one callback per reduction, so building it never recurses.
Errors from lark become :class:`~catlearn.errors.CatlearnSyntaxError` with the
expected tokens in words.

>>> stmts = parse_source("box f : Real -> Real * Real")
>>> stmts[0].name, [a.name for a in stmts[0].cod.atoms]
('f', ['Real', 'Real'])
>>> parse_source("box f : Real -> -> Real")
Traceback (most recent call last):
...
catlearn.errors.CatlearnSyntaxError: <input>:1:17: unexpected '->'; expected a name
    box f : Real -> -> Real
                    ^
"""
from __future__ import annotations

import functools
from importlib import resources
from typing import Optional

import lark
from lark import Token, Transformer

from catlearn.errors import CatlearnSyntaxError
from catlearn.lang import ast


def _pos(token: Token) -> ast.Pos:
    return (token.line, token.column)


class _KwArg(tuple):
    """``name = value`` inside an argument list: ``(name, value, pos)``."""


def _split_args(args: Optional[list]) -> tuple[tuple, tuple]:
    """Positional and keyword arguments of a call, in order."""
    args = args or []
    return (tuple(a for a in args if not isinstance(a, _KwArg)),
            tuple(tuple(a) for a in args if isinstance(a, _KwArg)))


class _Build(Transformer):
    """One method per grammar rule: children in, an AST node out."""

    # -- statements
    def start(self, ch):
        return ch

    def box_decl(self, ch):
        kw, name, dom, _arrow, cod = ch
        return ast.BoxDecl(str(name), dom, cod, _pos(kw), _pos(name))

    def diagram_def(self, ch):
        kw, name, expr = ch
        return ast.DiagramDef(str(name), expr, _pos(kw), _pos(name))

    def check(self, ch):
        kw, left, eq, right = ch
        return ast.CheckStmt(left, right, _pos(kw), _pos(eq))

    def learner_def(self, ch):
        kw, name, expr, options = ch
        return ast.LearnerDef(str(name), expr, options, _pos(kw), _pos(name))

    def model_def(self, ch):
        kw, name, *rest = ch
        params = tuple(x for x in rest if isinstance(x, ast.Param))
        body = tuple(x for x in rest if x is not None and not isinstance(x, ast.Param))
        return ast.ModelDef(str(name), params, body, _pos(kw), _pos(name))

    def param(self, ch):
        name, ty = ch
        return ast.Param(str(name), ty, _pos(name))

    def data_def(self, ch):
        kw, name, fmt, path = ch
        return ast.DataDef(str(name), str(fmt), str(path)[1:-1], _pos(kw), _pos(name),
                           _pos(fmt), _pos(path))

    def infer(self, ch):
        kw, model, args, given, method = ch
        return ast.InferStmt(str(model), _keywords(args, model), _keywords(given, model),
                             method, _pos(kw), _pos(model))

    def sample(self, ch):
        kw, model, args, method = ch
        return ast.SampleStmt(str(model), _keywords(args, model), method, _pos(kw),
                              _pos(model))

    def train(self, ch):
        kw, learner, table, args, options = ch
        return ast.TrainStmt(str(learner), str(table), _keywords(args, table), options,
                             _pos(kw), _pos(learner), _pos(table))

    def method(self, ch):
        name, args = ch
        positional, keywords = _split_args(args)
        return ast.Method(str(name), positional, keywords, _pos(name))

    def options(self, ch):
        return tuple(ch)

    def option(self, ch):
        name, value = ch
        return ast.Option(str(name), value, _pos(name))

    # -- model statements
    def draw(self, ch):
        target, tilde, dist, args = ch
        positional, keywords = _split_args(args)
        return ast.Draw(target, str(dist), positional, keywords, _pos(tilde), _pos(dist))

    def let(self, ch):
        target, expr = ch
        return ast.Let(target, expr, target.pos)

    def factor(self, ch):
        kw, expr = ch
        return ast.Factor(expr, _pos(kw))

    def return_(self, ch):
        kw, *exprs = ch
        return ast.Return(tuple(exprs), _pos(kw))

    def loop(self, ch):
        kw, var, first, second, *body = ch
        start, stop = (None, first) if second is None else (first, second)
        return ast.Loop(str(var), start, stop, tuple(body), _pos(kw), _pos(var))

    def target(self, ch):
        name, *indices = ch
        return ast.Target(str(name), tuple(i for i in indices if i is not None), _pos(name))

    # -- types
    def type(self, ch):
        atoms = tuple(a for a in ch if isinstance(a, ast.TypeAtom))
        return ast.TypeExpr(atoms, atoms[0].pos)

    def ty_atom(self, ch):
        name, *dims = ch
        return ast.TypeAtom(str(name), tuple(d for d in dims if d is not None), _pos(name))

    def dim_int(self, ch):
        return int(ch[0])

    def dim_name(self, ch):
        return str(ch[0])

    # -- point-free diagrams
    def then(self, ch):
        left, op, right = ch
        return ast.DThen(left, right, _pos(op))

    def tensor(self, ch):
        left, op, right = ch
        return ast.DTensor(left, right, _pos(op))

    def dname(self, ch):
        return ast.DName(str(ch[0]), _pos(ch[0]))

    def dcall(self, ch):
        name, *args = ch
        return ast.DCall(str(name), tuple(a for a in args if a is not None), _pos(name))

    # -- expressions
    def number(self, ch):
        text = str(ch[0])
        is_int = not any(c in text for c in ".eE")
        return ast.Num(int(text) if is_int else float(text), _pos(ch[0]))

    def string(self, ch):
        return ast.Str(str(ch[0])[1:-1], _pos(ch[0]))

    def name(self, ch):
        return ast.Name(str(ch[0]), _pos(ch[0]))

    def call(self, ch):
        name, args = ch
        positional, keywords = _split_args(args)
        return ast.Call(str(name), positional, keywords, _pos(name))

    def list_(self, ch):
        items = tuple(x for x in ch if x is not None)
        return ast.ListExpr(items, items[0].pos if items else None)

    def binop(self, ch):
        left, op, right = ch
        return ast.BinOp(str(op), left, right, _pos(op))

    def neg(self, ch):
        op, operand = ch
        return ast.Neg(operand, _pos(op))

    def subscript(self, ch):
        target, *indices = ch
        return ast.Subscript(target, tuple(indices), target.pos)

    def attr(self, ch):
        target, name = ch
        return ast.Attr(target, str(name), _pos(name))

    def slice_(self, ch):
        start, colon, stop = ch
        return ast.Slice(start, stop, _pos(colon))

    def args(self, ch):
        return list(ch)

    def kwarg(self, ch):
        name, value = ch
        return _KwArg((str(name), value, _pos(name)))


def _keywords(args: Optional[list], where: Token) -> tuple:
    """The ``name = value`` arguments of a query; positional ones are an error."""
    positional, keywords = _split_args(args)
    if positional:
        line, column = positional[0].pos or _pos(where)
        raise CatlearnSyntaxError(
            f"the arguments of {where} must be named, as in {where}(x = ...)",
            line=line, column=column)
    return keywords


@functools.lru_cache(maxsize=None)
def grammar_text() -> str:
    """The grammar shipped in the package."""
    return resources.files("catlearn").joinpath("grammar/catlearn.lark").read_text()


def _refuse_reserved(token: Token) -> Token:
    """Names with two leading underscores are Python's, never a program's: refusing
    them at the lexer keeps every program away from Python's internals."""
    if token.startswith("__"):
        raise CatlearnSyntaxError(f"'{token}': names beginning with two underscores are "
                                  "reserved", line=token.line, column=token.column)
    return token


@functools.lru_cache(maxsize=None)
def _parser() -> lark.Lark:
    return lark.Lark(grammar_text(), parser="lalr", transformer=_Build(),
                     maybe_placeholders=True, lexer_callbacks={"NAME": _refuse_reserved})


_WORDS = {"NAME": "a name", "NUMBER": "a number", "INT": "an integer",
          "STRING": "a string", "$END": "end of input"}


def _word(terminal: str) -> str:
    if terminal in _WORDS:
        return _WORDS[terminal]
    try:
        pattern = _parser().get_terminal(terminal).pattern
    except KeyError:
        return terminal.lower()
    return f"'{pattern.value}'" if pattern.type == "str" else terminal.lower()


def _expected(names) -> str:
    words = sorted({_word(n) for n in names})
    if len(words) > 8:
        words = words[:8] + ["..."]
    return ", ".join(words[:-1]) + " or " + words[-1] if len(words) > 1 else "".join(words)


def parse_source(source: str, filename: Optional[str] = None) -> list:
    """The statements of ``source``, or a :class:`CatlearnSyntaxError`."""
    where = dict(file=filename, source=source)
    try:
        return _parser().parse(source)
    except lark.exceptions.UnexpectedEOF as e:
        lines = source.splitlines() or [""]
        raise CatlearnSyntaxError(f"unexpected end of input; expected {_expected(e.expected)}",
                                  line=len(lines), column=len(lines[-1]) + 1, **where) from None
    except lark.exceptions.UnexpectedToken as e:
        if e.token.type == "$END":
            lines = source.splitlines() or [""]
            line, column = len(lines), len(lines[-1]) + 1
            found = "end of input"
        else:
            line, column, found = e.line, e.column, f"'{e.token}'"
        raise CatlearnSyntaxError(f"unexpected {found}; expected {_expected(e.expected)}",
                                  line=line, column=column, **where) from None
    except lark.exceptions.UnexpectedCharacters as e:
        char = source[e.pos_in_stream] if e.pos_in_stream < len(source) else ""
        expected = f"; expected {_expected(e.allowed)}" if e.allowed else ""
        raise CatlearnSyntaxError(f"unexpected character {char!r}{expected}",
                                  line=e.line, column=e.column, **where) from None
    except CatlearnSyntaxError as e:
        raise e.at(**where) from None
