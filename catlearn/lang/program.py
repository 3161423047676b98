"""Programs: parsed, elaborated and checked statements, run in order.

:func:`parse` and :func:`load` give a :class:`Program`. Every definition is
elaborated (and type-checked) when the program is built; ``program[name]``
is what the name denotes (a :class:`Diagram`, a :class:`Model`, a
:class:`LearnerSpec`, a :class:`~catlearn.io.DataTable`). Checks and queries
are statements with a ``run()`` that returns the JSON object of
``catlearn run --json``.

>>> prog = parse('''
... box f : Real -> Real
... diagram d = copy(Real) >> (f @ id(Real))
... check copy(Real) >> (id(Real) @ discard(Real)) == id(Real)
... ''')
>>> prog["d"].cod
Ty('Real', 'Real')
>>> prog.run()
[{'kind': 'check', 'line': 4, 'holds': True}]
"""
from __future__ import annotations

import contextlib
import difflib
import functools
import gc
import inspect
import os
import time
from dataclasses import dataclass, field
from typing import Any, Iterator, Mapping, Optional, Sequence

import numpy as np

from catlearn.categories.learn import Learner
from catlearn import display
from catlearn.errors import (CatlearnError, CatlearnTypeError, DataError, NotSupportedError,
                             UnknownNameError)
from catlearn.io import FORMATS, DataTable, load_table, resolve_data_path
from catlearn.lang import ast, bound
from catlearn.lang.diagrams import elaborate_diagram
from catlearn.lang.models import Function, elaborate_function, elaborate_model
from catlearn.lang.parser import parse_source
from catlearn.lang.types import elaborate_type
from catlearn.learning.learner import LOSSES, OPTIMIZERS, learn
from catlearn.learning.losses import Loss, cross_entropy
from catlearn.syntax.diagram import Box, Diagram
from catlearn.syntax.model import Model

INFERENCE_METHODS = ("prior", "importance", "smc", "rmsmc", "pmmh", "rmh", "mala", "hmc",
                     "nuts")
TRAIN_OPTIONS = ("epochs", "batch", "seed", "test", "devices")


# -- statements ---------------------------------------------------------------------

@dataclass
class Statement:
    """A statement of the program, at ``line``/``column`` of its keyword."""

    line: int
    column: int

    def run(self, checkpoint: Optional[str] = None) -> Optional[dict]:
        """Run a check or query: its JSON object; definitions return None. With
        ``checkpoint`` (a path with no suffix), a long query saves its progress there
        and resumes from it."""
        return None

    def __repr__(self) -> str:  # short: a statement's data can be large arrays
        return f"<{type(self).__name__} at line {self.line}>"


@dataclass(repr=False)
class Definition(Statement):
    """``box``, ``diagram``, ``model``, ``learner`` or ``data``: a name for a value."""

    name: str
    value: Any


@dataclass
class LearnerSpec:
    """A ``learner``: ``learn diagram with loss = ..., optimizer = ...`` (built by
    :func:`catlearn.learning.learner.learn`) or a composite ``a >> b``; the
    ``diagram`` it trains and the ``loss`` its last part descends."""

    name: str
    diagram: Diagram
    loss: Loss
    learner: Learner = field(repr=False)


@dataclass(repr=False)
class Check(Statement):
    """``check left == right``: equality in a Markov category."""

    left: Diagram
    right: Diagram

    def run(self, checkpoint: Optional[str] = None) -> dict:
        return {"kind": "check", "line": self.line, "holds": bool(self.left == self.right)}


@dataclass(repr=False)
class Infer(Statement):
    """``infer model(args) given (data) with method(options)``."""

    model: Model
    args: dict
    data: dict
    method: str
    options: dict
    options_at: dict = field(default_factory=dict)
    precision: Optional[str] = None  # "float64": the query runs in double precision
    #: the Posterior of the last run, for plots (``catlearn run --plot``)
    posterior: Any = field(default=None, init=False, repr=False, compare=False)

    def run(self, checkpoint: Optional[str] = None) -> dict:
        what = f"infer {self.model.name} with {self.method}"
        api = _engine("catlearn.inference.api", what)
        if not hasattr(api, self.method):
            raise NotSupportedError(f"not supported yet: {what} (no method {self.method} in "
                                    "catlearn.inference.api)")
        start = time.perf_counter()
        method = _make_method(getattr(api, self.method), self.method, self.options,
                              self.options_at)
        with _in_precision(self.precision):
            posterior = self.posterior = _resumable(
                lambda m: api.infer(self.model, args=self.args, data=self.data, method=m),
                method, self, checkpoint)
            params, warnings = _summary(posterior)
        result = {"kind": "infer", "line": self.line, "model": self.model.name,
                  "method": self.method, "params": params,
                  "log_evidence": _maybe_float(getattr(posterior, "log_evidence", None)),
                  "warnings": warnings, "seconds": round(time.perf_counter() - start, 3)}
        if "divergences" in posterior.stats:
            result["divergences"] = int(posterior.stats["divergences"])
        return result


