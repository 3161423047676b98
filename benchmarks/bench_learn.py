"""Training speed: catlearn's learner against the same network written by hand.

An MLP 64-256-256-10 (ReLU) on the 8×8 digits, softmax cross-entropy, Adam
(lr 1e-3), minibatches of 128, each epoch one jitted ``lax.scan``. Both sides
are compiled first, then timed over the same number of epochs, taking turns,
and the best of several repeats is kept.

    .venv/bin/python benchmarks/bench_learn.py [--epochs 50] [--repeats 5]
"""
from __future__ import annotations

import argparse
import pathlib
import time

import jax
import jax.numpy as jnp
import numpy as np
import optax

from catlearn.learning import adam, cross_entropy, learn
from catlearn.primitives.nn import dense, relu

DATA = pathlib.Path(__file__).resolve().parent.parent / "examples" / "data" / "digits.csv"
BATCH, LR = 128, 1e-3


def load():
    table = np.loadtxt(DATA, delimiter=",", skiprows=1, dtype=np.float32)
    return jnp.asarray(table[:, :-1] / 16.0), jnp.asarray(table[:, -1].astype(np.int32))


def catlearn_trainer(x, y):
    clf = learn(dense(64, 256) >> relu(256) >> dense(256, 256) >> relu(256) >> dense(256, 10),
                loss=cross_entropy, optimizer=adam(LR))

    def run(params, key, epochs):
        return clf.fit(params, x, y, epochs=epochs, batch_size=BATCH, key=key,
                       progress=False)[0]
    return clf.init(jax.random.key(0)), run


def handwritten_trainer(x, y):
    sizes = [64, 256, 256, 10]
    keys = jax.random.split(jax.random.key(0), 3)
    params = [{"w": jax.nn.initializers.lecun_normal()(k, (m, n)), "b": jnp.zeros(n)}
              for k, m, n in zip(keys, sizes[:-1], sizes[1:])]

    def loss(params, xb, yb):
        h = xb
        for layer in params[:-1]:
            h = jax.nn.relu(h @ layer["w"] + layer["b"])
        logits = h @ params[-1]["w"] + params[-1]["b"]
        return optax.softmax_cross_entropy_with_integer_labels(logits, yb).mean()
    return scan_trainer(loss, params, x, y)


def scan_trainer(loss, params, x, y):
    """The hand-written side: Adam on ``loss(params, xb, yb)``, each epoch one
    jitted ``lax.scan`` over shuffled minibatches."""
    tx = optax.adam(LR)

    @jax.jit
    def epoch(state, key):
        steps = x.shape[0] // BATCH
        order = jax.random.permutation(key, x.shape[0])[:steps * BATCH].reshape(steps, BATCH)

        def step(state, idx):
            params, opt = state
            value, grads = jax.value_and_grad(loss)(params, x[idx], y[idx])
            updates, opt = tx.update(grads, opt, params)
            return (optax.apply_updates(params, updates), opt), value
        return jax.lax.scan(step, state, order)

    def run(state, key, epochs):
        for _ in range(epochs):
            key, sub = jax.random.split(key)
            state, losses = epoch(state, sub)
            float(jnp.mean(losses))   # the same per-epoch sync as fit's loss history
        return state
    return (params, tx.init(params)), run


def best_times(trainers, epochs, repeats):
    """For each ``(state, run)``, the best wall-clock and CPU (process) times of
    ``repeats`` runs, the trainers taking turns; CPU time is the steadier
    figure on a machine shared with other work."""
    for state, run in trainers:
        jax.block_until_ready(run(state, jax.random.key(1), 1))   # compile
    wall = [[] for _ in trainers]
    cpu = [[] for _ in trainers]
    for r in range(repeats):
        for i, (state, run) in enumerate(trainers):
            start, start_cpu = time.perf_counter(), time.process_time()
            jax.block_until_ready(run(state, jax.random.key(r), epochs))
            wall[i].append(time.perf_counter() - start)
            cpu[i].append(time.process_time() - start_cpu)
    return [(min(w), min(c)) for w, c in zip(wall, cpu)]


def compare(description: str, ours, theirs, peer: str, epochs: int = 50) -> None:
    """Time the trainers ``ours(x, y)`` and ``theirs(x, y)`` on the digits and print
    steps per second (wall and CPU) and the ratio of their times."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--epochs", type=int, default=epochs)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    x, y = load()
    steps = args.epochs * (x.shape[0] // BATCH)
    mine, peers = best_times([ours(x, y), theirs(x, y)], args.epochs, args.repeats)
    print(f"device: {jax.devices()[0].platform}; {steps} steps of batch {BATCH}")
    for what, i in (("wall", 0), ("cpu", 1)):
        print(f"{what:4}: catlearn {steps / mine[i]:8.1f} steps/s, {peer} "
              f"{steps / peers[i]:8.1f} steps/s, ratio (time catlearn / {peer}) "
              f"{mine[i] / peers[i]:.3f}")


if __name__ == "__main__":
    compare(__doc__.splitlines()[0], catlearn_trainer, handwritten_trainer, "JAX + optax")
