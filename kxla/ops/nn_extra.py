"""Image resizing (keras.ops.image.resize), the one op the extra Keras layers needed.

  resize(x) {size, interpolation, antialias, data_format}
      resizes the two spatial dims of a rank-4 image batch to ``size`` with
      ``jax.image.resize`` (half-pixel centers, as Keras's JAX backend), so
      ``UpSampling2D(interpolation="bilinear")`` matches Keras exactly.

The op is layout "sensitive": it carries ``data_format`` and the layout pass
may flip it. Everything else the extra layers need (causal padding, cropping,
nearest upsampling, batch dot products, spatial dropout) is built from
existing ops.
"""
from __future__ import annotations

import numpy as np

from .lazy_jax import jax

from ..config import standardize_data_format
from ..ir import Attr, TensorType, is_floating
from . import costs
from .core import apply, defop

__all__ = ["resize"]

_FORMATS = ("channels_last", "channels_first")
INTERPOLATIONS = ("bilinear", "nearest", "bicubic", "lanczos3", "lanczos5")


def _resize_infer(types, attrs):
    x = types[0]
    if x.rank != 4:
        raise ValueError(f"resize: images must have rank 4 (batch, height, width, channels or "
                         f"batch, channels, height, width), got shape {x.shape}")
    size = attrs["size"]
    if len(size) != 2 or any(s < 1 for s in size):
        raise ValueError(f"resize: size must be two ints >= 1 (height, width), got {size}")
    if attrs["interpolation"] != "nearest" and not is_floating(x.dtype):
        raise ValueError(f"resize: {attrs['interpolation']} interpolation needs a floating-point input, "
                         f"got {x.dtype}")
    if attrs["data_format"] == "channels_last":
        shape = (x.shape[0], size[0], size[1], x.shape[3])
    else:
        shape = (x.shape[0], x.shape[1], size[0], size[1])
    return [TensorType(shape, x.dtype)]


@defop("resize", infer=_resize_infer, layout="sensitive",
       attrs={"size": Attr("ints"), "interpolation": Attr("str", "bilinear", INTERPOLATIONS),
              "antialias": Attr("bool", False), "data_format": Attr("str", "channels_last", _FORMATS)},
       doc="resize the spatial dims of an image batch (jax.image.resize)", cost=costs.per_element(8),
       public="kxla.ops.image.resize")
def _resize(ctx, x, size, interpolation, antialias, data_format):
    if data_format == "channels_last":
        shape = (x.shape[0], size[0], size[1], x.shape[3])
    else:
        shape = (x.shape[0], x.shape[1], size[0], size[1])
    return jax.image.resize(x, shape, method=interpolation, antialias=antialias).astype(x.dtype)


def resize(images, size, interpolation="bilinear", antialias=False, crop_to_aspect_ratio=False,
           pad_to_aspect_ratio=False, fill_mode="constant", fill_value=0.0, data_format=None):
    """Resize a batch of images to ``size``, as ``keras.ops.image.resize``.

    Arguments:
      images: rank-4 tensor, ``(batch, height, width, channels)`` or
        ``(batch, channels, height, width)`` per ``data_format``, or one rank-3 image.
      size: ``(height, width)`` of the result.
      interpolation: "bilinear", "nearest", "bicubic", "lanczos3" or "lanczos5".
      antialias: filter when downsampling (``jax.image.resize``'s antialias).
      crop_to_aspect_ratio, pad_to_aspect_ratio: must be False (not supported).
      fill_mode, fill_value: accepted for Keras compatibility; unused.
      data_format: "channels_last" or "channels_first" (default: ``kxla.config.image_data_format()``).

    Returns:
      The resized images, same dtype, in ``data_format``.
    """
    if crop_to_aspect_ratio or pad_to_aspect_ratio:
        raise ValueError("resize: crop_to_aspect_ratio and pad_to_aspect_ratio are not supported")
    interpolation = str(interpolation).lower()
    if interpolation not in INTERPOLATIONS:
        raise ValueError(f"resize: interpolation must be one of {INTERPOLATIONS}, got {interpolation!r}")
    try:
        size = [int(s) for s in size]
    except (TypeError, ValueError):
        raise ValueError(f"resize: size must be (height, width) ints, got {size!r}") from None
    attrs = dict(size=size, interpolation=interpolation, antialias=bool(antialias),
                 data_format=standardize_data_format(data_format))
    if len(getattr(images, "shape", np.shape(images))) == 3:          # one image, as Keras accepts
        return apply("squeeze", apply("resize", apply("expand_dims", images, axis=[0]), **attrs), axis=[0])
    return apply("resize", images, **attrs)
