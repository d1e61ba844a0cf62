"""RandomTranslation and RandomZoom (Keras 3): per-image random affine maps through ``affine_transform``.

Each image gets one draw per factor; the ``(batch, 8)`` transforms are built
from those draws in the graph, as Keras builds them, and one
``affine_transform`` node resamples the batch with Keras's interpolation and
fill modes. Identity at inference.
"""
from __future__ import annotations

import functools

from ... import ops
from ...ops.layer_ops_image import affine_transform
from .random_image import BaseRandomLayer, _float
from .resizing import spatial_axes

_FILL_MODES = ("reflect", "wrap", "constant", "nearest")


def _range(factor, name, low_ok):
    msg = (f"The `{name}` argument should be a number (or a list of two numbers) in the range [-1.0, 1.0]. "
           f"Received: factor={factor}")
    values = list(factor) if isinstance(factor, (tuple, list)) else [factor]
    if len(values) not in (1, 2) or not all(isinstance(v, (int, float)) for v in values) or \
            any(v > 1.0 or not low_ok(v) for v in values):
        raise ValueError(msg)
    return tuple(sorted(values)) if len(values) == 2 else (-abs(values[0]), abs(values[0]))


class _RandomAffine(BaseRandomLayer):
    def __init__(self, height_factor, width_factor, fill_mode="reflect", interpolation="bilinear", seed=None,
                 fill_value=0.0, data_format=None, **kwargs):
        super().__init__(data_format=data_format, seed=seed, **kwargs)
        self.height_factor, self.width_factor = height_factor, width_factor
        if fill_mode not in _FILL_MODES:
            raise ValueError(f"Unknown `fill_mode` {fill_mode}. Expected of one {_FILL_MODES}.")
        if interpolation not in ("nearest", "bilinear"):
            raise ValueError(f"Unknown `interpolation` {interpolation}. Expected of one ('nearest', 'bilinear').")
        self.fill_mode, self.fill_value, self.interpolation = fill_mode, fill_value, interpolation

    def _column(self, x, lo, hi):
        """One draw per image, shaped (batch, 1)."""
        return ops.reshape(self._uniform(x, lo, hi), [-1, 1])

    def call(self, inputs, training=True):
        x = _float(inputs)
        if not training:
            return x
        h_axis, w_axis = spatial_axes(x, self.data_format)
        height, width = x.shape[h_axis], x.shape[w_axis]
        if height is None or width is None:
            raise ValueError(f"{type(self).__name__} needs known height and width, got {tuple(x.shape)}")
        transform = ops.concatenate(self._transform(x, float(height), float(width)), axis=1)
        return affine_transform(x, transform, interpolation=self.interpolation, fill_mode=self.fill_mode,
                                fill_value=self.fill_value, data_format=self.data_format)

    def get_config(self):
        return {**super().get_config(), "height_factor": self.height_factor, "width_factor": self.width_factor,
                "fill_mode": self.fill_mode, "interpolation": self.interpolation, "fill_value": self.fill_value}


class RandomTranslation(_RandomAffine):
    """Shift each image by random fractions of its height and width (``keras.layers.RandomTranslation``)."""

    def __init__(self, height_factor, width_factor, fill_mode="reflect", interpolation="bilinear", seed=None,
                 fill_value=0.0, data_format=None, **kwargs):
        super().__init__(height_factor, width_factor, fill_mode, interpolation, seed, fill_value, data_format,
                         **kwargs)
        self.height_lower, self.height_upper = _range(height_factor, "height_factor", lambda v: v >= -1.0)
        self.width_lower, self.width_upper = _range(width_factor, "width_factor", lambda v: v >= -1.0)

    def _transform(self, x, height, width):
        dy = self._column(x, self.height_lower, self.height_upper) * height
        dx = self._column(x, self.width_lower, self.width_upper) * width
        zero = ops.zeros_like(dx)
        one = zero + 1.0
        return [one, zero, -dx, zero, one, -dy, zero, zero]


