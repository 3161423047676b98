"""A small convolutional network on the 8x8 handwritten digits, from Python.

The same network as ``digits_cnn.cat``: each row of 64 pixels (values 0-16)
becomes an 8x8 image of one channel, 16 learnt 3x3 filters and a ReLU, 2x2
max pooling, then two dense layers to the 10 classes. Trained with Adam on a
seeded 80% of the rows and scored on the 20% it never saw.

The data (``data/digits.csv``) are the UCI optical recognition of handwritten
digits test set (optdigits, 1797 images), as scikit-learn's ``load_digits``
ships it.

    python examples/digits_cnn.py            # prints the held-out accuracy
"""
from __future__ import annotations

import os

import jax
import numpy as np

import catlearn as cl

HERE = os.path.dirname(os.path.abspath(__file__))

cnn = (cl.reshape((64,), (8, 8, 1)) >> cl.conv2d(8, 8, 1, 16) >> cl.relu
       >> cl.max_pool(8, 8, 16) >> cl.reshape((4, 4, 16), (256,))
       >> cl.dense(256, 64) >> cl.relu >> cl.dense(64, 10))


def digits() -> tuple[np.ndarray, np.ndarray]:
    """The pixels (1797 × 64) and the labels."""
    table = cl.load_table(os.path.join(HERE, "data", "digits.csv"))
    return np.stack([table[f"p{i}"] for i in range(64)], 1), table["digit"]


def main(epochs: int = 30, seed: int = 0) -> float:
    """Train and return the held-out accuracy."""
    x, y = digits()
    key_split, key_fit = jax.random.split(jax.random.key(seed))
    (x_train, y_train), (x_test, y_test) = cl.train_test_split(key_split, x, y, test=0.2)
    clf = cl.learn(cnn, loss=cl.cross_entropy, optimizer=cl.adam(0.003))
    params, history = clf.fit(None, x_train, y_train, epochs=epochs, batch_size=32,
                              key=key_fit, progress=False)
    return clf.accuracy(params, x_test, y_test)


if __name__ == "__main__":
    print(f"held-out accuracy: {main():.4f}")
