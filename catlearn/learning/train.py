"""Training a learner: epochs of minibatch updates, each epoch one compiled program.

An epoch shuffles the data with its key and runs ``learner.update`` over the
minibatches under ``lax.scan``, inside one ``jax.jit``. After each epoch
:func:`fit` looks at the losses: at the first minibatch whose loss is NaN or
infinite it stops and raises a :class:`~catlearn.errors.TrainingError`
naming the step and the layer whose parameters broke or blew up.

>>> import jax, jax.numpy as jnp
>>> from catlearn.learning.learner import learn, sgd
>>> from catlearn.primitives.nn import dense
>>> x = jnp.linspace(-1, 1, 32)[:, None]
>>> reg = learn(dense(1, 1), optimizer=sgd(0.5))
>>> params, history = reg.fit(None, x, 3 * x - 1, epochs=20, batch_size=8,
...                           key=jax.random.key(0), progress=False)
>>> [round(float(v), 2) for v in (params.weights["dense_0"]["w"][0, 0],
...                                 params.weights["dense_0"]["b"][0])]
[3.0, -1.0]
"""
from __future__ import annotations

import math
from functools import partial
from typing import Any, Optional, Sequence, Union

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from catlearn import checkpoint as checkpoints
from catlearn import sharding
from catlearn.categories.learn import OPTIMISER_STATE, Learner, Parameters, as_wires, wires
from catlearn.errors import CatlearnTypeError, DataError, TrainingError
from catlearn.keys import require_key
from catlearn.learning.history import History
from catlearn.options import checked_options
from catlearn.progress import wanted

Data = Union[Any, Sequence[Any]]


def check_params(learner: Learner, params: Any, owner: str) -> Any:
    """``params``, refused unless it has the structure of the learner's own
    (what ``learner.init`` or ``fit`` give; for prediction, the weights alone do)."""
    expected = jax.eval_shape(learner.init, jax.random.key(0))
    if isinstance(expected, Parameters) and isinstance(params, dict) and \
            not isinstance(params, Parameters):
        params = Parameters(params, None)  # the weights alone: enough to predict
        expected = Parameters(expected.weights, None)
    if params is None:
        raise CatlearnTypeError(f"{owner}: params is None; give the parameters that fit "
                                "returned (params, history = learner.fit(...)) or "
                                "learner.init(key)")
    want, got = (jax.tree_util.tree_structure(t) for t in (expected, params))
    if want != got:
        hint = ""
        if isinstance(params, tuple) and len(params) == 2 and \
                isinstance(params[1], np.ndarray) and params[1].ndim == 1:
            hint = "; fit returns (params, history): unpack it, as in params, history = fit(...)"
        raise CatlearnTypeError(f"{owner}: params does not have the structure of this "
                                f"learner's parameters ({_outline(expected)}), it is "
                                f"{_outline(params)}{hint}")
    return params


def _outline(tree: Any) -> str:
    if isinstance(tree, Parameters):
        return f"weights of {', '.join(tree.weights) or 'no layers'}"
    text = str(jax.tree_util.tree_structure(tree))
    return text if len(text) < 120 else text[:117] + "..."


def examples(xs: tuple, ys: tuple) -> int:
    """The number of examples: the length, shared by every array, of the first axis."""
    sizes = {a.shape[0] if a.ndim else None for a in xs + ys}
    if len(sizes) != 1 or None in sizes:
        raise DataError(f"x and y must hold the same number of examples along their first "
                        f"axis; got {sorted(map(str, sizes))}")
    n = sizes.pop()
    if n == 0:
        raise DataError("x and y hold no examples")
    return n


