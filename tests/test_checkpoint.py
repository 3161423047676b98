"""Checkpoints: exact round trips of pytrees, no pickle, atomic replacement."""
import collections
import dataclasses
import functools
import json
import os

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

from catlearn import checkpoint
from catlearn.errors import DataError

Pair = collections.namedtuple("Pair", "left right")


def assert_same_tree(a, b):
    assert jax.tree.structure(a) == jax.tree.structure(b)
    for x, y in zip(jax.tree.leaves(a), jax.tree.leaves(b)):
        assert type(x) is type(y)
        if isinstance(x, jax.Array) and jax.dtypes.issubdtype(x.dtype, jax.dtypes.prng_key):
            assert x.dtype == y.dtype
            x, y = jax.random.key_data(x), jax.random.key_data(y)
        assert np.shape(x) == np.shape(y) and np.asarray(x).dtype == np.asarray(y).dtype
        assert np.array_equal(np.asarray(x), np.asarray(y), equal_nan=True)


def various_tree():
    rng = np.random.default_rng(0)
    return {
        "params": [{"w": jnp.asarray(rng.normal(size=(3, 4)), jnp.float32),
                    "b": jnp.zeros(4, jnp.bfloat16)}, ()],
        "counts": (np.arange(5, dtype=np.int64), np.uint8(7), np.array([True, False])),
        "complex": np.array([1 + 2j, -0.5j], np.complex64),
        "special": np.array([np.nan, np.inf, -np.inf, -0.0], np.float64),
        "empty": np.zeros((0, 3), np.float32),
        "key": jax.random.key(3),
        "keys": jax.random.split(jax.random.key(4), 5),
        "raw_key": jax.random.PRNGKey(5),
        "python": [1, 2.5, True, None, -3],
        "by_number": {7: jnp.ones((), jnp.int32), 2: np.float32(0.5)},
        "pair": Pair(jnp.ones(2, jnp.float16), {"deep": [[np.int16(-2)]]}),
    }


def test_round_trip_of_nested_containers_and_dtypes(tmp_path):
    tree = various_tree()
    checkpoint.save(tmp_path / "run", tree, {"epoch": 3, "note": "ok"})
    back, meta = checkpoint.load(tmp_path / "run")
    assert meta == {"epoch": 3, "note": "ok"}
    assert list(back) == list(tree)  # the user's key order, not sorted
    assert back["pair"].left.dtype == jnp.float16 and back["pair"]._fields == ("left", "right")
    # a named tuple comes back as one of the same name and fields (a new class)
    assert_same_tree(jax.tree.leaves(back), jax.tree.leaves(tree))
    assert_same_tree(checkpoint.load(tmp_path / "run.json", like=tree).tree, tree)


def test_like_restores_optax_states_exactly(tmp_path):
    params = {"w": jnp.arange(6.0).reshape(2, 3), "b": jnp.ones(3)}
    optimiser = optax.adam(0.1)
    state = optimiser.init(params)
    grads = jax.tree.map(jnp.cos, params)
    _, state = optimiser.update(grads, state, params)
    checkpoint.save(tmp_path / "opt", (state, params))
    back = checkpoint.load(tmp_path / "opt", like=(optimiser.init(params), params)).tree
    assert_same_tree(back, (state, params))
    # the restored state drives the optimiser to the same next step
    assert_same_tree(optimiser.update(grads, back[0], params), optimiser.update(grads, state,
                                                                                params))


@functools.partial(jax.tree_util.register_dataclass, data_fields=["position", "step"],
                   meta_fields=["name"])
@dataclasses.dataclass
class State:
    position: jax.Array
    step: int
    name: str


def test_custom_nodes_need_like(tmp_path):
    state = State(jnp.arange(3.0), 4, "chain")
    checkpoint.save(tmp_path / "s", {"state": state})
    with pytest.raises(DataError, match=r"a State node can only be restored with like="):
        checkpoint.load(tmp_path / "s")
    back = checkpoint.load(tmp_path / "s", like={"state": State(jnp.zeros(3), 0, "chain")})
    assert_same_tree(back.tree, {"state": state})


def test_like_with_another_shape_is_refused(tmp_path):
    checkpoint.save(tmp_path / "p", {"w": jnp.ones((2, 3))})
    with pytest.raises(DataError, match=r"\['w'\].*float32\[2, 3\].*float32\[3, 2\]"):
        checkpoint.load(tmp_path / "p", like={"w": jnp.ones((3, 2))})