@dataclass(repr=False)
class SampleQuery(Statement):
    """``sample model(args) with prior(options)``."""

    model: Model
    args: dict
    options: dict
    options_at: dict = field(default_factory=dict)
    precision: Optional[str] = None
    #: the draws of the last run, a Posterior, for plots
    posterior: Any = field(default=None, init=False, repr=False, compare=False)

    def run(self, checkpoint: Optional[str] = None) -> dict:
        api = _engine("catlearn.inference.api", f"sample {self.model.name} with prior")
        start = time.perf_counter()
        method = _make_method(api.prior, "prior", self.options, self.options_at)
        with _in_precision(self.precision):
            draws = self.posterior = api.infer(self.model, args=self.args, data={},
                                               method=method)
            params, warnings = _summary(draws)
        return {"kind": "sample", "line": self.line, "model": self.model.name,
                "method": "prior", "params": params, "log_evidence": None,
                "warnings": warnings,
                "seconds": round(time.perf_counter() - start, 3)}


@dataclass(repr=False)
class Train(Statement):
    """``train learner on table(x = ..., y = ...) with epochs = ..., ...``."""

    learner: LearnerSpec
    x: np.ndarray
    y: np.ndarray
    options: dict
    #: the mean loss of each epoch of the last run, for plots
    history: Optional[np.ndarray] = field(default=None, init=False, repr=False, compare=False)

    def run(self, checkpoint: Optional[str] = None) -> dict:
        """Train; the last epoch's mean loss, and, with ``test = f``, the loss on
        the held-out examples. Accuracies are given for class labels only
        (``null`` for regression). With ``checkpoint``, every epoch is saved and an
        interrupted run resumes from its last one."""
        import jax
        from catlearn.learning.train import accuracy, fit, loss, train_test_split
        learner, (x, y), held_out = self.learner.learner, (self.x, self.y), None
        key = jax.random.key(self.options.get("seed", 0))
        if "test" in self.options:
            split_key, key = jax.random.split(key)
            (x, y), held_out = train_test_split(split_key, x, y, self.options["test"])
        start = time.perf_counter()
        params, history = fit(learner, None, x, y, epochs=self.options.get("epochs", 1),
                              batch_size=self.options.get("batch", 32), key=key,
                              progress=False, devices=self.options.get("devices"),
                              checkpoint=checkpoint and checkpoint + ".train")
        self.history = history
        single = learner.n_out == 1
        classes = single and (self.learner.loss is cross_entropy
                              or bool(np.all(self.y == np.round(self.y))))
        result = {"kind": "train", "line": self.line, "learner": self.learner.name,
                  "loss": float(history[-1]),
                  "accuracy": accuracy(learner, params, x, y) if classes else None,
                  "test_loss": None, "test_accuracy": None}
        if held_out:
            result["test_loss"] = loss(learner, params, *held_out)
            result["test_accuracy"] = accuracy(learner, params, *held_out) if classes else None
        result["seconds"] = round(time.perf_counter() - start, 3)
        return result


def _resumable(run: Any, method: Any, query: Infer, checkpoint: Optional[str]) -> Any:
    """``run(method)``'s posterior; with ``checkpoint``, the one kept there by an earlier
    run of the same query, else a run whose MCMC chains save their progress (and
    resume from it), its posterior then kept for the next."""
    if checkpoint is None:
        return run(method)
    import dataclasses
    from catlearn import checkpoint as checkpoints
    from catlearn.inference import resume
    from catlearn.inference.target import Target
    options = {f.name: getattr(method, f.name) for f in dataclasses.fields(method)
               if f.name not in ("progress", "devices", "checkpoint")}
    made_by = checkpoints.fingerprint(query.model.signature, repr(query.model.diagram),
                                      query.args, query.data, query.method, options,
                                      query.precision)
    kept = checkpoint + ".posterior"
    if checkpoints.exists(kept):
        return resume.load(kept, made_by, Target(query.model, query.args, query.data))
    if any(f.name == "checkpoint" for f in dataclasses.fields(method)):
        method = dataclasses.replace(method, checkpoint=checkpoint + ".chains")
    posterior = run(method)
    resume.save(kept, posterior, made_by)
    return posterior


def _make_method(constructor: Any, name: str, options: dict, options_at: dict) -> Any:
    """``constructor(**options)``, refusing options it does not take by name."""
    import inspect
    known = [p.name for p in inspect.signature(constructor).parameters.values()
             if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)]
    for option in options:
        if option not in known:
            close = difflib.get_close_matches(option, known, n=1)
            hint = f"; did you mean '{close[0]}'?" if close else ""
            raise ast.error_at(UnknownNameError, f"{name} has no option '{option}'{hint} "
                               f"(options: {', '.join(known)})", options_at.get(option))
    return constructor(**options)


def _engine(module: str, what: str):
    """The module that runs a query, or a clear error while it does not exist."""
    import importlib
    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as err:
        if err.name and module.startswith(err.name):
            raise NotSupportedError(f"not supported yet: {what} ({module} is not "
                                    "available)") from None
        raise


def _summary(result: Any) -> tuple[dict, list[str]]:
    """The JSON rows of a posterior's summary, and its warnings (from the same rows)."""
    summary = result.summary_dict()
    return ({name: {k: _maybe_float(v) for k, v in stats.items()}
             for name, stats in summary.items()}, result.warnings(summary))


def _maybe_float(value: Any) -> Optional[float]:
    return None if value is None else float(value)


