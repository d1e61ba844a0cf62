"""UpSampling2D (Keras 3): repeat rows and columns ("nearest") or interpolate (``resize`` node).

"nearest" is two ``repeat`` nodes, as Keras computes it; "bilinear" (and
"bicubic", "lanczos3", "lanczos5") is one ``resize`` node with Keras's JAX
semantics (``jax.image.resize``, half-pixel centers, no antialiasing).
"""
from __future__ import annotations

from ... import ops
from ...config import standardize_data_format
from ...ops.nn_extra import INTERPOLATIONS
from ..convolutional.base_conv import standardize_tuple
from ..layer import InputSpec, Layer


class UpSampling2D(Layer):
    """Upsample the two spatial dims by integer factors (``keras.layers.UpSampling2D``).

    Arguments:
      size: int or (height_factor, width_factor).
      data_format: "channels_last" (default from ``kxla.config``) or "channels_first".
      interpolation: "nearest" (default), "bilinear", "bicubic", "lanczos3" or "lanczos5".
    """

    def __init__(self, size=(2, 2), data_format=None, interpolation="nearest", **kwargs):
        super().__init__(**kwargs)
        self.data_format = standardize_data_format(data_format)
        self.size = standardize_tuple(size, 2, "size")
        self.interpolation = str(interpolation).lower()
        if self.interpolation not in INTERPOLATIONS:
            raise ValueError(f"`interpolation` must be one of {INTERPOLATIONS}. "
                             f"Received: interpolation={interpolation!r}")
        self.input_spec = InputSpec(ndim=4)

    def _spatial_axes(self) -> tuple:
        return (2, 3) if self.data_format == "channels_first" else (1, 2)

    def call(self, inputs):
        h_axis, w_axis = self._spatial_axes()
        if self.interpolation == "nearest":
            x = ops.repeat(inputs, self.size[0], axis=h_axis)
            return ops.repeat(x, self.size[1], axis=w_axis)
        height, width = inputs.shape[h_axis], inputs.shape[w_axis]
        if height is None or width is None:
            raise ValueError(f"Layer {self.name!r}: {self.interpolation} upsampling needs known spatial dims, "
                             f"got input shape {tuple(inputs.shape)}")
        return ops.resize(inputs, (height * self.size[0], width * self.size[1]),
                          interpolation=self.interpolation, data_format=self.data_format)

    def compute_output_shape(self, input_shape):
        out = list(input_shape)
        for axis, factor in zip(self._spatial_axes(), self.size):
            if out[axis] is not None:
                out[axis] *= factor
        return tuple(out)

    def get_config(self):
        return {**super().get_config(), "size": self.size, "data_format": self.data_format,
                "interpolation": self.interpolation}
