"""The ``catlearn`` command: run, check and draw programs.

``catlearn run FILE.cat [--json] [--plot DIR]`` runs every check and query
in order (with ``--plot``, writing their plots into DIR as PNG files);
``catlearn check FILE.cat`` parses and type-checks only; ``catlearn draw
FILE.cat NAME -o OUT.png`` draws a diagram or a model. A program reads data
only from its own folder unless given ``--allow-path DIR``. Exit status: 0 on
success, 1 on an error in the program (printed with its line), 2 on a usage
error, 3 on an internal error (a bug of catlearn's), 130 when interrupted (Ctrl-C).

``--checkpoint DIR`` keeps in DIR the progress of each query (MCMC chains
every ``checkpoint_every`` iterations, warm-up and adaptation included;
training every epoch) and each finished inference's posterior, under a
fingerprint of its model, data and options: the same command run again after
an interruption (even SIGKILL) resumes and prints the same results; a
checkpoint of another program or other data is refused. ``--jsonl`` prints
one JSON object per line as each query ends, so a later failure loses none.

``run`` keeps JAX's persistent compilation cache in ``catlearn/jax`` under the
user's cache folder (``$XDG_CACHE_HOME``, else ``~/.cache``), or in
``$CATLEARN_CACHE_DIR``, so a second run of an unchanged program reuses the
programs the first one compiled, and in its subfolder ``programs`` each query's
traced and lowered programs (:mod:`catlearn.program_cache`), so that a second
run of it neither traces nor lowers again; ``--no-cache`` turns both off.
"""
from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
from typing import Any, Optional, Sequence

