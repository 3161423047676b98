"""Training speed of a small CNN: catlearn's learner against Equinox + optax.

The network of ``examples/digits_cnn.py`` (an 8x8 image of one channel; 16
3x3 filters, same padding, ReLU; 2x2 max pooling; dense 256-64, ReLU; dense
64-10) on the 8×8 digits, softmax cross-entropy, Adam (lr 1e-3), minibatches
of 128, each epoch one jitted ``lax.scan`` on both sides. Equinox lays an
image out channels first (its convolution's convention), catlearn channels
last; the arithmetic is the same. Both are compiled first, then timed over
the same epochs, taking turns, best of several repeats (``bench_learn``'s
timer).

    .venv/bin/python benchmarks/bench_cnn.py [--epochs 20] [--repeats 5]
"""
from __future__ import annotations

import pathlib
import sys

import equinox as eqx
import jax
import jax.numpy as jnp
import optax

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from bench_learn import BATCH, LR, compare, scan_trainer  # noqa: E402  (shared)

from catlearn.learning import adam, cross_entropy, learn  # noqa: E402
from catlearn.primitives.layers import conv2d, max_pool, reshape  # noqa: E402
from catlearn.primitives.nn import dense, relu  # noqa: E402


def catlearn_trainer(x, y):
    cnn = (reshape((64,), (8, 8, 1)) >> conv2d(8, 8, 1, 16) >> relu >> max_pool(8, 8, 16)
           >> reshape((4, 4, 16), (256,)) >> dense(256, 64) >> relu >> dense(64, 10))
    clf = learn(cnn, loss=cross_entropy, optimizer=adam(LR))

    def run(params, key, epochs):
        return clf.fit(params, x, y, epochs=epochs, batch_size=BATCH, key=key,
                       progress=False)[0]
    return clf.init(jax.random.key(0)), run


class CNN(eqx.Module):
    conv: eqx.nn.Conv2d
    pool: eqx.nn.MaxPool2d
    hidden: eqx.nn.Linear
    out: eqx.nn.Linear

    def __init__(self, key):
        k1, k2, k3 = jax.random.split(key, 3)
        self.conv = eqx.nn.Conv2d(1, 16, 3, padding=1, key=k1)
        self.pool = eqx.nn.MaxPool2d(2, 2)
        self.hidden = eqx.nn.Linear(256, 64, key=k2)
        self.out = eqx.nn.Linear(64, 10, key=k3)

    def __call__(self, pixels):
        h = self.pool(jax.nn.relu(self.conv(jnp.reshape(pixels, (1, 8, 8)))))
        return self.out(jax.nn.relu(self.hidden(jnp.ravel(h))))


def equinox_trainer(x, y):
    # the scan carries the model's arrays; its static part (the pooling function) stays out
    params, static = eqx.partition(CNN(jax.random.key(0)), eqx.is_array)

    def loss(params, xb, yb):
        logits = jax.vmap(eqx.combine(params, static))(xb)
        return optax.softmax_cross_entropy_with_integer_labels(logits, yb).mean()
    return scan_trainer(loss, params, x, y)


if __name__ == "__main__":
    compare(__doc__.splitlines()[0], catlearn_trainer, equinox_trainer, "Equinox + optax",
            epochs=20)