def train_test_split(key: Any, x: Data, y: Data, test: float) -> tuple[tuple, tuple]:
    """A shuffle split of the examples by ``key``: ``((x_train, y_train), (x_test,
    y_test))``, the test part holding the fraction ``test`` of them (rounded).

    >>> (xa, ya), (xb, yb) = train_test_split(jax.random.key(0), jnp.arange(10.0),
    ...                                       jnp.arange(10), test=0.2)
    >>> len(ya), len(yb), sorted(jnp.concatenate([ya, yb]).tolist()) == list(range(10))
    (8, 2, True)
    """
    require_key("train_test_split", key)
    if isinstance(test, bool) or not isinstance(test, (float, int)) or not 0 < test < 1:
        raise DataError(f"test must be the fraction of the examples held out, a number "
                        f"strictly between 0 and 1; got {test!r}")
    xs, ys = wires(x, "x"), wires(y, "y")
    n = examples(xs, ys)
    held = round(test * n)
    if not 0 < held < n:
        raise DataError(f"test = {test} of {n} examples leaves "
                        f"{'none to test on' if held == 0 else 'none to train on'}")
    (x_train, y_train), (x_test, y_test) = _split(key, xs, ys, held)

    def like(data: Data, arrays: tuple) -> Data:
        return arrays if isinstance(data, (tuple, list)) else arrays[0]

    return ((like(x, x_train), like(y, y_train)), (like(x, x_test), like(y, y_test)))


@partial(jax.jit, static_argnums=3)
def _split(key: Any, xs: tuple, ys: tuple, held: int) -> tuple:
    order = jax.random.permutation(key, xs[0].shape[0])
    return tuple((tuple(a[part] for a in xs), tuple(a[part] for a in ys))
                 for part in (order[held:], order[:held]))


