"""keras.ops.image filters and windows as op definitions: gaussian_blur, sobel_edges, ssim, extract_patches(_3d).

Each op is one catalogue row (``catalog.op``). The formulas follow Keras's
JAX backend; the JAX lowering convolves with ``lax.conv_general_dilated``
(depthwise, as Keras), the numpy reference (constant folding, tests) sums
the kernel's shifted taps. ``extract_patches`` gathers strided windows
(Keras convolves with an identity kernel: the same values, exactly).
``data_format=None`` means ``kxla.config.image_data_format()`` — also for
``gaussian_blur``, whose eager Keras 3.15 call reads None as channels_first
while its symbolic call reads the configured format (kxla follows the latter).
"""
from __future__ import annotations

import math

import numpy as np

from .lazy_jax import jax, jnp
from ..ir import is_floating
from . import families as F
from .catalog import op
from .image import _fmt


def _is_np(x):
    return isinstance(x, np.ndarray)


def _xp(x):
    if _is_np(x):
        return np
    return jnp


def depthwise(x, kernel, padding):
    """``x`` (N, H, W, C) convolved per channel with ``kernel`` (kh, kw) ("same" or "valid", stride 1)."""
    kh, kw = kernel.shape
    if _is_np(x):
        if padding == "same":
            x = np.pad(x, [(0, 0), ((kh - 1) // 2, kh // 2), ((kw - 1) // 2, kw // 2), (0, 0)])
        h, w = x.shape[1] - kh + 1, x.shape[2] - kw + 1
        out = np.zeros(x.shape[:1] + (h, w) + x.shape[3:], x.dtype)
        for i in range(kh):
            for j in range(kw):
                out = out + x[:, i:i + h, j:j + w, :] * kernel[i, j]
        return out
    c = x.shape[-1]
    k = jnp.tile(jnp.asarray(kernel, x.dtype)[:, :, None, None], (1, 1, 1, c))
    return jax.lax.conv_general_dilated(x, k, (1, 1), padding.upper(), dimension_numbers=("NHWC", "HWIO", "NHWC"),
                                        feature_group_count=c)


def _nhwc(x, data_format):
    """``x`` as a (N, H, W, C) batch, and the function that puts a result of that layout back."""
    xp, single = _xp(x), x.ndim == 3
    y = x[None] if single else x
    if data_format == "channels_first":
        y = xp.moveaxis(y, 1, -1)

    def back(z):
        if data_format == "channels_first":
            z = xp.moveaxis(z, 3, 1)
        return z[0] if single else z
    return y, back


def _check_rank(x, ranks=(3, 4), what="images"):
    if x.ndim not in ranks:
        raise ValueError(f"Invalid {what} rank: expected rank {' or '.join(map(str, ranks))}. "
                         f"Received input with shape: {what}.shape={x.shape}")


def gaussian_kernel_1d(size, sigma, xp=np, dtype="float32"):
    """Keras's 1-D Gaussian taps (normalised to sum 1)."""
    x = xp.arange(size, dtype=dtype) - xp.asarray((size - 1) / 2, dtype=dtype)
    k = xp.exp(-0.5 * (x / xp.asarray(sigma, dtype)) ** 2)
    return k / xp.sum(k)


def _gaussian_blur(images, kernel_size, sigma, data_format):
    _check_rank(images)
    if not is_floating(str(images.dtype)):
        raise ValueError(f"gaussian_blur: images must be floating point, got {images.dtype}")
    xp, dtype = _xp(images), images.dtype
    kernel_size = (kernel_size, kernel_size) if isinstance(kernel_size, int) else tuple(kernel_size)
    sigma = (sigma, sigma) if isinstance(sigma, (int, float)) else tuple(sigma)
    kernel = xp.outer(gaussian_kernel_1d(kernel_size[1], sigma[1], xp, dtype),
                      gaussian_kernel_1d(kernel_size[0], sigma[0], xp, dtype))
    x, back = _nhwc(images, data_format)
    return back(depthwise(x, kernel, "same"))


gaussian_blur = op("gaussian_blur", "images, kernel_size=(3, 3), sigma=(1.0, 1.0), data_format=None",
                   _gaussian_blur, _gaussian_blur, shape=F.unary, dtype=F.keep, ns="image", prepare=_fmt,
                   cost=F.per_output(18), doc="Gaussian blur per channel (depthwise convolution, same padding)")

_SOBEL_X = np.array([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]], "float32")


def _sobel(images, data_format):
    if images.ndim != 4:
        raise ValueError(f"Invalid images rank: expected rank 4 (batch of images). Received: images.shape="
                         f"{list(images.shape)}")
    xp = _xp(images)
    x, back = _nhwc(images, data_format)
    kx, ky = _SOBEL_X.astype(images.dtype), _SOBEL_X.T.astype(images.dtype)
    return xp.stack([back(depthwise(x, ky, "same")), back(depthwise(x, kx, "same"))], axis=-1)


def _sobel_shape(types, attrs):
    t = types[0]
    if t.rank != 4:
        raise ValueError(f"Invalid images rank: expected rank 4 (batch of images). Received: images.shape={t.shape}")
    return [tuple(t.shape) + (2,)]


sobel_edges = op("sobel_edges", "images, data_format=None", _sobel, _sobel, shape=_sobel_shape, dtype=F.keep,
                 ns="image", prepare=_fmt, cost=F.per_output(18),
                 doc="Sobel gradients, stacked [dy, dx] on a new last axis")


def _ssim(image1, image2, max_val, filter_size, filter_sigma, k1, k2, data_format):
    _check_rank(image1, what="image1")
    _check_rank(image2, what="image2")
    xp, out_dtype = _xp(image1), image1.dtype
    compute = out_dtype if is_floating(str(out_dtype)) else "float32"
    a, _ = _nhwc(image1.astype(compute), data_format)
    b, _ = _nhwc(image2.astype(compute), data_format)
    g = gaussian_kernel_1d(filter_size, filter_sigma, xp, compute)
    kernel = xp.outer(g, g)
    c1, c2 = (k1 * max_val) ** 2, (k2 * max_val) ** 2
    mu1, mu2 = depthwise(a, kernel, "valid"), depthwise(b, kernel, "valid")
    s11 = depthwise(a * a, kernel, "valid") - mu1 * mu1
    s22 = depthwise(b * b, kernel, "valid") - mu2 * mu2
    s12 = depthwise(a * b, kernel, "valid") - mu1 * mu2
    ssim_map = (2.0 * mu1 * mu2 + c1) * (2.0 * s12 + c2) / ((mu1 * mu1 + mu2 * mu2 + c1) * (s11 + s22 + c2))
    out = xp.mean(xp.mean(ssim_map, axis=(1, 2)), axis=-1)
    return (out[0] if image1.ndim == 3 else out).astype(out_dtype)


def _ssim_shape(types, attrs):
    for t, name in zip(types, ("image1", "image2")):
        if t.rank not in (3, 4):
            raise ValueError(f"Invalid {name} rank: expected rank 3 (single image) or rank 4 (batch of images). "
                             f"Received input with shape: {name}.shape={t.shape}")
    return [() if types[0].rank == 3 else (types[0].shape[0],)]


ssim = op("ssim", "image1, image2, max_val=1.0, filter_size=11, filter_sigma=1.5, k1=0.01, k2=0.03, data_format=None",
          _ssim, _ssim, shape=_ssim_shape, dtype=F.keep, ns="image", prepare=_fmt, cost=F.per_input(600),
          doc="structural similarity of two images (Gaussian-weighted, averaged over pixels and channels)")


# -- patches ---------------------------------------------------------------------
def _tuple(v, n, name):
    v = (v,) * n if isinstance(v, int) else tuple(v)
    if len(v) != n:
        raise ValueError(f"Invalid `{name}` argument. Expected an int or a tuple of length {n}. Received: {v}")
    return v


def _window_geometry(n, k, s, d, padding):
    """(output size, padding before, padding after) of one axis, as XLA's "same"/"valid" convolution."""
    eff = (k - 1) * d + 1
    if padding == "valid":
        return max((n - eff) // s + 1, 0), 0, 0
    out = -(-n // s)
    total = max((out - 1) * s + eff - n, 0)
    return out, total // 2, total - total // 2


def _patches(images, size, strides, dilation_rate, padding, data_format, nd):
    xp = _xp(images)
    padding = padding.lower()
    if padding not in ("same", "valid"):
        raise ValueError(f"Invalid `padding` argument. Expected 'same' or 'valid'. Received: padding={padding}")
    size = _tuple(size, nd, "size")
    strides = size if not strides else _tuple(strides, nd, "strides")
    dilation = _tuple(dilation_rate, nd, "dilation_rate")
    single = images.ndim == nd + 1
    x = images[None] if single else images
    if data_format == "channels_first":
        x = xp.moveaxis(x, 1, -1)
    geo = [_window_geometry(n, k, s, d, padding) for n, k, s, d in zip(x.shape[1:-1], size, strides, dilation)]
    if any(g[0] <= 0 for g in geo):
        raise ValueError("The convolution operation resulted in an empty output: the input is too small for "
                         f"size={size}, strides={strides}, dilation_rate={dilation_rate}, padding={padding}")
    x = xp.pad(x, [(0, 0)] + [(b, a) for _, b, a in geo] + [(0, 0)])
    taps = []
    for offsets in np.ndindex(*size):
        index = tuple(slice(o * d, o * d + (g[0] - 1) * s + 1, s)
                      for o, d, s, g in zip(offsets, dilation, strides, geo))
        taps.append(x[(slice(None),) + index])
    out = xp.concatenate(taps, axis=-1)
    if data_format == "channels_first":
        out = xp.moveaxis(out, -1, 1)
    return out[0] if single else out


def _extract_patches(images, size, strides, dilation_rate, padding, data_format):
    nd = 3 if not isinstance(size, int) and len(size) == 3 else 2
    if not isinstance(size, int) and len(size) not in (2, 3):
        raise ValueError(f"Invalid `size` argument. Expected a tuple of length 2 or 3. Received: size={size}")
    _check_rank(images, (nd + 1, nd + 2))
    return _patches(images, size, strides, dilation_rate, padding, data_format, nd)


def _extract_patches_3d(volumes, size, strides, dilation_rate, padding, data_format):
    _check_rank(volumes, (4, 5), "volumes")
    return _patches(volumes, size, strides, dilation_rate, padding, data_format, 3)


def _patch_shape(nd_of):
    def shape(types, attrs):
        t, nd = types[0], nd_of(attrs)
        if t.rank not in (nd + 1, nd + 2):
            raise ValueError(f"Invalid images rank: expected rank {nd + 1} or {nd + 2}. Received: {t.shape}")
        size = _tuple(attrs["size"], nd, "size")
        strides = size if not attrs["strides"] else _tuple(attrs["strides"], nd, "strides")
        dilation = _tuple(attrs["dilation_rate"], nd, "dilation_rate")
        cf = attrs["data_format"] == "channels_first"
        spatial = list(t.shape[-nd:] if cf else t.shape[-nd - 1:-1])
        channels = t.shape[-nd - 1] if cf else t.shape[-1]
        out = [None if n is None else _window_geometry(n, k, s, d, attrs["padding"].lower())[0]
               for n, k, s, d in zip(spatial, size, strides, dilation)]
        depth = None if channels is None else math.prod(size) * channels
        lead = list(t.shape[:-nd - 1])
        return [tuple(lead + ([depth] + out if cf else out + [depth]))]
    return shape


_PATCH_SIG = "images, size, strides=None, dilation_rate=1, padding='valid', data_format=None"
extract_patches = op("extract_patches", _PATCH_SIG, _extract_patches, _extract_patches,
                     shape=_patch_shape(lambda a: 3 if isinstance(a["size"], list) and len(a["size"]) == 3 else 2),
                     dtype=F.keep, ns="image", prepare=_fmt, cost=F.movement, tensors=("images",),
                     doc="image (or volume) patches stacked on the channel axis")
extract_patches_3d = op("extract_patches_3d", _PATCH_SIG.replace("images", "volumes"), _extract_patches_3d,
                        _extract_patches_3d, shape=_patch_shape(lambda a: 3), dtype=F.keep, ns="image",
                        prepare=_fmt, cost=F.movement, tensors=("volumes",),
                        doc="volume patches stacked on the channel axis")