def test_files_are_npz_without_pickle_and_readable_json(tmp_path):
    checkpoint.save(tmp_path / "run", {"w": jnp.ones(2), "k": jax.random.key(0)})
    record = json.loads((tmp_path / "run.json").read_text())
    assert [spec["path"] for spec in record["leaves"]] == ["['w']", "['k']"]
    npz = tmp_path / record["arrays"]
    with np.load(npz, allow_pickle=False) as arrays:
        assert sorted(arrays.files) == ["0", "1"]


def test_objects_are_refused(tmp_path):
    with pytest.raises(DataError, match=r"\['f'\] is a function"):
        checkpoint.save(tmp_path / "bad", {"f": lambda x: x})
    with pytest.raises(DataError, match="only numbers"):
        checkpoint.save(tmp_path / "bad", {"s": np.array(["a"])})
    with pytest.raises(DataError, match="plain JSON"):
        checkpoint.save(tmp_path / "bad", {}, {"x": float("nan")})
    assert not checkpoint.exists(tmp_path / "bad")


def test_a_new_save_replaces_the_old_and_removes_its_arrays(tmp_path):
    checkpoint.save(tmp_path / "run", {"step": 1})
    checkpoint.save(tmp_path / "run", {"step": 2})
    assert checkpoint.load(tmp_path / "run").tree == {"step": 2}
    assert sorted(os.listdir(tmp_path))[1:] == ["run.json"]
    assert len(os.listdir(tmp_path)) == 2


@pytest.mark.parametrize("crash_at", ["arrays", "record", "rename"])
def test_a_crash_mid_write_leaves_the_previous_checkpoint(tmp_path, monkeypatch, crash_at):
    checkpoint.save(tmp_path / "run", {"w": jnp.arange(3.0)}, {"epoch": 1})
    before = sorted(os.listdir(tmp_path))
    real_write = checkpoint.atomic_write
    calls = []

    def crashing_write(path, write):
        calls.append(path)
        if crash_at == "arrays" and path.endswith(".npz"):
            return real_write(path, lambda f: (write(f), f.truncate(10), boom()))
        if crash_at == "record" and path.endswith(".json"):
            return real_write(path, lambda f: (f.write(b'{"format": "catl'), boom()))
        if crash_at == "rename" and path.endswith(".json"):
            monkeypatch.setattr(os, "replace", lambda *a: boom())
        return real_write(path, write)

    def boom():
        raise KeyboardInterrupt("killed mid-write")

    monkeypatch.setattr(checkpoint, "atomic_write", crashing_write)
    with pytest.raises(KeyboardInterrupt):
        checkpoint.save(tmp_path / "run", {"w": jnp.arange(3.0) + 10}, {"epoch": 2})
    monkeypatch.undo()
    tree, meta = checkpoint.load(tmp_path / "run")
    assert meta == {"epoch": 1} and tree["w"].tolist() == [0.0, 1.0, 2.0]
    # no temporary file is left behind; only the new arrays file may linger
    leftovers = set(os.listdir(tmp_path)) - set(before)
    assert all(name.endswith(".npz") for name in leftovers)
    assert not any(name.endswith(".tmp") for name in os.listdir(tmp_path))


def test_corruption_is_detected(tmp_path):
    checkpoint.save(tmp_path / "run", {"w": jnp.ones(3)})
    record = json.loads((tmp_path / "run.json").read_text())
    npz = tmp_path / record["arrays"]
    data = bytearray(npz.read_bytes())
    data[-30] ^= 0xFF
    npz.write_bytes(bytes(data))
    with pytest.raises(DataError, match="digest"):
        checkpoint.load(tmp_path / "run")
    (tmp_path / "run.json").write_text("{not json")
    with pytest.raises(DataError, match="not valid JSON"):
        checkpoint.load(tmp_path / "run")
    (tmp_path / "run.json").write_text('{"format": "other"}')
    with pytest.raises(DataError, match="not a catlearn checkpoint"):
        checkpoint.load(tmp_path / "run")
    with pytest.raises(DataError, match="no checkpoint"):
        checkpoint.load(tmp_path / "missing")


def test_the_record_cannot_point_outside_its_folder(tmp_path):
    checkpoint.save(tmp_path / "run", {"w": jnp.ones(3)})
    record = json.loads((tmp_path / "run.json").read_text())
    record["arrays"] = "../elsewhere.npz"
    (tmp_path / "run.json").write_text(json.dumps(record))
    with pytest.raises(DataError, match="bad arrays file name"):
        checkpoint.load(tmp_path / "run")
    checkpoint.save(tmp_path / "run", {"w": jnp.ones(3)})  # and never deletes it