@checked_options
def fit(learner: Learner, params: Any, x: Data, y: Data, epochs: int = 1,
        batch_size: int = 32, key: Any = None, shuffle: bool = True,
        progress: Optional[bool] = None, checkpoint: Optional[str] = None,
        checkpoint_every: int = 1, devices: sharding.Devices = None) -> tuple[Any, History]:
    """Train for ``epochs`` passes over ``(x, y)`` in minibatches of ``batch_size``
    (the last incomplete minibatch of an epoch is dropped).

    ``params=None`` draws initial parameters from ``key``; ``key=None`` means
    ``jax.random.key(0)``. Returns the trained parameters and the mean loss of
    each epoch (a :class:`~catlearn.learning.history.History`). A tqdm bar shows the loss, by default in a terminal or a notebook
    (:func:`catlearn.progress.wanted`); ``progress=False`` hides it.

    With ``checkpoint="path"`` the parameters, key and history are saved every
    ``checkpoint_every`` epochs (see :mod:`catlearn.checkpoint`), and a run
    finding a checkpoint there resumes from it: an interrupted run resumed
    with the same arguments ends bit for bit where an uninterrupted one does.

    ``devices`` (a count or a ``jax.sharding.Mesh``) splits every minibatch over
    that many devices, the parameters replicated: the gradients of the blocks
    are summed across devices inside the compiled step (data parallelism).
    """
    if not isinstance(learner, Learner):
        raise CatlearnTypeError(f"fit: the first argument must be a learner (made by learn), "
                                f"not the {type(learner).__name__} {learner!r}"[:200])
    if learner.error is None:
        raise TrainingError("this learner has no error to train on: build it with learn(...)")
    for option, value, least in (("epochs", epochs, 0), ("batch_size", batch_size, 1),
                                 ("checkpoint_every", checkpoint_every, 1)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < least:
            raise TrainingError(f"fit: {option} must be a whole number >= {least}, "
                                f"got {value!r}")
    xs, ys = as_wires(learner, x, y, "fit")
    n = examples(xs, ys)
    for name, arrays in (("x", xs), ("y", ys)):
        for i, a in enumerate(arrays):
            _finite(f"{name}[{i}]" if len(arrays) > 1 else name, a)
    key = jax.random.key(0) if key is None else require_key("fit", key)
    if params is None:
        key, init_key = jax.random.split(key)
        params = jax.jit(learner.init)(init_key)  # one program, not one per layer
    elif isinstance(params, dict) and learner.layers is not None:
        raise CatlearnTypeError("fit: params holds the weights alone; training also needs the "
                                "optimiser's state: give what learner.init(key) or an earlier "
                                "fit returned, or None to start afresh")
    else:
        params = check_params(learner, params, "fit")
    batch = min(batch_size, n)
    mesh = sharding.mesh_for(devices, batch, "examples in a minibatch", "fit",
                             option="batch_size", error=TrainingError)
    params, xs, ys = sharding.replicate((params, xs, ys), mesh)
    _check_shapes(learner, params, xs, ys, batch)
    steps = n // batch
    shown = wanted(progress)
    if shown:   # tqdm.auto warns in a kernel without ipywidgets, even for a hidden bar
        from tqdm.auto import tqdm
    else:
        from tqdm import tqdm
    history: list[float] = []
    start = 0
    # What makes the run: its starting point, data and the options that shape an epoch.
    made_by = checkpoints.fingerprint(params, key, xs, ys, batch_size, shuffle, steps) \
        if checkpoint is not None else None
    if checkpoint is not None and checkpoints.exists(checkpoint):
        (params, key), saved = checkpoints.load(checkpoint, like=(params, key),
                                                made_by=made_by)
        start, history = _resumed_epochs(checkpoint, saved, epochs)
    bar = tqdm(range(start, epochs), initial=start, total=epochs, disable=not shown,
               unit="epoch", leave=False)
    for epoch in bar:
        key, epoch_key = jax.random.split(key)
        trained, losses, failed = _epoch(learner, steps, batch, shuffle, params, xs, ys,
                                         epoch_key, None, mesh)
        failed = int(failed)
        if failed >= 0:
            # replay the epoch up to the failing minibatch (same key, same
            # order) for the parameters it met, so the normal path pays nothing
            before = params if failed == 0 else _epoch(
                learner, steps, batch, shuffle, params, xs, ys, epoch_key, failed, mesh)[0]
            raise diverged(learner, before, epoch, failed, steps, float(losses[failed]))
        params = trained
        history.append(float(jnp.mean(losses)))
        bar.set_postfix(loss=f"{history[-1]:.4g}")
        if checkpoint is not None and ((epoch + 1) % checkpoint_every == 0
                                       or epoch + 1 == epochs):
            checkpoints.save(checkpoint, (params, key), {"epoch": epoch + 1,
                                                         "history": history}, made_by)
    return params, History(history)


def _resumed_epochs(path: str, saved: dict, epochs: int) -> tuple[int, list[float]]:
    """The epoch counter and loss history of a checkpoint, refused unless they are a
    whole number of epochs no more than this run's, with one finite loss each."""
    start, history = saved.get("epoch"), saved.get("history")
    if isinstance(start, bool) or not isinstance(start, int) or not 0 <= start <= epochs:
        raise DataError(f"checkpoint {path}: epoch {start!r} is not a number of epochs "
                        f"from 0 to this run's {epochs}")
    if not (isinstance(history, list) and len(history) == start and all(
            isinstance(v, (int, float)) and math.isfinite(v) for v in history)):
        raise DataError(f"checkpoint {path}: its loss history is not {start} finite numbers "
                        f"(one per epoch done)")
    return start, [float(v) for v in history]


def _finite(name: str, values: Any) -> None:
    """A DataError naming ``name`` and the first example holding a NaN or an infinity."""
    values = np.asarray(values)  # on the host: no program to compile for a check
    if np.issubdtype(values.dtype, np.inexact) and not np.all(np.isfinite(values)):
        bad = ~np.isfinite(values)
        example = int(np.argmax(bad.reshape(len(bad), -1).any(axis=1)))
        value = values[example].ravel()[np.argmax(bad[example].ravel())]
        raise DataError(f"{name} holds {'NaN' if np.isnan(value) else value} at example "
                        f"{example}: training data must be finite")


def _check_shapes(learner: Learner, params: Any, xs: tuple, ys: tuple, batch: int) -> None:
    """Before compiling an epoch: refuse data whose shapes do not fit the learner
    (a DataError naming x or y), and targets its loss cannot compare."""
    bx, by = tuple(a[:batch] for a in xs), tuple(a[:batch] for a in ys)
    shown = ", ".join(str(a.shape[1:]) for a in xs)
    try:
        outputs = jax.eval_shape(lambda p, xs: tuple(learner.implement(p, *xs)), params, bx)
    except DataError as err:
        raise DataError(f"x does not fit the learner: {err.message}") from None
    except (TypeError, ValueError) as err:
        raise DataError(f"x has shape {shown} per example, which the learner cannot take: "
                        f"{err}") from None
    if learner.check is not None:
        learner.check(outputs, ys)
    try:
        jax.eval_shape(lambda p, xs, ys: learner.error(tuple(learner.implement(p, *xs)), ys),
                       params, bx, by)
    except (TypeError, ValueError) as err:
        raise DataError(f"y has shape {', '.join(str(a.shape[1:]) for a in ys)} per example, "
                        f"which the loss cannot compare with the learner's outputs "
                        f"{', '.join(str(o.shape[1:]) for o in outputs)}: {err}") from None


@partial(jax.jit, static_argnums=(0, 1, 2, 3, 8, 9))
def _epoch(learner: Learner, steps: int, batch: int, shuffle: bool, params: Any,
           xs: tuple, ys: tuple, key: Any, limit: int | None = None,
           mesh: sharding.Mesh | None = None):
    """One epoch (or its first ``limit`` minibatches): the trained parameters,
    each minibatch's loss, and the first minibatch whose loss is not finite (-1 if none).
    A learner with a train mode (dropout) updates in it, each minibatch with its own
    key from ``key`` (the shuffle's key folded with 1); the losses are eval mode's."""
    n = xs[0].shape[0]
    order = jax.random.permutation(key, n) if shuffle else jnp.arange(n)
    batches = order[:steps * batch].reshape(steps, batch)[:limit]
    train = learner.train_update
    keys = None if train is None else jax.random.split(jax.random.fold_in(key, 1),
                                                        steps)[:limit]

    def step(params, indices_key):
        indices, step_key = indices_key
        bx, by = sharding.constrain((tuple(a[indices] for a in xs),
                                     tuple(a[indices] for a in ys)), mesh)
        updated = learner.update(params, bx, by) if train is None else \
            train(params, bx, by, step_key)
        return (sharding.replicate(updated, mesh),
                learner.error(tuple(learner.implement(params, *bx)), by))

    params, losses = lax.scan(step, params, (batches, keys))
    finite = jnp.isfinite(losses)
    return params, losses, jnp.where(jnp.all(finite), -1, jnp.argmin(finite))


def diverged(learner: Learner, params: Any, epoch: int, step: int, steps: int,
             loss: float) -> TrainingError:
    """The error raised when the loss of minibatch ``step`` is not finite: it
    names the layers whose parameters are no longer finite or, when all are,
    the layer holding the largest parameter (where an overflow starts)."""
    where = (f"training stopped at step {epoch * steps + step + 1} (epoch {epoch + 1}, "
             f"minibatch {step + 1} of {steps}): the loss became {loss}")
    sizes = parameter_sizes(learner.names, params)
    broken = [label for label, size in sizes.items() if not np.isfinite(size)]
    grown = {label: size for label, size in sizes.items()
             if not label.startswith(OPTIMISER_STATE) and size > 1e3}
    if broken:
        why = (f"parameters are no longer finite in {', '.join(broken)} "
               f"(try a smaller learning rate)")
    elif grown:
        label = max(grown, key=grown.get)
        why = (f"the parameters have grown to {grown[label]:.3g} in {label} "
               f"(try a smaller learning rate)")
    else:
        why = ("the parameters are finite and moderate, so the loss itself is not: "
               "check the data and labels (e.g. a log of zero)")
    error = TrainingError(f"{where}; {why}")
    error.params = params
    return error


def parameter_sizes(names: Any, params: Any) -> dict[str, float]:
    """The largest absolute value of each named parameter array (inf or NaN if any is)."""
    sizes: dict[str, float] = {}

    def visit(name, part):
        for path, leaf in jax.tree_util.tree_flatten_with_path(part)[0]:
            leaf = np.abs(np.asarray(leaf, dtype=float))
            if leaf.size:
                sizes[f"{name}{jax.tree_util.keystr(path)}"] = float(
                    leaf.max() if np.all(np.isfinite(leaf)) else np.inf)

    try:
        jax.tree.map(visit, names, params)
    except (ValueError, TypeError):  # a hand-made learner without layer names
        sizes.clear()
        visit("parameters", params)
    return sizes


@partial(jax.jit, static_argnums=0)
def _implement(learner: Learner, params: Any, xs: tuple) -> tuple:
    return tuple(learner.implement(params, *xs))


@checked_options
def predict(learner: Learner, params: Any, x: Data) -> Any:
    """The learner's implementation on ``x`` (a bare array when it has one output)."""
    params = check_params(learner, params, "predict")
    xs = wires(x, "x")
    if len(xs) != learner.n_in:
        raise DataError(f"predict: the learner {learner.signature} has {learner.n_in} input "
                        f"wire(s), so x must give {learner.n_in} arrays; it gives {len(xs)}")
    try:
        ys = _implement(learner, params, xs)
    except DataError as err:
        raise DataError(f"predict: x does not fit the learner: {err.message}") from None
    return ys[0] if learner.n_out == 1 else ys


@checked_options
def accuracy(learner: Learner, params: Any, x: Data, y: Any) -> float:
    """The fraction of examples whose predicted class (the argmax of the output,
    or the output rounded when it is one number) is ``y`` (labels or one-hot)."""
    params = check_params(learner, params, "accuracy")
    return float(_accuracy(learner, params, wires(x, "x"), jnp.asarray(y)))


@partial(jax.jit, static_argnums=0)
def _accuracy(learner: Learner, params: Any, xs: tuple, y: Any) -> Any:
    ys = tuple(learner.implement(params, *xs))
    scores = ys[0] if learner.n_out == 1 else jnp.asarray(ys)
    if scores.ndim > 1 and scores.shape[-1] > 1:
        predicted = jnp.argmax(scores, axis=-1)
        y = jnp.argmax(y, axis=-1) if y.ndim == scores.ndim else y
    else:
        predicted = jnp.round(scores).reshape(y.shape)
    return jnp.mean(predicted == y)


@checked_options
def loss(learner: Learner, params: Any, x: Data, y: Data) -> float:
    """The learner's error on all of ``(x, y)`` at once, e.g. on held-out data."""
    params = check_params(learner, params, "loss")
    return float(_loss(learner, params, *as_wires(learner, x, y, "loss")))


@partial(jax.jit, static_argnums=0)
def _loss(learner: Learner, params: Any, xs: tuple, ys: tuple) -> Any:
    return learner.error(tuple(learner.implement(params, *xs)), ys)


class Trainable(Learner):
    """A learner that trains itself: the morphism of Learn with the training
    algorithm of this module as methods (what :func:`catlearn.learn` returns)."""

    @checked_options
    def fit(self, params: Any, x: Data, y: Data, epochs: int = 1, batch_size: int = 32,
            key: Any = None, **options: Any):
        """Train on ``(x, y)``; returns the trained parameters and the loss history.
        See :func:`fit`."""
        return fit(self, params, x, y, epochs=epochs, batch_size=batch_size, key=key,
                   **options)

    @checked_options
    def predict(self, params: Any, x: Data) -> Any:
        """The implementation on a batch ``x`` (one bare output when there is one)."""
        return predict(self, params, x)

    @checked_options
    def accuracy(self, params: Any, x: Data, y: Any) -> float:
        """The fraction of ``x`` whose predicted class is ``y``."""
        return accuracy(self, params, x, y)
