"""Traced programs kept between processes, so a second run of an unchanged
program neither traces nor lowers again.

JAX's persistent compilation cache keeps what XLA compiled, but a new process
still traces the query to a jaxpr and lowers it to StableHLO before it can
look there (for the coin with NUTS, about 2 s of the 2.7 s a second
``catlearn run`` spent past the import). A :class:`ProgramCache` keeps that
lowered program itself: :func:`call` runs ``fun(*args)`` as a ``jax.export``
of it, serialised StableHLO (a flatbuffer, never a pickle), stored in a file
named by a SHA-256 digest of everything the program depends on:

* the cache's *context*, given by its maker (``catlearn run`` gives the
  program's text, the query's line, its arguments, the shapes, dtypes and
  missing elements of its data, and the precision);
* the name of the function and its static options, described by value
  (functions by module and name, numbers and strings by ``repr``);
* each argument leaf's path in its tree, shape, dtype and weak type;
* the versions of catlearn's own source (a digest of its files), jax and
  jaxlib, and the backend (platform, device kind, device count).

The data and keys are arguments of the stored program, never constants.
A later call with the same digest reads the file and calls it, so its
tracing is one ``call_exported`` and its lowering the parse of the stored
module; XLA's executable then comes from JAX's own persistent cache.

Calling a stored program lowers it, and JAX's lowering of any exported program
for the CPU first initialises LAPACK, which imports SciPy (0.3-0.5 s of a second
run). A program that calls no LAPACK routine (the name of every such custom call
begins ``lapack_``, looked for in the module's bytes) is called with that step
left out: nothing in it would read what it sets up. A program that does call
one (or merely has the prefix in a source location it keeps) is initialised
as JAX would.

Only programs without host callbacks can be stored (a progress bar's ticks
call back into the process that traced them), and only when ``call`` runs
outside any trace; other calls are plain calls. A file that cannot be read
back (truncated, corrupt, of another jax) is reported by a warning and
replaced, never an error. Nothing is ever unpickled.

A leaf module: it imports nothing of catlearn.

>>> import tempfile, jax.numpy as jnp
>>> def double(x):
...     return 2 * x
>>> with ProgramCache(tempfile.mkdtemp(), context="doc") as cache:
...     first = call("double", double, jnp.arange(3))
...     again = call("double", double, jnp.arange(3))
>>> again.tolist(), cache.written, cache.read
([0, 2, 4], 1, 1)
"""
from __future__ import annotations

import contextlib
import functools
import hashlib
import logging
import os
import pathlib
import tempfile
import types
import warnings
from typing import Any, Callable, Iterator, Optional

import jax
import jaxlib

log = logging.getLogger("catlearn.program_cache")

FORMAT = "catlearn-program-1"


class ProgramCache:
    """Programs stored in ``folder`` for one ``context`` (a string naming what
    the programs depend on beyond their arguments' shapes); active inside a
    ``with`` block. ``read``, ``written`` and ``refused`` count the programs
    read back, stored, and found unreadable."""

    active: Optional["ProgramCache"] = None

    def __init__(self, folder: str, context: str):
        self.folder, self.context = folder, context
        self.read = self.written = self.refused = 0
        self._outer: Optional[ProgramCache] = None

    def __enter__(self) -> "ProgramCache":
        self._outer, ProgramCache.active = ProgramCache.active, self
        return self

    def __exit__(self, *exc: Any) -> None:
        ProgramCache.active = self._outer

    def path(self, name: str, static: str, leaves: list, paths: list[str]) -> str:
        digest = hashlib.sha256()
        x64 = str(jax.numpy.result_type(float))  # the precision traced in (scoped)
        for part in (FORMAT, _environment(), x64, self.context, name, static, *paths,
                     *(_aval(leaf) for leaf in leaves)):
            data = part.encode()
            digest.update(b"%d:" % len(data) + data)
        safe = "".join(c if c.isalnum() or c in "._-" else "_" for c in name)
        return os.path.join(self.folder, f"{safe}-{digest.hexdigest()}.stablehlo")

    def load(self, path: str) -> Optional["jax.export.Exported"]:
        """The program stored at ``path``; ``None`` when there is none or it is unreadable."""
        try:
            data = pathlib.Path(path).read_bytes()
        except FileNotFoundError:
            return None
        except OSError as err:
            self._refuse(path, err)
            return None
        try:
            exported = jax.export.deserialize(bytearray(data))
        except Exception as err:  # any failure to read a file back is the file's, not ours
            self._refuse(path, err)
            return None
        self.read += 1
        log.info("catlearn: read %s from the program cache", os.path.basename(path))
        return exported

    def store(self, path: str, data: bytes) -> None:
        """Write atomically (a temporary file in the folder, then ``os.replace``), so a
        reader never sees half a program; a folder that cannot be written is skipped."""
        try:
            os.makedirs(self.folder, exist_ok=True)
            handle, temporary = tempfile.mkstemp(dir=self.folder, suffix=".partial")
            with os.fdopen(handle, "wb") as file:
                file.write(data)
            os.replace(temporary, path)
        except OSError as err:
            log.info("catlearn: cannot write the program cache in %s: %s", self.folder, err)
            return
        self.written += 1
        log.info("catlearn: wrote %s to the program cache", os.path.basename(path))

    def _refuse(self, path: str, err: Exception) -> None:
        self.refused += 1
        warnings.warn(f"catlearn: ignoring the unreadable cached program {path} "
                      f"({type(err).__name__}: {str(err).splitlines()[0] if str(err) else ''}); "
                      "it is traced again and replaced", RuntimeWarning, stacklevel=3)


