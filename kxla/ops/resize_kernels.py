"""The interpolation kernels of ``jax.image`` in numpy (no jax): the numpy reference of
``scale_and_translate`` and the host-side image resize of the file loaders use them."""
from __future__ import annotations

import numpy as np


def _lanczos(radius):
    def kernel(x):
        with np.errstate(divide="ignore", invalid="ignore"):
            y = radius * np.sin(np.pi * x) * np.sin(np.pi * x / radius)
            out = np.where(x > 1e-3, y / np.where(x != 0, np.pi ** 2 * x ** 2, 1), 1)
        return np.where(x > radius, 0.0, out)
    return kernel


def _keys_cubic(x):
    out = ((1.5 * x - 2.5) * x) * x + 1.0
    out = np.where(x >= 1.0, ((-0.5 * x + 2.5) * x - 4.0) * x + 2.0, out)
    return np.where(x >= 2.0, 0.0, out)


#: kernel(|distance|) -> weight, by jax.image's method name
KERNELS = {"linear": lambda x: np.maximum(0, 1 - np.abs(x)), "cubic": _keys_cubic, "lanczos3": _lanczos(3.0),
           "lanczos5": _lanczos(5.0)}
