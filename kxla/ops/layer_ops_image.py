"""``affine_transform`` (``keras.ops.image.affine_transform``) as one op definition.

Each output pixel ``(y, x)`` of channel ``ch`` of image ``b`` samples the input at
``(b0*x + b1*y + b2 + c0*ch, a0*x + a1*y + a2 + c1*ch)`` for
``transform[b] = [a0, a1, a2, b0, b1, b2, c0, c1]`` — Keras's JAX backend
multiplies the last two entries by the channel index (no projective
division; ``c0 = c1 = 0`` for affine maps) — through
``jax.scipy.ndimage.map_coordinates`` with order 0 ("nearest") or 1
("bilinear") and Keras's fill modes, as Keras's JAX backend computes it.
"""
from __future__ import annotations

import functools

from .lazy_jax import jax
from .lazy_jax import jnp

from ..config import standardize_data_format
from ..ir import Attr, TensorType
from .core import apply, defop

__all__ = ["affine_transform"]

INTERPOLATIONS = {"nearest": 0, "bilinear": 1}
FILL_MODES = ("constant", "nearest", "wrap", "mirror", "reflect")


def _affine_infer(types, attrs):
    images, transform = types
    if images.rank not in (3, 4):
        raise ValueError(f"affine_transform: images must have rank 3 or 4, got {images.shape}")
    if transform.rank not in (1, 2) or transform.shape[-1] not in (None, 8):
        raise ValueError(f"affine_transform: transform must be (8,) or (batch, 8), got {transform.shape}")
    if attrs["interpolation"] not in INTERPOLATIONS:
        raise ValueError(f"affine_transform: interpolation must be one of {sorted(INTERPOLATIONS)}")
    if attrs["fill_mode"] not in FILL_MODES:
        raise ValueError(f"affine_transform: fill_mode must be one of {FILL_MODES}")
    return [images]


def _affine_lower(ctx, images, transform, interpolation, fill_mode, fill_value, data_format):
    single = images.ndim == 3
    x = images[None] if single else images
    t = transform[None] if transform.ndim == 1 else transform
    if data_format == "channels_first":
        x = jnp.transpose(x, (0, 2, 3, 1))
    t = jnp.broadcast_to(t, (x.shape[0], 8)).astype(jnp.float32)
    h, w = x.shape[1], x.shape[2]
    ys, xs = jnp.meshgrid(jnp.arange(h, dtype=jnp.float32), jnp.arange(w, dtype=jnp.float32), indexing="ij")
    a0, a1, a2, b0, b1, b2, c0, c1 = (t[:, i, None, None, None] for i in range(8))
    channels = jnp.broadcast_to(jnp.arange(x.shape[3], dtype=jnp.float32), (x.shape[0], h, w, x.shape[3]))
    ys, xs = ys[None, :, :, None], xs[None, :, :, None]
    src_y = b0 * xs + b1 * ys + b2 + c0 * channels         # rows come from the second row of the matrix
    src_x = a0 * xs + a1 * ys + a2 + c1 * channels
    coords = jnp.stack([src_y, src_x, channels], axis=1)
    sample = functools.partial(jax.scipy.ndimage.map_coordinates, order=INTERPOLATIONS[interpolation],
                               mode=fill_mode, cval=fill_value)
    out = jax.vmap(lambda img, c: sample(img, list(c)))(x, coords)
    if data_format == "channels_first":
        out = jnp.transpose(out, (0, 3, 1, 2))
    return (out[0] if single else out).astype(images.dtype)


defop("affine_transform", infer=_affine_infer, layout="opaque", arity=2,
      attrs={"interpolation": Attr("str", "bilinear"), "fill_mode": Attr("str", "constant"),
             "fill_value": Attr("float", 0.0), "data_format": Attr("str", "channels_last")},
      public="keras.ops.image.affine_transform",
      doc="resample images through per-image affine transforms (map_coordinates)")(_affine_lower)


def affine_transform(images, transform, interpolation="bilinear", fill_mode="constant", fill_value=0,
                     data_format=None):
    """Apply ``transform`` (``(8,)`` or ``(batch, 8)``) to ``images``, as ``keras.ops.image.affine_transform``."""
    return apply("affine_transform", images, transform, interpolation=interpolation, fill_mode=fill_mode,
                 fill_value=float(fill_value), data_format=standardize_data_format(data_format))
