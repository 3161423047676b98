"""Checkpoints: pytrees of arrays saved as ``.npz`` plus a JSON sidecar, never pickled.

A checkpoint named ``run`` is two files in one folder: ``run.json``, which
describes the tree (its containers, each leaf's path, dtype and shape) and
carries the caller's metadata, and ``run.<digest>.npz``, which holds the
leaves and is read with ``allow_pickle=False``. The JSON file is the commit
record: it names the ``.npz`` file and its SHA-256 digest, and a save replaces
it last, atomically (temporary file in the same folder, flush, ``fsync``,
``os.replace``, ``fsync`` of the folder). A save interrupted at any point
therefore leaves the previous checkpoint whole.

Containers are dicts (string or integer keys, in insertion order), lists,
tuples, ``None`` and named tuples (restored as named tuples of the same name
and fields); other registered pytree nodes (optimiser states, dataclasses)
are restored through ``like=``, a tree of the same structure. Leaves are JAX
and NumPy arrays of any numeric dtype (``bfloat16`` included), typed PRNG
keys and Python numbers; each comes back as what it was.

>>> import os, tempfile, jax.numpy as jnp, numpy as np
>>> path = os.path.join(tempfile.mkdtemp(), "run")
>>> save(path, {"w": jnp.ones((2, 3)), "steps": [np.arange(3), 7]}, {"epoch": 4})
>>> tree, meta = load(path)
>>> tree["w"].shape, tree["steps"][0].tolist(), tree["steps"][1], meta
((2, 3), [0, 1, 2], 7, {'epoch': 4})
"""
from __future__ import annotations

import collections
import hashlib
import io
import json
import os
import tempfile
import zipfile
from typing import Any, Callable, Mapping, NamedTuple, Optional

import jax
import jax.numpy as jnp
import numpy as np
from jax import tree_util

from catlearn.errors import DataError

FORMAT = "catlearn-checkpoint"
VERSION = 1


class Checkpoint(NamedTuple):
    """What :func:`load` returns: the tree and the metadata saved with it."""

    tree: Any
    metadata: dict


# -- files ---------------------------------------------------------------------------

def _stem(path: str) -> str:
    path = os.fspath(path)
    for suffix in (".json", ".npz"):
        if path.endswith(suffix):
            return path[:-len(suffix)]
    return path


def _fsync_folder(folder: str) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def atomic_write(path: str, write: Callable[[Any], None]) -> None:
    """Write ``path`` all at once: ``write(file)`` fills a temporary file in the
    same folder, which is synced and renamed over ``path``; if ``write`` fails,
    ``path`` is untouched and the temporary file removed. A symlink at ``path``
    is replaced by the file, never written through."""
    folder = os.path.dirname(os.path.abspath(path))
    fd, temporary = tempfile.mkstemp(dir=folder, prefix="." + os.path.basename(path) + ".",
                                     suffix=".tmp")
    try:
        os.chmod(temporary, 0o666 & ~_umask())  # as open() would make it, not mkstemp's 0600
        with os.fdopen(fd, "wb") as file:
            write(file)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.remove(temporary)
        raise
    _fsync_folder(folder)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def exists(path: str) -> bool:
    """Whether a checkpoint named ``path`` has been committed (anything in the place of
    its record counts: :func:`load` then says what is wrong with it)."""
    return os.path.lexists(_stem(path) + ".json")


def fingerprint(*parts: Any) -> str:
    """A SHA-256 digest of what made a run: its program text, data and options (strings,
    numbers, arrays, keys and containers of them), to be saved with its checkpoints
    and compared when it resumes.

    >>> fingerprint("model m", {"draws": 10}) == fingerprint("model m", {"draws": 10})
    True
    >>> fingerprint(np.ones(3)) == fingerprint(np.ones(3, np.int32))
    False
    """
    leaves, structure = tree_util.tree_flatten(list(parts))
    digest = hashlib.sha256(str(structure).encode())
    for leaf in leaves:
        if isinstance(leaf, (str, bytes)):
            data = leaf.encode() if isinstance(leaf, str) else leaf
            digest.update(b"s%d:" % len(data) + data)
        elif isinstance(leaf, (bool, int, float, complex)):
            digest.update(repr(leaf).encode())
        else:
            array = _stored(leaf, "fingerprint")
            digest.update(f"a{array.dtype.str}{array.shape}".encode())
            digest.update(np.ascontiguousarray(array).tobytes())
    return digest.hexdigest()