# -- programs -----------------------------------------------------------------------

class Program(Mapping):
    """The elaborated statements of a program; definitions by name."""

    def __init__(self, statements: list[Statement], filename: Optional[str], source: str):
        self.statements = statements
        self.filename, self.source = filename, source
        self.definitions = {s.name: s.value for s in statements if isinstance(s, Definition)}

    def __getitem__(self, name: str) -> Any:
        if name not in self.definitions:
            close = difflib.get_close_matches(name, self.definitions, n=1)
            hint = f"; did you mean '{close[0]}'?" if close else ""
            raise UnknownNameError(f"{self.filename or 'the program'} defines no '{name}'{hint}")
        return self.definitions[name]

    def __contains__(self, name: object) -> bool:
        return name in self.definitions

    def get(self, name: str, default: Any = None) -> Any:
        return self.definitions.get(name, default)

    def __iter__(self) -> Iterator[str]:
        return iter(self.definitions)

    def __len__(self) -> int:
        return len(self.definitions)

    def queries(self) -> list[Statement]:
        """The checks and queries, in file order."""
        return [s for s in self.statements if not isinstance(s, Definition)]

    def run(self) -> list[dict]:
        """Run every check and query in order; the list of their JSON objects."""
        return [self.run_statement(s) for s in self.queries()]

    def run_statement(self, statement: Statement, checkpoints: Optional[str] = None) -> dict:
        """Run one statement, locating its errors in the program; with ``checkpoints``
        (a folder), its progress is saved there as ``line<N>…`` and resumed from."""
        try:
            if checkpoints is None:
                return statement.run()
            return statement.run(os.path.join(checkpoints, f"line{statement.line}"))
        except CatlearnError as err:
            raise err.at(file=self.filename, line=statement.line, column=statement.column,
                         source=self.source) from None

    def __repr__(self) -> str:
        return f"<Program {self.filename or ''} with {len(self.statements)} statements>"

    def _repr_html_(self) -> str:
        """Each statement's line and first line of source, and whether it has run."""
        lines = self.source.splitlines()
        rows = [(s.line, lines[s.line - 1].strip() if 0 < s.line <= len(lines) else "",
                 _status(s)) for s in self.statements]
        return display.block(f"program {self.filename or ''}",
                             [display.table(("line", "statement", "status"), rows)])


def _status(statement: Statement) -> str:
    """How a program's table shows a statement: a definition's value, or a
    query's last result."""
    if isinstance(statement, Definition):
        return type(statement.value).__name__
    if getattr(statement, "posterior", None) is not None:
        return repr(statement.posterior)
    if getattr(statement, "history", None) is not None:
        return f"trained, last loss {statement.history[-1]:.4g}"
    return "not run"