class RandomZoom(_RandomAffine):
    """Zoom each image in or out by a random factor per axis (``keras.layers.RandomZoom``; a positive factor
    zooms out). ``width_factor=None`` zooms both axes by the height draw."""

    def __init__(self, height_factor, width_factor=None, fill_mode="reflect", interpolation="bilinear", seed=None,
                 fill_value=0.0, data_format=None, **kwargs):
        super().__init__(height_factor, width_factor, fill_mode, interpolation, seed, fill_value, data_format,
                         **kwargs)
        self.height_lower, self.height_upper = _range(height_factor, "height_factor", lambda v: v > -1.0)
        if width_factor is not None:
            self.width_lower, self.width_upper = _range(width_factor, "width_factor", lambda v: v > -1.0)

    def _transform(self, x, height, width):
        zy = self._column(x, 1.0 + self.height_lower, 1.0 + self.height_upper)
        zx = zy if self.width_factor is None else \
            self._column(x, 1.0 + self.width_lower, 1.0 + self.width_upper)
        zero = ops.zeros_like(zx)
        return [zx, zero, (width - 1.0) / 2.0 * (1.0 - zx), zero, zy, (height - 1.0) / 2.0 * (1.0 - zy), zero, zero]


@functools.lru_cache(maxsize=None)
def _rotation_matrix(height: float, width: float):
    """``angle (batch, 1) degrees -> (batch, 8)`` rotation about the image centre (Keras's affine matrix)."""
    import jax.numpy as jnp

    def matrix(angle):
        theta = angle[:, 0] * (jnp.pi / 180.0)
        cx, cy = 0.5 * (width - 1), 0.5 * (height - 1)
        cos, sin = jnp.cos(theta), jnp.sin(theta)
        a0, a1, b0, b1 = cos, -sin, sin, cos
        a2, b2 = cx - cx * a0 - cy * a1, cy - cx * b0 - cy * b1
        zero = jnp.zeros_like(theta)
        return jnp.stack([a0, a1, a2, b0, b1, b2, zero, zero], axis=1)
    return matrix


class RandomRotation(_RandomAffine):
    """Rotate each image by a random angle, ``factor`` in fractions of a full turn
    (``keras.layers.RandomRotation``; 0.1 means up to 36 degrees either way)."""

    def __init__(self, factor, fill_mode="reflect", interpolation="bilinear", seed=None, fill_value=0.0,
                 data_format=None, **kwargs):
        super().__init__(None, None, fill_mode, interpolation, seed, fill_value, data_format, **kwargs)
        self._set_factor(factor)
        del self.height_factor, self.width_factor

    def _transform(self, x, height, width):
        angle = self._column(x, self.factor[0] * 360.0, self.factor[1] * 360.0)
        fn = _rotation_matrix(height, width)
        return [ops.jax_call(fn, angle, name=f"kxla.layers.RandomRotation.matrix[{int(height)}x{int(width)}]")]

    def get_config(self):
        return {**BaseRandomLayer.get_config(self), "factor": self.factor, "fill_mode": self.fill_mode,
                "fill_value": self.fill_value, "interpolation": self.interpolation}


class RandomShear(_RandomAffine):
    """Shear each image along x and y by random amounts in ``x_factor`` / ``y_factor``, with one random sign
    per image (``keras.layers.RandomShear``)."""

    def __init__(self, x_factor=0.0, y_factor=0.0, interpolation="bilinear", fill_mode="reflect", fill_value=0.0,
                 data_format=None, seed=None, **kwargs):
        super().__init__(None, None, fill_mode, interpolation, seed, fill_value, data_format, **kwargs)
        del self.height_factor, self.width_factor
        self.x_factor = _range(x_factor, "x_factor", lambda v: v >= 0.0)
        self.y_factor = _range(y_factor, "y_factor", lambda v: v >= 0.0)

    def _transform(self, x, height, width):
        sign = ops.where(ops.greater(self._column(x, 0.0, 1.0), 0.5), -1.0, 1.0)
        sy = self._column(x, *self.y_factor) * sign
        sx = self._column(x, *self.x_factor) * sign
        zero = ops.zeros_like(sx)
        one = zero + 1.0
        return [one, sx, zero, sy, one, zero, zero, zero]

    def get_config(self):
        return {**BaseRandomLayer.get_config(self), "x_factor": self.x_factor, "y_factor": self.y_factor,
                "fill_mode": self.fill_mode, "interpolation": self.interpolation, "fill_value": self.fill_value}