def save(path: str, tree: Any, metadata: Optional[Mapping] = None,
         made_by: Optional[str] = None) -> None:
    """Save ``tree`` (and JSON-able ``metadata``) as the checkpoint named ``path``,
    replacing the previous one only once the new one is complete; ``made_by`` is
    the :func:`fingerprint` of the run, which :func:`load` checks."""
    stem = _stem(path)
    folder = os.path.dirname(os.path.abspath(stem))
    os.makedirs(folder, exist_ok=True)
    leaves: list[np.ndarray] = []
    specs: list[dict] = []
    structure = _encode(tree, (), leaves, specs)
    buffer = io.BytesIO()
    np.savez(buffer, **{str(i): leaf for i, leaf in enumerate(leaves)})
    payload = buffer.getvalue()
    digest = hashlib.sha256(payload).hexdigest()
    arrays = f"{os.path.basename(stem)}.{digest[:16]}.npz"
    try:
        record = json.dumps({"format": FORMAT, "version": VERSION, "arrays": arrays,
                             "sha256": digest, "metadata": dict(metadata or {}),
                             "made_by": made_by,
                             "tree": structure, "leaves": specs}, indent=1,
                            allow_nan=False).encode()
    except (TypeError, ValueError) as err:
        raise DataError(f"checkpoint metadata must be plain JSON (finite numbers, strings, "
                        f"lists, dicts): {err}") from None
    previous = _committed_arrays(stem)
    atomic_write(os.path.join(folder, arrays), lambda file: file.write(payload))
    atomic_write(stem + ".json", lambda file: file.write(record))
    if previous not in (None, arrays):
        try:
            os.remove(os.path.join(folder, previous))
        except FileNotFoundError:
            pass


def _committed_arrays(stem: str) -> Optional[str]:
    try:
        with open(stem + ".json", encoding="utf-8") as file:
            name = json.load(file).get("arrays")
    except (OSError, ValueError, AttributeError):
        return None
    # only ever delete a file of this checkpoint, in its folder
    ok = isinstance(name, str) and os.path.basename(name) == name and name.startswith(
        os.path.basename(stem) + ".") and name.endswith(".npz")
    return name if ok else None


def load(path: str, like: Any = None, made_by: Optional[str] = None) -> Checkpoint:
    """The tree and metadata of the checkpoint named ``path``.

    ``like`` (a tree of the same structure, e.g. freshly initialised
    parameters and optimiser state) gives back the exact container types;
    each leaf's shape and dtype must match it. ``made_by``, a
    :func:`fingerprint`, must be the one the checkpoint was saved with:
    a checkpoint of another program, other data or other options is refused.
    """
    stem = _stem(path)
    record = _read_record(stem)
    if made_by is not None and record.get("made_by") != made_by:
        raise DataError(f"{stem}.json was made by another program, other data or other "
                        "options than this run's: resuming from it would give another "
                        "answer; delete it (or choose another checkpoint folder) to start "
                        "afresh")
    name = record["arrays"]
    if not isinstance(name, str) or os.path.basename(name) != name:
        raise DataError(f"{stem}.json: corrupt checkpoint (bad arrays file name)")
    arrays_path = os.path.join(os.path.dirname(os.path.abspath(stem)), name)
    try:
        with open(arrays_path, "rb") as file:
            payload = file.read()
    except OSError as err:
        raise DataError(f"cannot read {arrays_path}: {err.strerror or err}") from None
    if hashlib.sha256(payload).hexdigest() != record["sha256"]:
        raise DataError(f"{arrays_path}: corrupt checkpoint (its digest does not match "
                        f"{stem}.json)")
    try:
        with np.load(io.BytesIO(payload), allow_pickle=False) as npz:
            stored = [npz[str(i)] for i in range(len(record["leaves"]))]
        leaves = [_leaf(array, spec) for array, spec in zip(stored, record["leaves"])]
        tree = _decode(record["tree"], leaves, like is not None)
    except (KeyError, ValueError, TypeError, IndexError, AttributeError,
            zipfile.BadZipFile, OSError) as err:
        raise DataError(f"{stem}.json: corrupt checkpoint ({type(err).__name__}: "
                        f"{str(err)[:200]})") from None
    except RecursionError:
        raise DataError(f"{stem}.json: corrupt checkpoint (its tree is nested too "
                        "deeply)") from None
    if like is not None:
        tree = _reshape_like(tree, like, stem)
    return Checkpoint(tree, record["metadata"])


