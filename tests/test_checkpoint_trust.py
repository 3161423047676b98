"""Checkpoints are trusted only when whole and when made by the same run: damage of
every kind is a DataError (never a KeyError or BadZipFile), a checkpoint of other
data or options is refused, and so is an absurd epoch counter; each has a control."""
import hashlib
import json
import os

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from catlearn import checkpoint
from catlearn.errors import DataError
from catlearn.learning.learner import learn, sgd
from catlearn.primitives.nn import dense

LEARNER = learn(dense(2, 1), optimizer=sgd(0.1))
X = np.linspace(-1, 1, 16, dtype=np.float32).reshape(8, 2)
Y = X @ np.array([[1.0], [-1.0]], np.float32)


def fit(path, x=X, epochs=3, **options):
    return LEARNER.fit(None, x, Y, epochs=epochs, batch_size=4, key=jax.random.key(0),
                       progress=False, checkpoint=str(path), **options)


def record(path):
    return json.loads((path.parent / (path.name + ".json")).read_text())


def rewrite(path, change):
    data = record(path)
    change(data)
    (path.parent / (path.name + ".json")).write_text(json.dumps(data))


def garbage_arrays(path):
    """Arrays that are not a zip file at all, under a digest that matches them."""
    payload = b"not a zip file" * 10
    rewrite(path, lambda r: r.update(sha256=hashlib.sha256(payload).hexdigest()))
    (path.parent / record(path)["arrays"]).write_bytes(payload)


def deep_tree(path):
    stem = path.parent / (path.name + ".json")
    text = stem.read_text()
    nested = "[" * 100000 + "]" * 100000
    stem.write_text(text.replace('"tree": ', f'"tree": {nested}, "was": ', 1))


def deep_decoded_tree(path):
    """Nested lists that JSON reads but that are too deep to rebuild as a tree."""
    stem = path.parent / (path.name + ".json")
    nested = '{"list": [' * 5000 + "0" + "]}" * 5000
    stem.write_text(stem.read_text().replace('"tree": ', f'"tree": {nested}, "was": ', 1))


def directory_for_record(path):
    os.remove(path.parent / (path.name + ".json"))
    os.mkdir(path.parent / (path.name + ".json"))


def directory_for_arrays(path):
    arrays = path.parent / record(path)["arrays"]
    os.remove(arrays)
    os.mkdir(arrays)


DAMAGE = {
    "arrays not a zip file": (garbage_arrays, "corrupt checkpoint"),
    "metadata not an object": (lambda p: rewrite(p, lambda r: r.update(metadata="x")),
                               "bad metadata"),
    "leaves not a list": (lambda p: rewrite(p, lambda r: r.update(leaves=3)), "bad metadata"),
    "leaf without a kind": (lambda p: rewrite(p, lambda r: r["leaves"][0].pop("kind")),
                            "corrupt checkpoint"),
    "tree of a string": (lambda p: rewrite(p, lambda r: r.update(tree="dict")),
                         "corrupt checkpoint"),
    "JSON nested 10^5 deep": (deep_tree, "nested too deeply"),
    "tree nested 5000 deep": (deep_decoded_tree, "nested too deeply"),
    "a directory for the record": (directory_for_record, "Is a directory"),
    "a directory for the arrays": (directory_for_arrays, "Is a directory"),
}


@pytest.mark.parametrize("damage", DAMAGE, ids=list(DAMAGE))
def test_damaged_checkpoints_are_data_errors(tmp_path, damage):
    path = tmp_path / "run"
    checkpoint.save(path, {"w": jnp.arange(3.0), "steps": [np.int32(4)]}, {"epoch": 1})
    assert checkpoint.load(path).metadata == {"epoch": 1}  # the control: whole, it loads
    spoil, words = DAMAGE[damage]
    spoil(path)
    with pytest.raises(DataError, match=words):
        checkpoint.load(path)


def test_a_checkpoint_of_other_data_is_refused(tmp_path):
    params, history = fit(tmp_path / "run")
    again, same = fit(tmp_path / "run")  # the control: the same run resumes (at its end)
    assert list(same) == list(history)
    with pytest.raises(DataError, match="made by another program, other data or other options"):
        fit(tmp_path / "run", x=X + 1)
    with pytest.raises(DataError, match="made by another"):
        LEARNER.fit(None, X, Y, epochs=3, batch_size=2, key=jax.random.key(0),
                    progress=False, checkpoint=str(tmp_path / "run"))


@pytest.mark.parametrize("epoch, history, words", [
    (-3, [], "epoch -3"), (10 ** 9, [1.0], "epoch 1000000000"), ("2", [1.0, 1.0], "epoch '2'"),
    (True, [1.0], "epoch True"), (2, [1.0], "2 finite numbers"),
    (2, [1.0, float("nan")], "2 finite numbers"), (2, None, "loss history")])
def test_absurd_epoch_counters_are_refused(tmp_path, epoch, history, words):
    path = tmp_path / "run"
    fit(path, epochs=2)
    rewrite(path, lambda r: r["metadata"].update(epoch=epoch, history=history))
    with pytest.raises(DataError, match=words):
        fit(path, epochs=5)


def test_a_sound_counter_resumes_to_the_uninterrupted_losses(tmp_path):
    whole = fit(tmp_path / "whole", epochs=4)[1]
    fit(tmp_path / "part", epochs=2)
    assert list(fit(tmp_path / "part", epochs=4)[1]) == list(whole)