from catlearn.errors import CatlearnError


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Entry point of the console script; returns the exit status."""
    parser = _parser()
    args = parser.parse_args(argv)
    if not os.path.isfile(args.file):
        parser.print_usage(sys.stderr)
        print(f"catlearn: error: no such file: {args.file}", file=sys.stderr)
        return 2
    try:
        return args.command(args)
    except KeyboardInterrupt:  # Ctrl-C: one line, the shell's status for SIGINT
        print("catlearn: interrupted", file=sys.stderr)
        return 130
    except Exception as err:  # a bug of catlearn's, not the user's: say so plainly
        if os.environ.get("CATLEARN_DEBUG"):
            raise
        print(f"catlearn: internal error while running {args.file}: "
              f"{type(err).__name__}: {str(err).splitlines()[0] if str(err) else ''}\n"
              "This is a bug in catlearn; set CATLEARN_DEBUG=1 to see the traceback.",
              file=sys.stderr)
        return 3


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="catlearn", description="catlearn programs: string "
                                     "diagrams, models, learners and their queries")
    commands = parser.add_subparsers(required=True, metavar="COMMAND")
    run = commands.add_parser("run", help="run the checks and queries of a program")
    _program_arguments(run)
    run.add_argument("--json", action="store_true", help="print one JSON document")
    run.add_argument("--jsonl", action="store_true", help="print one JSON object per line, "
                     "each as soon as its query ends (an error or interruption ends the "
                     "stream with an object of kind error or interrupted)")
    run.add_argument("--checkpoint", metavar="DIR", help="save the progress of MCMC chains "
                     "and training, and each finished inference, in DIR; a run of the same "
                     "program finding them there resumes from them")
    run.add_argument("--x64", action="store_true", help="run the whole program in double "
                     "precision (float64)")
    run.add_argument("--plot", metavar="DIR", help="write trace, density and loss plots and "
                     "the diagrams of the models and learners queried into DIR as PNG files")
    run.add_argument("--no-cache", action="store_true", help="do not keep compiled programs "
                     "between runs (JAX's persistent compilation cache, kept by default in "
                     "catlearn/jax under the user's cache folder)")
    run.set_defaults(command=_run)
    check = commands.add_parser("check", help="parse and type-check a program")
    _program_arguments(check)
    check.set_defaults(command=_check)
    draw = commands.add_parser("draw", help="draw a diagram or a model")
    _program_arguments(draw)
    draw.add_argument("name", metavar="NAME")
    draw.add_argument("-o", "--output", required=True, metavar="OUT.png")
    draw.set_defaults(command=_draw)
    return parser


def _program_arguments(command: argparse.ArgumentParser) -> None:
    command.add_argument("file", metavar="FILE.cat")
    command.add_argument("--allow-path", action="append", default=[], metavar="DIR",
                         help="let the program read data in DIR too (by default only in "
                         "its own folder); may be repeated")


def cache_dir() -> str:
    """Where ``run`` keeps compiled programs between runs."""
    if os.environ.get("CATLEARN_CACHE_DIR"):
        return os.environ["CATLEARN_CACHE_DIR"]
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "catlearn", "jax")


def use_compilation_cache(folder: str) -> None:
    """Turn on JAX's persistent compilation cache in ``folder``, for every program
    (even the quick ones: a run compiles many small programs)."""
    import jax
    os.makedirs(folder, exist_ok=True)
    jax.config.update("jax_compilation_cache_dir", folder)
    jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.0)
    jax.config.update("jax_persistent_cache_min_entry_size_bytes", 0)


def _kept_programs(args: argparse.Namespace, program: Any, statement: Any) -> Any:
    """The program cache of one query (``programs`` in the cache folder), or none."""
    if args.no_cache:
        return contextlib.nullcontext()
    from catlearn.program_cache import ProgramCache
    return ProgramCache(os.path.join(cache_dir(), "programs"), _context(program, statement))


def _context(program: Any, statement: Any) -> str:
    """What a query's programs depend on beyond the shapes of their inputs: the
    program's text, the query's line and, of its fields, the arguments by value (they
    may be dimensions), the data by shape, dtype and missing (NaN) elements, and the
    rest by value (options, precision); models and learners are in the text."""
    import dataclasses
    import hashlib
    digest = hashlib.sha256(program.source.encode())
    for field in dataclasses.fields(statement):
        value = getattr(statement, field.name)
        digest.update(f"{field.name}={_described(value, field.name == 'args')};".encode())
    return digest.hexdigest()


def _described(value: Any, by_value: bool) -> str:
    import numpy as np
    if isinstance(value, dict):
        return "{" + ",".join(f"{k!r}:{_described(v, by_value)}"
                              for k, v in sorted(value.items(), key=lambda kv: str(kv[0]))) + "}"
    if isinstance(value, (bool, int, float, str, type(None))):
        return repr(value)
    if hasattr(value, "shape") and hasattr(value, "dtype"):
        array = np.asarray(value)
        shown = f"{array.dtype.str}{array.shape}"
        if by_value:
            return shown + array.tobytes().hex()
        if np.issubdtype(array.dtype, np.inexact):  # missing elements change the program
            return shown + np.packbits(np.isnan(array)).tobytes().hex()
        return shown
    return type(value).__name__  # a model or learner: the program's text says which


def _run(args: argparse.Namespace) -> int:
    if not args.x64:
        return _run_program(args)
    import jax
    with jax.enable_x64(True):  # scoped: a caller's JAX keeps its own precision after
        return _run_program(args)


def _run_program(args: argparse.Namespace) -> int:
    from catlearn.lang import load
    if not args.no_cache:
        try:
            use_compilation_cache(cache_dir())
        except OSError:  # a read-only home: run without the cache
            pass
    results: list[dict] = []
    drawn: set[str] = set()  # the diagrams already plotted
    human = not (args.json or args.jsonl)

    def emit(result: dict) -> None:
        results.append(result)
        if args.jsonl:
            print(json.dumps(result), flush=True)
    try:
        if args.plot:  # refuse a folder that cannot be made before running anything
            os.makedirs(args.plot, exist_ok=True)
        if args.checkpoint:
            os.makedirs(args.checkpoint, exist_ok=True)
        program = load(args.file, args.allow_path)
        for statement in program.queries():
            with _kept_programs(args, program, statement):
                result = program.run_statement(statement, args.checkpoint)
            emit(result)
            if human:
                print(_human(result), flush=True)
            if args.plot:
                from catlearn.plot import plot_query
                written = plot_query(statement, args.plot, drawn)
                if human:
                    print("".join(f"  wrote {path}\n" for path in written), end="", flush=True)
    except CatlearnError as err:
        if human:
            print(f"error: {err}", file=sys.stderr)
        else:
            emit({"kind": "error", "line": err.line, "column": err.column,
                  "message": err.message})
        if args.json:
            print(json.dumps(results, indent=1))
        return 1
    except KeyboardInterrupt:  # the finished queries' results are still printed
        if not human:
            emit({"kind": "interrupted"})
        if args.json:
            print(json.dumps(results, indent=1))
        raise
    except OSError as err:  # only plots and checkpoints are written here; load reports its own
        plots = args.plot and str(err.filename or args.plot).startswith(args.plot)
        where = f"plots in {args.plot}" if plots else err.filename or args.checkpoint
        print(f"error: cannot write {where}: {err.strerror or err}", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps(results, indent=1))
    return 0


def _check(args: argparse.Namespace) -> int:
    from catlearn.lang import load
    try:
        program = load(args.file, args.allow_path)
    except CatlearnError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    print(f"{args.file}: ok ({len(program.statements)} statements, "
          f"{len(program.queries())} checks and queries)")
    return 0


def _draw(args: argparse.Namespace) -> int:
    from catlearn.lang import load
    try:
        value = load(args.file, args.allow_path)[args.name]
        diagram = getattr(value, "diagram", value)
        if not hasattr(diagram, "draw"):
            print(f"error: {args.name} is not a diagram or a model", file=sys.stderr)
            return 1
        diagram.draw(args.output)
    except CatlearnError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    except OSError as err:
        print(f"error: cannot write {args.output}: {err.strerror or err}", file=sys.stderr)
        return 1
    print(f"wrote {args.output}")
    return 0


def _human(result: dict) -> str:
    """One readable block per result."""
    where = f"line {result['line']}"
    if result["kind"] == "check":
        return f"{where}: check {'holds' if result['holds'] else 'fails'}"
    if result["kind"] == "train":
        shown = [f"loss {result['loss']:.4g}"] + [
            f"{k.replace('_', ' ')} {result[k]:.4g}"
            for k in ("accuracy", "test_loss", "test_accuracy") if result.get(k) is not None]
        return f"{where}: train {result['learner']}: {', '.join(shown)} ({result['seconds']:.1f} s)"
    head = f"{where}: {result['kind']} {result['model']} with {result['method']}"
    if result.get("log_evidence") is not None:
        head += f", log evidence {result['log_evidence']:.4f}"
    if result.get("divergences") is not None:
        head += f", {result['divergences']} divergences"
    rows = [f"  {'parameter':<16}{'mean':>10}{'sd':>10}{'5%':>10}{'95%':>10}{'ess':>10}"
            f"{'r_hat':>8}"]
    for name, s in result["params"].items():
        cells = [_cell(s.get(k), 10) for k in ("mean", "sd", "q5", "q95", "ess")]
        rows.append(f"  {name:<16}{''.join(cells)}{_cell(s.get('r_hat'), 8)}")
    rows += [f"  warning: {w}" for w in result.get("warnings", ())]
    return "\n".join([head + f" ({result['seconds']:.1f} s)"] + rows)


def _cell(value, width: int) -> str:
    return f"{'-':>{width}}" if value is None else f"{value:>{width}.4g}"


if __name__ == "__main__":
    sys.exit(main())
