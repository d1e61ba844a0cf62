"""kxla.ops.image — Keras's ``keras.ops.image`` namespace; colour conversions and padding/cropping as table rows.

Each formula is written once over an array module (``jnp`` for the lowering,
``numpy`` for the reference), following Keras's JAX backend. ``data_format``
None means ``kxla.config.image_data_format()`` at call time.
"""
from __future__ import annotations

from .lazy_jax import jnp
import numpy as np

from ..ir import is_floating
from . import families as F
from ._gather import gather as _gather
from .catalog import op

_IMAGE = ("images", "data_format=None")


def _fmt(ins, attrs):
    if attrs.get("data_format") is None:
        from ..config import image_data_format
        attrs["data_format"] = image_data_format()
    return ins, attrs


def _xp(x):
    return np if isinstance(x, np.ndarray) else jnp


def _check(x, float_only=False):
    if x.ndim not in (3, 4):
        raise ValueError("Invalid images rank: expected rank 3 (single image) or rank 4 (batch of images). "
                         f"Received input with shape: images.shape={x.shape}")
    if float_only and not is_floating(str(x.dtype)):
        raise ValueError(f"Invalid images dtype: expected float dtype. Received: images.dtype={x.dtype}")


def _grayscale(x, data_format):
    _check(x)
    xp, axis = _xp(x), -1 if data_format == "channels_last" else -3
    if x.shape[axis] == 1:
        return x
    if x.shape[axis] != 3:
        raise ValueError(f"Invalid channel size: expected 3 (RGB) or 1 (Grayscale). Received input with shape: "
                         f"images.shape={x.shape}")
    compute = x if is_floating(str(x.dtype)) else x.astype("float32")
    w = xp.asarray([0.2989, 0.5870, 0.1140], dtype=compute.dtype)
    return xp.expand_dims(xp.tensordot(compute, w, axes=(axis, -1)), axis).astype(x.dtype)


def _gray_shape(types, attrs):
    s = list(types[0].shape)
    s[-1 if attrs["data_format"] == "channels_last" else -3] = 1
    return [tuple(s)]


def _rgb_to_hsv(x, data_format):
    _check(x, True)
    xp, axis = _xp(x), -1 if data_format == "channels_last" else -3
    eps = np.finfo(x.dtype).eps
    x = xp.where(xp.abs(x) < eps, 0.0, x).astype(x.dtype)
    r, g, b = (xp.squeeze(p, axis) for p in xp.split(x, 3, axis))
    value = xp.maximum(xp.maximum(r, g), b)
    range_ = value - xp.minimum(xp.minimum(r, g), b)
    saturation = xp.where(value > 0, range_ / xp.where(value > 0, value, 1.0), 0.0)
    norm = 1.0 / (6.0 * xp.where(range_ > 0, range_, 1.0))
    hue = xp.where(value == g, norm * (b - r) + 2.0 / 6.0, norm * (r - g) + 4.0 / 6.0)
    hue = xp.where(value == r, norm * (g - b), hue)
    hue = xp.where(range_ > 0, hue, 0.0) + (hue < 0.0).astype(hue.dtype)
    return xp.stack([hue, saturation, value], axis=axis).astype(x.dtype)


def _hsv_to_rgb(x, data_format):
    _check(x, True)
    xp, axis = _xp(x), -1 if data_format == "channels_last" else -3
    h, s, v = (xp.squeeze(p, axis) for p in xp.split(x, 3, axis))
    dh = xp.mod(h, 1.0) * 6.0
    dr = xp.clip(xp.abs(dh - 3.0) - 1.0, 0.0, 1.0)
    dg = xp.clip(2.0 - xp.abs(dh - 2.0), 0.0, 1.0)
    db = xp.clip(2.0 - xp.abs(dh - 4.0), 0.0, 1.0)
    one_minus_s = 1.0 - s
    planes = [v * (one_minus_s + s * d) for d in (dr, dg, db)]
    return xp.stack(planes, axis=axis).astype(x.dtype)


rgb_to_grayscale = op("rgb_to_grayscale", ", ".join(_IMAGE), _grayscale, _grayscale, shape=_gray_shape,
                      dtype=F.keep, ns="image", prepare=_fmt)
rgb_to_hsv = op("rgb_to_hsv", ", ".join(_IMAGE), _rgb_to_hsv, _rgb_to_hsv, shape=F.unary, dtype=F.keep, ns="image",
                prepare=_fmt)
hsv_to_rgb = op("hsv_to_rgb", ", ".join(_IMAGE), _hsv_to_rgb, _hsv_to_rgb, shape=F.unary, dtype=F.keep, ns="image",
                prepare=_fmt)


# -- padding and cropping --------------------------------------------------------
def _box(size, before, after, target, name):
    """(before, after) amounts from Keras's arguments: two of before / after / target for one axis."""
    given = [v is not None for v in (before, after, target)]
    if sum(given) != 2:
        raise ValueError(f"{name}: give exactly two of the {name.split('_')[0]} before, after and the target "
                         f"size for each axis; got before={before}, after={after}, target={target}")
    if target is None:
        return before, after
    total = target - size if name == "pad_images" else size - target     # rows added / removed
    return (before, total - before) if before is not None else (total - after, after)


def _pad(x, top_padding, left_padding, bottom_padding, right_padding, target_height, target_width, data_format):
    _check(x)
    xp, cl = _xp(x), data_format == "channels_last"
    h, w = x.shape[-3:-1] if cl else x.shape[-2:]
    top, bottom = _box(h, top_padding, bottom_padding, target_height, "pad_images")
    left, right = _box(w, left_padding, right_padding, target_width, "pad_images")
    if min(top, bottom, left, right) < 0:
        raise ValueError("pad_images: the target size is smaller than the images")
    pads = [(top, bottom), (left, right), (0, 0)] if cl else [(0, 0), (top, bottom), (left, right)]
    return xp.pad(x, [(0, 0)] * (x.ndim - 3) + pads)


def _crop(x, top_cropping, left_cropping, bottom_cropping, right_cropping, target_height, target_width,
          data_format):
    _check(x)
    cl = data_format == "channels_last"
    h, w = x.shape[-3:-1] if cl else x.shape[-2:]
    top, bottom = _box(h, top_cropping, bottom_cropping, target_height, "crop_images")
    left, right = _box(w, left_cropping, right_cropping, target_width, "crop_images")
    if min(top, bottom, left, right) < 0 or top + bottom >= h or left + right >= w:
        raise ValueError("crop_images: the crop is larger than the images")
    rows, cols = slice(top, h - bottom), slice(left, w - right)
    return x[..., rows, cols, :] if cl else x[..., rows, cols]


_PAD_SIG = ("images, top_padding=None, left_padding=None, bottom_padding=None, right_padding=None, "
            "target_height=None, target_width=None, data_format=None")
pad_images = op("pad_images", _PAD_SIG, _pad, _pad, shape="ref", dtype=F.keep, ns="image", prepare=_fmt,
                cost=F.movement)
crop_images = op("crop_images", _PAD_SIG.replace("padding", "cropping"), _crop, _crop, shape="ref", dtype=F.keep,
                 ns="image", prepare=_fmt, cost=F.movement)

from . import image_filters, image_sample  # noqa: E402,F401  (register their rows)
__all__ = _gather(globals(), "image", ("resize",))