def _read_record(stem: str) -> dict:
    try:
        with open(stem + ".json", encoding="utf-8") as file:
            record = json.load(file)
    except FileNotFoundError:
        raise DataError(f"no checkpoint {stem}.json") from None
    except OSError as err:
        raise DataError(f"cannot read {stem}.json: {err.strerror or err}") from None
    except ValueError as err:
        raise DataError(f"{stem}.json: not valid JSON ({err})") from None
    except RecursionError:
        raise DataError(f"{stem}.json: not a catlearn checkpoint (nested too deeply)") from None
    keys = ("format", "version", "arrays", "sha256", "metadata", "tree", "leaves")
    if not isinstance(record, dict) or record.get("format") != FORMAT or any(
            k not in record for k in keys):
        raise DataError(f"{stem}.json is not a catlearn checkpoint")
    if not (isinstance(record["metadata"], dict) and isinstance(record["leaves"], list)
            and all(isinstance(spec, dict) for spec in record["leaves"])
            and isinstance(record["sha256"], str)):
        raise DataError(f"{stem}.json: corrupt checkpoint (bad metadata, leaves or digest)")
    if record["version"] != VERSION:
        raise DataError(f"{stem}.json: checkpoint version {record['version']} is not "
                        f"supported (this catlearn reads version {VERSION})")
    return record


# -- trees as JSON ---------------------------------------------------------------------

def _is_namedtuple(node: Any) -> bool:
    return isinstance(node, tuple) and hasattr(node, "_fields")


def _encode(node: Any, path: tuple, leaves: list, specs: list) -> Any:
    """The JSON description of ``node``; its leaves are appended to ``leaves``."""
    where = tree_util.keystr(path) or "the tree"
    if node is None:
        return None
    if isinstance(node, dict):
        for key in node:
            if not isinstance(key, (str, int)) or isinstance(key, bool):
                raise DataError(f"checkpoint: the key {key!r} in {where} must be a string "
                                "or an integer")
        return {"dict": [[k, _encode(v, path + (tree_util.DictKey(k),), leaves, specs)]
                         for k, v in node.items()]}
    if _is_namedtuple(node):
        return {"namedtuple": type(node).__name__, "fields": list(node._fields),
                "children": [_encode(v, path + (tree_util.GetAttrKey(f),), leaves, specs)
                             for f, v in zip(node._fields, node)]}
    if isinstance(node, (list, tuple)):
        kind = "list" if isinstance(node, list) else "tuple"
        return {kind: [_encode(v, path + (tree_util.SequenceKey(i),), leaves, specs)
                       for i, v in enumerate(node)]}
    if _is_leaf(node):
        leaves.append(_stored(node, where))
        specs.append(_spec(node, where))
        return len(leaves) - 1
    try:
        children, _ = tree_util.flatten_one_level(node)
    except ValueError:
        raise DataError(f"checkpoint: {where} is a {type(node).__name__}, neither an array, "
                        "a number nor a container of them") from None
    return {"node": type(node).__name__,
            "children": [_encode(v, path + (tree_util.FlattenedIndexKey(i),), leaves, specs)
                         for i, v in enumerate(children)]}