@contextlib.contextmanager
def _without_cycle_collection() -> Iterator[None]:
    """Building a program allocates many small objects and no reference cycles;
    Python's cycle collector would scan them all again and again (on a large
    program, 40% of the time), so it waits until the program is built."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


@_without_cycle_collection()
def parse(source: str, filename: Optional[str] = None,
          allow_paths: Sequence[str] = ()) -> Program:
    """Parse, elaborate and type-check ``source``; data paths are relative to
    ``filename``'s folder (the current one without it) and may lead only into
    it or into one of the folders ``allow_paths``."""
    if not isinstance(source, str):
        raise CatlearnTypeError(f"parse needs the program's text as a str, got "
                                f"{type(source).__name__}; use load(path) for a file")
    base = os.path.dirname(os.path.abspath(filename)) if filename else os.getcwd()
    folders = (base, *allow_paths)
    statements = parse_source(source, filename)
    env: dict[str, Any] = {}
    where: dict[str, int] = {}
    out = []
    precision: Optional[ast.PrecisionStmt] = None
    for node in statements:
        try:
            if isinstance(node, ast.PrecisionStmt):
                precision = _program_precision(node, precision)
                continue
            stmt = _elaborate(node, env, folders)
            if isinstance(stmt, Definition):
                if stmt.name in env:
                    raise ast.error_at(UnknownNameError, f"{stmt.name} is already defined on "
                                       f"line {where[stmt.name]}", node.name_pos)
                env[stmt.name], where[stmt.name] = stmt.value, stmt.line
            out.append(stmt)
        except CatlearnError as err:
            raise err.at(file=filename, line=node.pos[0], column=node.pos[1],
                         source=source) from None
    for stmt in out:  # a query's own precision wins over the program's
        if isinstance(stmt, (Infer, SampleQuery)) and stmt.precision is None and precision:
            stmt.precision = precision.value
    return Program(out, filename, source)


def _program_precision(node: ast.PrecisionStmt,
                       before: Optional[ast.PrecisionStmt]) -> ast.PrecisionStmt:
    if before is not None:
        raise ast.error_at(UnknownNameError, f"the precision is already set on line "
                           f"{before.pos[0]}", node.pos)
    if node.value not in PRECISIONS:
        raise ast.error_at(CatlearnTypeError, f"precision is \"float32\" or \"float64\", "
                           f"got {node.value!r}", node.value_pos)
    return node


def load(path: str, allow_paths: Sequence[str] = ()) -> Program:
    """Read and parse the program in ``path`` (see :func:`parse` for ``allow_paths``)."""
    try:
        with open(path, encoding="utf-8-sig") as file:  # a BOM is accepted and dropped
            source = file.read()
    except UnicodeDecodeError as err:
        raise DataError(f"cannot read {path}: it is not UTF-8 text (byte "
                        f"{err.object[err.start]:#04x} at offset {err.start})") from None
    except OSError as err:
        raise DataError(f"cannot read {path}: {err.strerror or err}") from None
    return parse(source, path, allow_paths)


# -- elaboration of each statement ---------------------------------------------------

def _elaborate(node: Any, env: dict, folders: tuple) -> Statement:
    line, column = node.pos
    if isinstance(node, ast.BoxDecl):
        box = Box(node.name, elaborate_type(node.dom), elaborate_type(node.cod))
        return Definition(line, column, node.name, box)
    if isinstance(node, ast.DiagramDef):
        return Definition(line, column, node.name, elaborate_diagram(node.expr, env))
    if isinstance(node, ast.CheckStmt):
        left, right = elaborate_diagram(node.left, env), elaborate_diagram(node.right, env)
        if (left.dom, left.cod) != (right.dom, right.cod):
            raise ast.error_at(CatlearnTypeError, f"cannot compare a diagram {left.dom} -> "
                               f"{left.cod} with one {right.dom} -> {right.cod}", node.eq_pos)
        return Check(line, column, left, right)
    if isinstance(node, ast.ModelDef):
        model = elaborate_model(node, _functions(env))
        model.check_binding = functools.partial(bound.check, node)
        return Definition(line, column, node.name, model)
    if isinstance(node, ast.FnDef):
        return Definition(line, column, node.name, elaborate_function(node, _functions(env)))
    if isinstance(node, ast.LearnerDef):
        return Definition(line, column, node.name, _learner(node, env))
    if isinstance(node, ast.LearnerComposite):
        return Definition(line, column, node.name, _composite(node, env))
    if isinstance(node, ast.DataDef):
        if node.format not in FORMATS:
            close = difflib.get_close_matches(node.format, FORMATS, n=1)
            hint = f"; did you mean '{close[0]}'?" if close else ""
            raise ast.error_at(UnknownNameError, f"unknown data format '{node.format}'{hint}",
                               node.format_pos)
        try:
            path = resolve_data_path(node.path, folders[0], folders[1:])
        except CatlearnError as err:
            raise ast.error_at(type(err), err.message, node.path_pos) from None
        table = load_table(path, node.format, node.name)
        return Definition(line, column, node.name, table)
    if isinstance(node, ast.InferStmt):
        model = _lookup(env, node.model, Model, "a model", node.model_pos)
        args = _bind_args(model, node.args, env, node.model_pos)
        data = _bind_data(model, node.given, env)
        method, options = _method(node.method, INFERENCE_METHODS)
        precision = _precision(options, node.method)
        return Infer(line, column, model, args, data, method, options, _positions(node.method),
                     precision)
    if isinstance(node, ast.SampleStmt):
        model = _lookup(env, node.model, Model, "a model", node.model_pos)
        args = _bind_args(model, node.args, env, node.model_pos)
        _, options = _method(node.method, ("prior",))
        precision = _precision(options, node.method)
        return SampleQuery(line, column, model, args, options, _positions(node.method),
                           precision)
    if isinstance(node, ast.TrainStmt):
        return _train(node, env)
    raise AssertionError(f"no elaboration for {type(node).__name__}")


def _functions(env: dict) -> dict:
    """The user functions defined so far."""
    return {name: value for name, value in env.items() if isinstance(value, Function)}


def _lookup(env: dict, name: str, kind: type, what: str, pos: ast.Pos) -> Any:
    if name not in env:
        known = [k for k, v in env.items() if isinstance(v, kind)]
        close = difflib.get_close_matches(name, known, n=1)
        hint = f"; did you mean '{close[0]}'?" if close else ""
        raise ast.error_at(UnknownNameError, f"unknown name '{name}'{hint}", pos)
    if not isinstance(env[name], kind):
        raise ast.error_at(CatlearnTypeError, f"{name} is not {what}", pos)
    return env[name]


def _value(node: Any, env: dict, table: Optional[DataTable] = None) -> Any:
    """The value of a query argument: numbers, lists, ``d.x`` (or a column of ``table``),
    and arithmetic and functions of those (``log(d.y)``, ``d.x - mean(d.x)``)."""
    def visit(n, kids):
        if isinstance(n, ast.Num):
            return n.value
        if isinstance(n, (ast.Neg, ast.BinOp, ast.Call)):
            return _compute(n, kids)
        if isinstance(n, ast.ListExpr):
            return _stack(kids, n)
        if isinstance(n, ast.Attr) and isinstance(n.target, ast.Name):
            data = _lookup(env, n.target.id, DataTable, "data", n.target.pos)
            return _column(data, n.name, n.pos)
        if _is_column_range(n):
            data = _lookup(env, n.target.id, DataTable, "data", n.target.pos)
            return _column_range(data, n.indices[0])
        if isinstance(n, ast.Slice):
            return _slice(n, kids)
        if isinstance(n, ast.Subscript):
            return _subscript(n, kids[0], kids[1:])
        if isinstance(n, ast.Name) and table is not None:
            return _column(table, n.id, n.pos)
        if isinstance(n, ast.Name):
            raise ast.error_at(UnknownNameError, f"unknown value '{n.id}': give a number, a "
                               "list or a data column such as d.x", n.pos)
        if isinstance(n, ast.Str):
            return n.value
        raise ast.error_at(CatlearnTypeError, "a query argument must be a number, a list or "
                           "a data column such as d.x", n.pos)
    return ast.postorder(node, visit, lambda n: () if isinstance(n, ast.Attr)
                         or _is_column_range(n) else n.kids())


def _is_column_range(node: Any) -> bool:
    """``d[a:b]``: a data table's columns from ``a`` to ``b``."""
    return (isinstance(node, ast.Subscript) and isinstance(node.target, ast.Name)
            and len(node.indices) == 1 and isinstance(node.indices[0], ast.Slice))


