"""Shared steps of Keras's npz datasets: shuffle with a seeded RandomState, split by ``test_split``."""
from __future__ import annotations

import numpy as np


def check_test_split(test_split) -> None:
    if not (0 <= test_split < 1):
        raise ValueError(f"Invalid `test_split` argument: {test_split}. "
                         "It must be between 0 and 1 (exclusive of 1).")


def shuffle(seed, *arrays):
    """Shuffle ``arrays`` with one permutation drawn as Keras draws it (``RandomState(seed).shuffle``)."""
    indices = np.arange(len(arrays[0]))
    np.random.RandomState(seed).shuffle(indices)
    return [a[indices] for a in arrays]


def split(x, y, test_split):
    """``(x_train, y_train), (x_test, y_test)`` with the first ``1 - test_split`` of the samples for training."""
    n = int(len(x) * (1 - test_split))
    return (np.array(x[:n]), np.array(y[:n])), (np.array(x[n:]), np.array(y[n:]))