def _is_leaf(node: Any) -> bool:
    return isinstance(node, (jax.Array, np.ndarray, np.generic, bool, int, float, complex))


def _is_key(node: Any) -> bool:
    return isinstance(node, jax.Array) and jax.dtypes.issubdtype(node.dtype,
                                                                   jax.dtypes.prng_key)


def _stored(node: Any, where: str) -> np.ndarray:
    """The NumPy array written for a leaf: key data for keys, raw bits for
    dtypes NumPy cannot name on its own (bfloat16, float8)."""
    array = np.asarray(jax.random.key_data(node)) if _is_key(node) else np.asarray(node)
    if array.dtype.kind == "V":
        return array.view(f"u{array.dtype.itemsize}")
    if array.dtype.kind not in "biufc":
        raise DataError(f"checkpoint: {where} has dtype {array.dtype}; only numbers can be "
                        "saved")
    return array


def _spec(node: Any, where: str) -> dict:
    if _is_key(node):
        return {"path": where, "kind": "key", "impl": str(jax.random.key_impl(node)),
                "shape": list(node.shape)}
    if isinstance(node, (bool, int, float, complex)):
        return {"path": where, "kind": type(node).__name__}
    kind = ("jax" if isinstance(node, jax.Array) else
            "numpy scalar" if isinstance(node, np.generic) else "numpy")
    return {"path": where, "kind": kind, "dtype": np.asarray(node).dtype.name,
            "shape": list(np.shape(node))}


_PYTHON = {"bool": bool, "int": int, "float": float, "complex": complex}


def _leaf(array: np.ndarray, spec: dict) -> Any:
    kind = spec["kind"]
    if kind in _PYTHON:
        return _PYTHON[kind](array.item())
    if kind == "key":
        return jax.random.wrap_key_data(array, impl=spec["impl"])
    dtype = jnp.dtype(spec["dtype"])
    if array.dtype != dtype:
        array = array.view(dtype)
    if list(array.shape) != spec["shape"]:
        raise ValueError(f"{spec['path']} has shape {array.shape}, the record says "
                         f"{tuple(spec['shape'])}")
    return {"jax": jnp.asarray, "numpy scalar": lambda a: a[()]}.get(kind, np.asarray)(array)


def _decode(node: Any, leaves: list, lenient: bool) -> Any:
    if node is None:
        return None
    if isinstance(node, int) and not isinstance(node, bool):
        return leaves[node]
    if "dict" in node:
        return {k: _decode(v, leaves, lenient) for k, v in node["dict"]}
    if "list" in node:
        return [_decode(v, leaves, lenient) for v in node["list"]]
    if "tuple" in node:
        return tuple(_decode(v, leaves, lenient) for v in node["tuple"])
    children = [_decode(v, leaves, lenient) for v in node["children"]]
    if "namedtuple" in node:
        return collections.namedtuple(node["namedtuple"], node["fields"])(*children)
    if lenient:  # rebuilt from ``like`` by the caller
        return children
    raise ValueError(f"a {node['node']} node can only be restored with like= (a tree of "
                     "the same structure)")


def _reshape_like(tree: Any, like: Any, stem: str) -> Any:
    leaves = tree_util.tree_leaves(tree)
    expected, structure = tree_util.tree_flatten(like)
    if len(leaves) != len(expected):
        raise DataError(f"{stem}: the checkpoint holds {len(leaves)} arrays, like= has "
                        f"{len(expected)}")
    paths = [tree_util.keystr(p) for p, _ in tree_util.tree_flatten_with_path(like)[0]]
    for path, leaf, want in zip(paths, leaves, expected):
        if np.shape(leaf) != np.shape(want) or jnp.result_type(leaf) != jnp.result_type(want):
            raise DataError(f"{stem}: {path or 'the tree'} is {jnp.result_type(leaf)}"
                            f"{list(np.shape(leaf))} in the checkpoint, "
                            f"{jnp.result_type(want)}{list(np.shape(want))} in like=")
    return tree_util.tree_unflatten(structure, leaves)
