"""Cropping2D (Keras 3): rows and columns cut from the borders of an image batch (one ``slice`` node)."""
from __future__ import annotations

from ... import ops
from ...config import standardize_data_format
from ..layer import InputSpec, Layer
from .zero_padding2d import spatial_pairs


class Cropping2D(Layer):
    """Crop the two spatial dims (``keras.layers.Cropping2D``).

    Arguments:
      cropping: int (same on all four sides), ``(sym_height, sym_width)`` or
        ``((top, bottom), (left, right))``; each total must be smaller than the dim.
      data_format: "channels_last" (default from ``kxla.config``) or "channels_first".
    """

    def __init__(self, cropping=((0, 0), (0, 0)), data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.data_format = standardize_data_format(data_format)
        self.cropping = spatial_pairs(cropping, "cropping")
        self.input_spec = InputSpec(ndim=4)

    def _spatial_axes(self) -> tuple:
        return (2, 3) if self.data_format == "channels_first" else (1, 2)

    def _check(self, shape) -> None:
        for axis, (a, b) in zip(self._spatial_axes(), self.cropping):
            if shape[axis] is not None and a + b >= shape[axis]:
                raise ValueError("Values in `cropping` argument should be smaller than the corresponding "
                                 f"spatial dimension of the input. Received: input_shape={tuple(shape)}, "
                                 f"cropping={self.cropping}")

    def call(self, inputs):
        self._check(inputs.shape)
        index = [slice(None)] * 4
        for axis, (a, b) in zip(self._spatial_axes(), self.cropping):
            index[axis] = slice(a, -b if b else None)
        return ops.getitem(inputs, tuple(index))

    def compute_output_shape(self, input_shape):
        self._check(input_shape)
        out = list(input_shape)
        for axis, (a, b) in zip(self._spatial_axes(), self.cropping):
            if out[axis] is not None:
                out[axis] -= a + b
        return tuple(out)

    def get_config(self):
        return {**super().get_config(), "cropping": self.cropping, "data_format": self.data_format}