def _column_range(table: DataTable, span: ast.Slice) -> np.ndarray:
    """The columns from ``span.start`` to ``span.stop``, both included, in the
    file's order (an absent bound is the first or the last column), one row
    per example."""
    names = table.columns

    def place(bound: Any, default: int) -> int:
        if bound is None:
            return default
        if not isinstance(bound, ast.Name):
            raise ast.error_at(CatlearnTypeError, f"a column range names its first and last "
                               f"columns, as in {table.name}[{names[0]}:{names[-1]}]",
                               getattr(bound, "pos", span.pos))
        _column(table, bound.id, bound.pos)
        return names.index(bound.id)

    first, last = place(span.start, 0), place(span.stop, len(names) - 1)
    if first > last:
        raise ast.error_at(DataError, f"the column range {names[first]}:{names[last]} is empty: "
                           f"{names[last]} comes before {names[first]} in {table.name}",
                           span.pos)
    return np.stack([table[name] for name in names[first:last + 1]], axis=1)


def _slice(node: ast.Slice, bounds: list) -> slice:
    """``a:b`` in a query value: whole-number bounds (numbers, ``d.K``, arithmetic of
    those), either left out, negative ones counting from the end as in NumPy."""
    given = iter(bounds)
    start, stop = (None if bound is None else _whole(bound, next(given))
                   for bound in (node.start, node.stop))
    return slice(start, stop)


def _whole(node: Any, value: Any) -> int:
    array = np.asarray(value)
    if array.ndim or array.dtype.kind not in "iu" and not (
            array.dtype.kind == "f" and float(array).is_integer()):
        raise ast.error_at(CatlearnTypeError, "an index or slice bound in a query must be a "
                           f"whole number, got {array.tolist()}", node.pos)
    return int(array)


def _subscript(node: ast.Subscript, value: Any, indices: list) -> np.ndarray:
    """``d.y[5:]``, ``d.y[:K]``, ``d.X[:, 0]``: part of a query value, as NumPy
    indexes it (whole numbers and slices, one per axis at most); an index outside
    the value or a slice that leaves nothing is refused where it is written."""
    array = np.asarray(value)
    index = tuple(i if isinstance(i, slice) else _whole(at, i)
                  for at, i in zip(node.indices, indices))
    if len(index) > array.ndim:
        raise ast.error_at(DataError, f"{len(index)} indices for a value of shape "
                           f"{array.shape}", node.pos)
    for at, i, size in zip(node.indices, index, array.shape):
        if isinstance(i, int) and not -size <= i < size:
            raise ast.error_at(DataError, f"index {i} is outside an axis of {size} "
                               "entries", at.pos)
        if isinstance(i, slice) and not len(range(size)[i]):
            raise ast.error_at(DataError, f"the slice {_shown(i)} of an axis of {size} "
                               "entries is empty", at.pos)
    return array[index]


def _shown(span: slice) -> str:
    return f"{'' if span.start is None else span.start}:{'' if span.stop is None else span.stop}"


def _column(table: DataTable, name: str, pos: ast.Pos) -> np.ndarray:
    try:
        return table[name]
    except CatlearnError as err:
        raise ast.error_at(type(err), err.message, pos) from None


def _stack(items: list, node: ast.ListExpr) -> np.ndarray:
    """A list's value. Written out, ``[[1, 2], [3, 4]]`` is read row by row, as
    NumPy and Stan read it; a list of data columns ``[d.a, d.b]`` is a table, one
    row per example (each column one column of the matrix)."""
    try:
        array = np.asarray(items)
    except ValueError:
        array = None
    if array is None or array.dtype.kind not in "iufb":
        raise ast.error_at(DataError, "a list must hold numbers or columns of one length",
                           node.pos)
    rows = [isinstance(item, ast.ListExpr) or not np.ndim(value)
            for item, value in zip(node.items, items)]
    if array.ndim == 2 and not all(rows) and any(rows):
        raise ast.error_at(DataError, "a list mixes rows written out with data columns; "
                           "write a matrix row by row, [[1, 2], [3, 4]], or list columns, "
                           "[d.a, d.b]", node.pos)
    return array.T if array.ndim == 2 and not any(rows) else array


