"""Parsing: source text to the abstract syntax of :mod:`catlearn.lang.ast`.

The grammar is the file ``catlearn/grammar/catlearn.lark`` shipped in the
package, parsed with LALR(1). The syntax tree is built by lark's inline
transformer, one callback per reduction, so building it never recurses. A
well-formed program is parsed by :class:`_Driver`, one loop over lark's own
tables (about twice as fast as lark's general machinery); anything else is
parsed by lark, whose errors become :class:`~catlearn.errors.CatlearnSyntaxError`
with the expected tokens in words.

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
import re
from importlib import resources
from typing import Any, Optional

import lark
from lark import Token, Transformer
from lark.parsers.lalr_analysis import Shift

from catlearn.errors import CatlearnSyntaxError
from catlearn.lang import ast, tables

INT_LIMIT = 2 ** 31 - 1  # the largest int32


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

    def learner_composite(self, ch):
        kw, name, expr = ch
        return ast.LearnerComposite(str(name), expr, _pos(kw), _pos(name))

    def model_def(self, ch):
        kw, name, *rest = ch
        params = tuple(x for x in rest if isinstance(x, ast.Param))
        body = tuple(x for x in rest if x is not None and not isinstance(x, ast.Param))
        return ast.ModelDef(str(name), params, body, _pos(kw), _pos(name))

    def fn_def(self, ch):
        kw, name, *rest = ch
        params = tuple(x for x in rest if isinstance(x, ast.Param))
        result = next(x for x in rest if isinstance(x, ast.TypeExpr))
        body = tuple(x for x in rest if x is not None and not isinstance(
            x, (ast.Param, ast.TypeExpr, Token)))
        return ast.FnDef(str(name), params, result, body, _pos(kw), _pos(name))

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

    def precision_stmt(self, ch):
        kw, value = ch
        return ast.PrecisionStmt(str(value)[1:-1], _pos(kw), _pos(value))

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

    def declare(self, ch):
        target, colon, ty, args = ch
        positional, keywords = _split_args(args)
        if positional:
            line, column = positional[0].pos
            raise CatlearnSyntaxError(f"the bounds of {target.name} must be named, as in "
                                      f"{target.name} : {ty.name}(lower = 0)",
                                      line=line, column=column)
        return ast.Declare(target, ty, keywords, _pos(colon))

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
        if any(c in text for c in ".eE"):
            return ast.Num(float(text), _pos(ch[0]))
        value = int(text)
        if value > INT_LIMIT:  # JAX computes in 32 bits: a larger integer would wrap
            shown = text if len(text) <= 30 else f"{text[:12]}...{text[-6:]} ({len(text)} digits)"
            raise CatlearnSyntaxError(f"the integer {shown} is beyond the limit {INT_LIMIT} "
                                      f"(catlearn's integers have 32 bits); for a real number "
                                      "write it with a decimal point", line=ch[0].line, column=ch[0].column)
        return ast.Num(value, _pos(ch[0]))

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
    """lark's parser, from the tables shipped beside the grammar when they are
    current (:mod:`catlearn.lang.tables`), else built from the grammar."""
    callbacks = dict(transformer=_Build(), lexer_callbacks={"NAME": _refuse_reserved})
    return tables.stored_parser(grammar_text(), **callbacks) or lark.Lark(
        grammar_text(), **tables.BUILD, **callbacks)


class _Driver:
    """lark's LALR(1) tables and tree callbacks for the grammar, run by one loop.

    lark's own lexer and parser spend most of their time in the layers that
    make them general (a lexer per parser state, a token stream, a parser
    object per call); for a well-formed program they compute exactly what this
    loop does. The lexer is one regular expression of all terminals, ordered as
    lark orders them; where the parser state does not accept the terminal
    found, the loop tries what lark's contextual lexer would have found in
    that state instead (a keyword read as a name, ``3`` read as an integer).
    Anything this loop cannot parse is handed to lark, so that every syntax
    error is lark's own.
    """

    def __init__(self, parser: lark.Lark):
        table = parser.parser.parser.parser.parse_table
        self.start, self.end = table.start_states["start"], table.end_states["start"]
        self.callbacks = parser.parser.parser.parser.callbacks
        self.lexer_callbacks = parser.lexer_conf.callbacks
        terminals = parser.terminals
        ignore = set(parser.lexer_conf.ignore)  # (a stored parser has no ignore_tokens)
        self.newlines = frozenset(t.name for t in terminals if t.name not in ignore
                                  and _may_span_lines(t.pattern.to_regexp()))
        # keywords: strings that a regular terminal (NAME) would match too
        regexps = [t for t in terminals if t.pattern.type == "re"]
        self.keywords: dict[str, dict[str, str]] = {}
        embedded = set()
        for r in regexps:
            for t in terminals:
                if t.pattern.type == "str" and t.priority == r.priority and \
                        re.fullmatch(r.pattern.to_regexp(), t.pattern.value):
                    self.keywords.setdefault(r.name, {})[t.pattern.value] = t.name
                    embedded.add(t.name)
        ordered = sorted((t for t in terminals if t.name not in embedded | ignore),
                         key=lambda t: (-t.priority, -t.pattern.max_width,
                                        -len(t.pattern.value), t.name))
        self.regexps = [(t.name, re.compile(t.pattern.to_regexp())) for t in ordered
                        if t.pattern.type == "re"]
        # one match: the ignored text (whitespace, comments), then a token or the end
        skip = "|".join(t.pattern.to_regexp() for t in terminals if t.name in ignore)
        tokens = "|".join(f"(?P<{t.name}>{t.pattern.to_regexp()})" for t in ordered)
        self.pattern = re.compile(f"(?:{skip})*(?:{tokens}|(?P<_END>\\Z))")
        # actions: symbol -> the next state (shift), the nonterminal (a reduction
        # ``?a: b`` that passes its one value through), or (size, nonterminal, callback)
        self.actions = {}
        for state, row in table.states.items():
            self.actions[state] = {
                symbol: arg if action is Shift
                else str(arg.origin.name) if _passes_through(arg)
                else (len(arg.expansion), arg.origin.name, self.callbacks[arg])
                for symbol, (action, arg) in row.items()}
        # terminals that every rule drops from its children ("(", ","): kept as text
        kept = {t.name for r in parser.rules for t in r.expansion if t.is_term
                and (r.options.keep_all_tokens or not t.filter_out)}
        self.dropped = frozenset(t.name for t in terminals) - kept
        self.passes: dict[tuple, int] = {}  # (below, top, lookahead) -> top after passing

    def pass_through(self, below: int, origin: str, kind: str) -> int:
        """The state on ``below`` after a chain of pass-through reductions (``?expr: sum``,
        ``?sum: product`` ...) that starts with ``origin`` on lookahead ``kind``."""
        top = self.actions[below][origin]
        while (origin := self.actions[top].get(kind)).__class__ is str:
            top = self.actions[below][origin]
        return top

    def alternatives(self, kind: str, value: str) -> list[str]:
        """What else lark's contextual lexer may read ``value``, found as ``kind``, as
        (a keyword as a name, ``3`` as an integer), in lark's order."""
        return [name for name, regexp in self.regexps
                if name != kind and regexp.fullmatch(value)]

    def parse(self, text: str) -> Any:
        """The value of the start symbol, or None where lark must decide."""
        match, actions, keywords = self.pattern.match, self.actions, self.keywords
        newlines, dropped = self.newlines, self.dropped
        lexer_callbacks, passes = self.lexer_callbacks, self.passes
        new_token = Token._future_new
        states, values = [self.start], []
        pos, line, line_start = 0, 1, 0
        while True:
            m = match(text, pos)
            if m is None:
                return None
            kind = m.lastgroup
            start, end = m.span(kind)
            if start != pos:  # skipped ignored text
                breaks = text.count("\n", pos, start)
                if breaks:
                    line += breaks
                    line_start = text.rindex("\n", pos, start) + 1
            value, column = text[start:end], start - line_start + 1
            if kind == "_END":
                kind = "$END"
            elif kind in keywords:
                kind = keywords[kind].get(value, kind)
            reduced = False
            while True:
                row = actions[states[-1]]
                action = row.get(kind)
                if action is None:
                    # lark's contextual lexer reads the token in the state before any
                    # reduction on it: only there may it be read as something else
                    kind = None if reduced else next(
                        (k for k in self.alternatives(kind, value) if k in row), None)
                    if kind is None:
                        return None
                    continue
                if action.__class__ is int:  # shift
                    if kind == "$END":
                        return None
                    if kind in dropped:  # punctuation no tree callback ever sees
                        values.append(value)
                    else:
                        token = new_token(kind, value, start, line, column)
                        if kind in lexer_callbacks:
                            token = lexer_callbacks[kind](token)
                        values.append(token)
                    states.append(action)
                    break
                reduced = True
                if action.__class__ is str:  # the value stays, the state moves
                    key = (states[-2], states[-1], kind)
                    top = passes.get(key)
                    if top is None:
                        top = passes[key] = self.pass_through(states[-2], action, kind)
                    states[-1] = top
                    continue
                n, origin, callback = action
                if n:
                    children = values[-n:]
                    del states[-n:], values[-n:]
                else:
                    children = []
                goto = actions[states[-1]][origin]
                states.append(goto)
                values.append(callback(children))
                if goto == self.end and kind == "$END":
                    return values[-1]
            if kind in newlines:
                breaks = text.count("\n", start, end)
                if breaks:
                    line += breaks
                    line_start = text.rindex("\n", start, end) + 1
            pos = end


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


def _passes_through(rule) -> bool:
    """Whether reducing by ``rule`` hands on its one child's value unchanged:
    a ``?rule`` of one nonterminal, with no alias, no placeholders, no inlining."""
    (symbol, *more) = rule.expansion or (None, None)
    return (rule.options.expand1 and not more and not symbol.is_term and not rule.alias
            and not rule.options.empty_indices and not symbol.name.startswith("_"))


def _may_span_lines(regexp: str) -> bool:
    """Whether a terminal's matches may hold a line break (as lark judges it)."""
    return "\n" in regexp or "\\n" in regexp or "\\s" in regexp or "[^" in regexp \
        or ("(?s" in regexp and "." in regexp)


@functools.lru_cache(maxsize=None)
def _driver() -> _Driver:
    return _Driver(_parser())


def parse_source(source: str, filename: Optional[str] = None) -> list:
    """The statements of ``source``, or a :class:`CatlearnSyntaxError`."""
    where = dict(file=filename, source=source)
    try:
        statements = _driver().parse(source)
    except CatlearnSyntaxError:
        statements = None  # lark says where, with its own precedence of errors
    if statements is not None:
        return statements
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