def call(name: str, fun: Callable, *args: Any, **static: Any) -> Any:
    """``fun(*args, **static)``: through the active :class:`ProgramCache` when there
    is one and the call can be stored, else a plain call. ``args`` are pytrees of
    arrays (the program's inputs), ``static`` its options (part of the file's name,
    as ``name`` is, and what ``fun`` closes over must be determined by both and the
    cache's context)."""
    cache = ProgramCache.active
    if cache is None:
        return fun(*args, **static)
    leaves_with_paths, tree = jax.tree_util.tree_flatten_with_path(args)
    leaves = [leaf for _, leaf in leaves_with_paths]
    described = _described((fun, static))
    if described is None or any(isinstance(leaf, jax.core.Tracer) for leaf in leaves):
        return fun(*args, **static)
    path = cache.path(name, described, leaves,
                      [jax.tree_util.keystr(p) for p, _ in leaves_with_paths])
    exported = cache.load(path)
    if exported is None:
        def flat(*flat_leaves):
            return fun(*jax.tree.unflatten(tree, flat_leaves), **static)
        try:
            exported = jax.export.export(jax.jit(flat))(*(_spec(leaf) for leaf in leaves))
        except (ValueError, NotImplementedError) as err:  # a host callback: a program of
            # this process only (jax refuses some at export, others when written)
            log.info("catlearn: %s is not kept in the program cache: %s", name, err)
            return fun(*args, **static)
        try:
            cache.store(path, exported.serialize())
        except ImportError as err:  # jax writes its files with flatbuffers, an extra of ours
            log.info("catlearn: %s is not kept in the program cache (pip install "
                     "'catlearn[cache]'): %s", name, err)
        except ValueError as err:  # outputs of a type jax.export cannot name
            log.info("catlearn: %s is not kept in the program cache: %s", name, err)
        except NotImplementedError as err:  # a host callback exported but not writable
            log.info("catlearn: %s is not kept in the program cache: %s", name, err)
            return fun(*args, **static)
    with _lapack_only_if_called(exported):
        return exported.call(*leaves)


LAPACK_CALL = b"lapack_"   # the prefix of jaxlib's LAPACK custom-call targets


@contextlib.contextmanager
def _lapack_only_if_called(exported: "jax.export.Exported") -> Iterator[None]:
    """While ``exported`` is called (and lowered), skip JAX's initialisation of
    LAPACK when its module calls none of LAPACK's routines. jax exposes no option
    for it: this replaces, for the call only, the private hook its lowering of
    exported programs calls, and is a plain call where that hook is not found."""
    from jax._src.export import _export
    hook = getattr(_export, "_ensure_backends_initialized", None)
    if hook is None or LAPACK_CALL in exported.mlir_module_serialized:
        yield
        return
    _export._ensure_backends_initialized = lambda platforms: None
    try:
        yield
    finally:
        _export._ensure_backends_initialized = hook


def _spec(leaf: Any) -> jax.ShapeDtypeStruct:
    aval = jax.typeof(leaf)
    return jax.ShapeDtypeStruct(aval.shape, aval.dtype, weak_type=aval.weak_type)


def _aval(leaf: Any) -> str:
    aval = jax.typeof(leaf)
    return f"{aval.dtype}{tuple(aval.shape)}{'w' if aval.weak_type else ''}"


def _described(value: Any) -> Optional[str]:
    """A description of a static option by value, the same in every process, or
    ``None`` for a value that has none (an object known only by identity)."""
    if value is None or isinstance(value, (bool, int, float, complex, str, bytes)):
        return repr(value)
    if isinstance(value, (tuple, list)):
        parts = [_described(v) for v in value]
        return None if None in parts else f"{type(value).__name__}({', '.join(parts)})"
    if isinstance(value, dict):
        parts = [(_described(k), _described(v)) for k, v in value.items()]
        if any(None in p for p in parts):
            return None
        return "{" + ", ".join(f"{k}: {v}" for k, v in sorted(parts)) + "}"
    if isinstance(value, functools.partial):
        return _described((value.func, value.args, value.keywords))
    module, qualname = getattr(value, "__module__", None), getattr(value, "__qualname__", None)
    bound = getattr(value, "__self__", None)  # a bound method reads its object's state
    if callable(value) and module and qualname and "<" not in qualname and (
            bound is None or isinstance(bound, types.ModuleType)):
        return f"{module}.{qualname}"  # a module-level function (not a lambda or closure)
    return None


@functools.lru_cache(maxsize=None)
def _environment() -> str:
    """What every stored program depends on besides its own inputs: catlearn's source,
    the versions of jax and jaxlib, the backend and whether JAX runs in float64."""
    digest = hashlib.sha256()
    package = pathlib.Path(__file__).parent
    for source in sorted(package.rglob("*.py")) + sorted(package.rglob("*.lark")):
        digest.update(str(source.relative_to(package)).encode() + b"\0" + source.read_bytes())
    device = jax.devices()[0]
    return (f"catlearn {digest.hexdigest()} jax {jax.__version__} jaxlib {jaxlib.__version__} "
            f"{device.platform} {device.device_kind} x{jax.device_count()}")