def _compute(node: Any, kids: list) -> np.ndarray:
    """Arithmetic or a function of the language on query values, computed once
    by the primitive's own function; a result that is not finite is refused
    where it is written (``log`` of a zero)."""
    import jax
    from catlearn.primitives import ops
    if isinstance(node, ast.Neg) and isinstance(kids[0], (int, float)):
        return -kids[0]  # a negative literal stays a Python number (seed = -1)
    if isinstance(node, ast.Neg):
        name, args, kwargs = "neg", kids, {}
    elif isinstance(node, ast.BinOp):
        name, args, kwargs = ops.OPERATORS[node.op], kids, {}
    else:
        name, args = node.func, kids[:len(node.args)]
        kwargs = {key: value for (key, _, _), value in zip(node.kwargs, kids[len(node.args):])}
        callable_ = [k for k in ops.PRIMITIVES if k not in ops.NOT_BY_NAME]
        if name not in callable_:
            from catlearn.distributions import DISTRIBUTIONS
            if name in DISTRIBUTIONS:
                raise ast.error_at(CatlearnTypeError, f"{name} is a distribution; a query "
                                   "argument is a value", node.pos)
            close = difflib.get_close_matches(name, callable_, n=1)
            hint = f"; did you mean '{close[0]}'?" if close else ""
            raise ast.error_at(UnknownNameError, f"unknown function '{name}'{hint}", node.pos)
    shown = ("-" if name == "neg" else getattr(node, "op", None) or f"{name}(...)")
    if any(isinstance(a, str) for a in (*args, *kwargs.values())):
        raise ast.error_at(CatlearnTypeError, f"{shown} takes numbers, not a string", node.pos)
    try:
        # in double precision, as data prepared with NumPy would be; the query's
        # precision applies when the values enter the model
        with jax.enable_x64(True):
            value = np.asarray(ops.PRIMITIVES[name].fn(*args, **kwargs))
    except (TypeError, ValueError) as err:
        shapes = " and ".join(str(np.shape(a)) for a in args)
        raise ast.error_at(CatlearnTypeError, f"{shown} cannot take values of shape "
                           f"{shapes}: {err}", node.pos) from None
    if value.dtype.kind == "f" and not np.all(np.isfinite(value)):
        at = np.argwhere(~np.isfinite(value))
        where = f" (at index {tuple(int(i) for i in at[0])})" if value.ndim else ""
        raise ast.error_at(DataError, f"{shown} is not finite on these data{where}", node.pos)
    return value.item() if value.ndim == 0 else value


def _bind_args(model: Model, given: tuple, env: dict, pos: ast.Pos) -> dict:
    """The values of the model's arguments, checked against their types;
    symbolic dimensions (``Real[N]``) are bound from the data."""
    types = dict(model.args)
    values, dims = {}, {}
    for name, expr, at in given:
        if name not in types:
            close = difflib.get_close_matches(name, types, n=1)
            hint = f"; did you mean '{close[0]}'?" if close else ""
            raise ast.error_at(UnknownNameError, f"{model.name} has no argument '{name}'{hint}",
                               at)
        values[name] = np.asarray(_value(expr, env))
        ob = types[name].objects[0]
        _check_shape(f"{name} : {ob}", ob, values[name], dims, values, at)
    missing = [n for n in types if n not in values]
    if missing:
        raise ast.error_at(CatlearnTypeError, f"{model.name} needs its argument"
                           f"{'s' if len(missing) > 1 else ''} {', '.join(missing)}", pos)
    return values


def _check_shape(what: str, ob, value: np.ndarray, dims: dict, args: dict, pos) -> None:
    if value.ndim != len(ob.shape):
        raise ast.error_at(DataError, f"{what} needs {len(ob.shape)} axes, the value has "
                           f"shape {value.shape}", pos)
    for axis, (dim, size) in enumerate(zip(ob.shape, value.shape)):
        if isinstance(dim, str) and dim in args and args[dim].ndim == 0:
            dim = int(args[dim])
        if isinstance(dim, str):
            dim = dims.setdefault(dim, size)
        if dim != size:
            raise ast.error_at(DataError, f"{what}: axis {axis} has length {size}, expected "
                               f"{dim}", pos)
    if ob.name == "Nat" and not ob.shape and (value.dtype.kind not in "iub" or value < 0):
        raise ast.error_at(DataError, f"{what} must be a whole number >= 0, got "
                           f"{value.tolist()}", pos)


def _bind_data(model: Model, given: tuple, env: dict) -> dict:
    sites = sorted({s.site for s in model.sites()})
    data = {}
    for name, expr, at in given:
        if name not in sites:
            close = difflib.get_close_matches(name, sites, n=1)
            hint = f"; did you mean '{close[0]}'?" if close else ""
            raise ast.error_at(UnknownNameError, f"{model.name} has no random variable "
                               f"'{name}'{hint}", at)
        data[name] = np.asarray(_value(expr, env))
    return data


def _static_options(kwargs: tuple, owner: str) -> dict:
    options = {}
    for name, expr, pos in kwargs:
        value = _value(expr, {})
        if not isinstance(value, (int, float, str)):
            raise ast.error_at(CatlearnTypeError, f"{owner}: the option {name} must be a "
                               "number or a string", pos)
        options[name] = value
    return options


