"""A numpy image resize equal to ``kxla.ops.image.resize`` (``jax.image.resize``, antialias off) for loaders.

File loaders see images of many sizes; the compiled op would compile once per
size. This computes the same separable weight matrices (triangle, Keys cubic,
Lanczos, nearest) on the host, with Keras's ``crop_to_aspect_ratio`` /
``pad_to_aspect_ratio`` framing, for one ``(height, width, channels)`` image.
"""
from __future__ import annotations

import numpy as np

from ..ops.resize_kernels import KERNELS as _jax_kernels

_EPS = 1000.0 * float(np.finfo(np.float32).eps)


#: interpolation name -> kernel of ``jax.image.resize``
KERNELS = {"bilinear": _jax_kernels["linear"], "bicubic": _jax_kernels["cubic"],
           "lanczos3": _jax_kernels["lanczos3"], "lanczos5": _jax_kernels["lanczos5"]}


def weight_matrix(m: int, n: int, method: str) -> np.ndarray:
    """``(m, n)`` weights mapping an axis of ``m`` pixels onto ``n`` (jax's ``compute_weight_mat``)."""
    inv = np.float32(m) / np.float32(n)
    sample = (np.arange(n, dtype=np.float32) + 0.5) * inv - 0.5
    w = KERNELS[method](np.abs(sample[None, :] - np.arange(m, dtype=np.float32)[:, None]))
    total = w.sum(axis=0, keepdims=True)
    w = np.where(np.abs(total) > _EPS, w / np.where(total != 0, total, 1), 0)
    w = np.where(((sample >= -0.5) & (sample <= m - 0.5))[None, :], w, 0)
    return w.astype(np.float32)


def _frame(img, size, crop, pad):
    """Keras's centre crop / zero pad to the target aspect ratio (``img`` is HWC)."""
    height, width = img.shape[:2]
    th, tw = size
    if crop:
        ch = max(min(height, int(float(width * th) / tw)), 1)
        cw = max(min(width, int(float(height * tw) / th)), 1)
        top, left = int(float(height - ch) / 2), int(float(width - cw) / 2)
        return img[top:top + ch, left:left + cw]
    if pad:
        ph, pw = max(height, int(float(width * th) / tw)), max(width, int(float(height * tw) / th))
        top, left = int(float(ph - height) / 2), int(float(pw - width) / 2)
        if top > 0:
            return np.pad(img, ((top, top), (0, 0), (0, 0)))
        if left > 0:
            return np.pad(img, ((0, 0), (left, left), (0, 0)))
    return img


def resize_image(img, size, interpolation="bilinear", crop_to_aspect_ratio=False, pad_to_aspect_ratio=False):
    """One float32 HWC image resized to ``size`` = (height, width)."""
    if interpolation != "nearest" and interpolation not in KERNELS:
        raise ValueError(f"Invalid value for argument `interpolation`. Expected of one "
                         f"{('bilinear', 'nearest', 'lanczos3', 'lanczos5', 'bicubic')}. "
                         f"Received: interpolation={interpolation}")
    img = _frame(np.asarray(img, np.float32), size, crop_to_aspect_ratio, pad_to_aspect_ratio)
    for axis, n in enumerate(size):
        m = img.shape[axis]
        if m == n:
            continue
        if interpolation == "nearest":
            offsets = np.floor(((np.arange(n, dtype=np.float32) + 0.5) * m / n).astype(np.float32)).astype(int)
            img = np.take(img, offsets, axis=axis)
        else:
            w = weight_matrix(m, n, interpolation)
            img = np.moveaxis(np.tensordot(img, w, axes=([axis], [0])), -1, axis)
    return img.astype(np.float32)
