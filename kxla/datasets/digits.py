"""scikit-learn's bundled 8x8 handwritten digits (1,797 images; no network needed)."""
from __future__ import annotations

import numpy as np


def load_data(test_split: float = 0.2, seed: int = 0):
    """Return ``(x_train, y_train), (x_test, y_test)``: float32 images in [0, 1] of shape (8, 8), int labels.

    Needs scikit-learn (``pip install scikit-learn``), which ships the data.
    """
    try:
        from sklearn.datasets import load_digits
    except ImportError as e:
        raise ImportError("kxla.datasets.digits needs scikit-learn, which ships the digits data: "
                          "pip install scikit-learn") from e
    digits = load_digits()
    x = (digits.images / 16.0).astype("float32")
    y = digits.target.astype("int32")
    order = np.random.default_rng(seed).permutation(len(x))
    x, y = x[order], y[order]
    cut = int(len(x) * (1 - test_split))
    return (x[:cut], y[:cut]), (x[cut:], y[cut:])


def synthetic_data(n: int = 1797, test_split: float = 0.2, seed: int = 0):
    """Digits-shaped synthetic data (10 noisy class prototypes) for machines without scikit-learn."""
    rng = np.random.default_rng(seed)
    prototypes = rng.uniform(0, 1, size=(10, 8, 8)).astype("float32")
    y = rng.integers(0, 10, size=n).astype("int32")
    x = np.clip(prototypes[y] + rng.normal(0, 0.25, size=(n, 8, 8)), 0, 1).astype("float32")
    cut = int(n * (1 - test_split))
    return (x[:cut], y[:cut]), (x[cut:], y[cut:])


def load_data_or_synthetic(seed: int = 0):
    """``(data, source)``: the real digits when scikit-learn is installed, else synthetic data."""
    try:
        return load_data(seed=seed), "scikit-learn digits (real data)"
    except ImportError:
        return synthetic_data(seed=seed), "synthetic digits (scikit-learn not installed)"