def _method(node: ast.Method, allowed: tuple) -> tuple[str, dict]:
    if node.name not in allowed:
        close = difflib.get_close_matches(node.name, allowed, n=1)
        hint = f"; did you mean '{close[0]}'?" if close else ""
        raise ast.error_at(UnknownNameError, f"unknown method '{node.name}'{hint} (methods: "
                           f"{', '.join(allowed)})", node.pos)
    if node.args:
        raise ast.error_at(CatlearnTypeError, f"the options of {node.name} must be named, as "
                           f"in {node.name}(seed = 0)", node.args[0].pos)
    options = _static_options(node.kwargs, node.name)
    if "seed" in options and not isinstance(options["seed"], int):
        raise ast.error_at(CatlearnTypeError, f"{node.name}: the seed must be a whole number, "
                           f"got {options['seed']!r}", _positions(node)["seed"])
    return node.name, options


PRECISIONS = ("float32", "float64")


def _precision(options: dict, node: ast.Method) -> Optional[str]:
    """The option ``precision = "float64"`` of a query (taken out of the method's)."""
    precision = options.pop("precision", None)
    if precision is not None and precision not in PRECISIONS:
        raise ast.error_at(CatlearnTypeError, f"precision is \"float32\" or \"float64\", "
                           f"got {precision!r}", _positions(node)["precision"])
    return precision


@contextlib.contextmanager
def _in_precision(precision: Optional[str]) -> Iterator[None]:
    """JAX in double precision for a query with ``precision = "float64"`` (single
    with "float32"; as the process is, otherwise)."""
    if precision is None:
        yield
        return
    import jax
    with jax.enable_x64(precision == "float64"):
        yield


def _positions(node: ast.Method) -> dict:
    return {name: pos for name, _, pos in node.kwargs}


def _learner(node: ast.LearnerDef, env: dict) -> LearnerSpec:
    diagram = elaborate_diagram(node.expr, env)
    options = {o.name: o for o in node.options}
    for o in node.options:
        if o.name not in ("loss", "optimizer"):
            close = difflib.get_close_matches(o.name, ("loss", "optimizer"), n=1)
            hint = f"; did you mean '{close[0]}'?" if close else ""
            raise ast.error_at(UnknownNameError, f"unknown learner option '{o.name}'{hint}",
                               o.pos)
    if "loss" not in options:
        raise ast.error_at(CatlearnTypeError, f"learner {node.name} needs a loss, as in "
                           "loss = mse", node.name_pos)
    loss = _learning_part(options["loss"].value, LOSSES, "loss")
    optimizer = (_learning_part(options["optimizer"].value, OPTIMIZERS, "optimizer")
                 if "optimizer" in options else OPTIMIZERS["adam"]())
    try:
        return LearnerSpec(node.name, diagram, loss, learn(diagram, loss, optimizer))
    except CatlearnError as err:
        # a type error is the loss not fitting the model's outputs; anything else
        # is a box of the diagram without a meaning in Para
        at = options["loss"].value if isinstance(err, CatlearnTypeError) else node.expr
        raise ast.error_at(type(err), f"learner {node.name}: {err.message}", at.pos) from None


def _composite(node: ast.LearnerComposite, env: dict) -> LearnerSpec:
    """``a >> b`` of learners, composed in Learn (*Backprop as Functor*): ``b``'s
    request is the target ``a`` trains on."""
    def visit(n: Any, kids: list) -> LearnerSpec:
        if isinstance(n, ast.DName):
            return _lookup(env, n.id, LearnerSpec, "a learner: compose learners, as in "
                           "learner c = a >> b, each made by learn", n.pos)
        if isinstance(n, ast.DThen):
            first, then = kids
            try:
                diagram = first.diagram >> then.diagram
            except CatlearnError as err:
                raise ast.error_at(type(err), err.message, n.pos) from None
            return LearnerSpec(node.name, diagram, then.loss, first.learner >> then.learner)
        if isinstance(n, ast.DTensor):
            first, then = kids
            return LearnerSpec(node.name, first.diagram @ then.diagram, then.loss,
                               first.learner @ then.learner)
        raise ast.error_at(CatlearnTypeError, "a composite learner names learners, as in "
                           "learner c = a >> b; to make one from a diagram, write "
                           "learner a = learn <diagram> with loss = ...", n.pos)
    return ast.postorder(node.expr, visit)


def _split_columns(x: np.ndarray, dom: tuple, name: str, pos: ast.Pos) -> tuple:
    """The columns of ``x`` cut by the widths of side-by-side inputs (``Real[4] * Real[3]``)."""
    widths = [ob.shape[0] if len(ob.shape) == 1 and isinstance(ob.shape[0], int) else None
              for ob in dom]
    shown = " * ".join(map(str, dom))
    if None in widths or x.ndim != 2 or x.shape[1] != sum(widths):
        raise ast.error_at(DataError, f"x has shape {x.shape[1:]} per example, but {name} "
                           f"takes {shown}: give {sum(w or 0 for w in widths)} columns, cut "
                           "in that order", pos)
    return tuple(np.split(x, np.cumsum(widths)[:-1], axis=1))


def _split_targets(y: np.ndarray, n: int, name: str, pos: ast.Pos) -> tuple:
    """One target column for each learner side by side."""
    if y.ndim != 2 or y.shape[1] != n:
        raise ast.error_at(DataError, f"{name} trains {n} learners side by side, so y must "
                           f"give {n} columns, one target each, as in y = [a, b]; it has shape "
                           f"{y.shape[1:]} per example", pos)
    return tuple(y[:, i] for i in range(n))


NLL_EXAMPLE = ("nll(Normal, scale = 1) for a model of the mean, nll(Normal) for one of the mean "
               "and the scale")


def _learning_part(node: Any, table: Mapping[str, Any], what: str) -> Any:
    """The loss or optimiser a learner names: ``mse``, ``adam``, ``adam(0.01)``,
    ``nll(Normal, scale = 1)`` (a family is named by its bare name)."""
    name = node.func if isinstance(node, ast.Call) else getattr(node, "id", "this")
    if name not in table:
        close = difflib.get_close_matches(name, table, n=1)
        hint = f"; did you mean '{close[0]}'?" if close else ""
        plural = {"loss": "losses", "optimizer": "optimizers"}[what]
        raise ast.error_at(UnknownNameError, f"unknown {what} '{name}'{hint} ({plural}: "
                           f"{', '.join(table)})", node.pos)
    make = table[name]
    if name == "nll" and not (isinstance(node, ast.Call) and node.args):
        raise ast.error_at(CatlearnTypeError, f"loss = nll needs the family of the "
                           f"observation: write {NLL_EXAMPLE}", node.pos)
    if not isinstance(node, ast.Call):
        return make() if callable(make) and not isinstance(make, Loss) else make
    if isinstance(make, Loss):
        raise ast.error_at(CatlearnTypeError, f"the loss {name} takes no arguments: write "
                           f"loss = {name}", node.pos)
    args = [a.id if isinstance(a, ast.Name) else _value(a, {}) for a in node.args]
    kwargs = {key: _value(value, {}) for key, value, _ in node.kwargs}
    signature = inspect.signature(make)
    try:
        signature.bind(*args, **kwargs)
    except TypeError as err:
        shown = ", ".join(("**" if p.kind is p.VAR_KEYWORD else "") + p.name
                          for p in signature.parameters.values())
        raise ast.error_at(CatlearnTypeError, f"{name}({shown}): {err}", node.pos) from None
    try:
        return make(*args, **kwargs)
    except CatlearnError as err:
        raise ast.error_at(type(err), err.message, node.pos) from None


def _train(node: ast.TrainStmt, env: dict) -> Train:
    learner = _lookup(env, node.learner, LearnerSpec, "a learner", node.learner_pos)
    table = _lookup(env, node.table, DataTable, "data", node.table_pos)
    columns, where = {}, {}
    for name, expr, pos in node.args:
        if name not in ("x", "y"):
            raise ast.error_at(UnknownNameError, f"train takes x = ... and y = ..., not "
                               f"'{name}'", pos)
        columns[name], where[name] = np.asarray(_value(expr, env, table)), pos
    if "y" not in columns:
        raise ast.error_at(CatlearnTypeError, "train needs y = ...", node.table_pos)
    if "x" not in columns:  # every column that y does not name
        labels = {n.id if isinstance(n, ast.Name) else n.name
                  for _, expr, _ in node.args for n in ast.walk(expr)
                  if isinstance(n, (ast.Name, ast.Attr))}
        inputs = [name for name in table.columns if name not in labels]
        if not inputs:
            raise ast.error_at(DataError, f"y takes every column of {table.name}, which "
                               f"leaves none for x", node.table_pos)
        columns["x"] = np.stack([table[name] for name in inputs], axis=1)
        where["x"] = node.table_pos
    dom = learner.diagram.dom.objects
    if len(dom) == 1 and all(isinstance(d, int) for d in dom[0].shape) and (
            columns["x"].shape[1:] != dom[0].shape):
        raise ast.error_at(DataError, f"x has shape {columns['x'].shape[1:]} per example, but "
                           f"{learner.name} takes {dom[0]}", where["x"])
    if len(dom) > 1:
        columns["x"] = _split_columns(columns["x"], dom, learner.name, where["x"])
    if learner.learner.n_targets > 1:
        columns["y"] = _split_targets(columns["y"], learner.learner.n_targets, learner.name,
                                      where["y"])
    options = {}
    for o in node.options:
        if o.name not in TRAIN_OPTIONS:
            close = difflib.get_close_matches(o.name, TRAIN_OPTIONS, n=1)
            hint = f"; did you mean '{close[0]}'?" if close else ""
            raise ast.error_at(UnknownNameError, f"unknown training option '{o.name}'{hint}",
                               o.pos)
        value = _value(o.value, {})
        if o.name == "test":
            if not isinstance(value, (int, float)) or not 0 < value < 1:
                raise ast.error_at(CatlearnTypeError, f"test is the fraction of the examples "
                                   f"held out, a number strictly between 0 and 1; got "
                                   f"{value!r}", o.value.pos)
            options[o.name] = value
            continue
        least = 0 if o.name == "seed" else 1
        if not isinstance(value, int) or value < least:
            raise ast.error_at(CatlearnTypeError, f"{o.name} must be a whole number >= {least}, "
                               f"got {value!r}", o.value.pos)
        options[o.name] = value
    line, column = node.pos
    return Train(line, column, learner, columns["x"], columns["y"], options)
