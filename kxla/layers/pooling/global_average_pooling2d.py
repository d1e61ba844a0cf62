"""GlobalAveragePooling2D (Keras 3): the mean over both spatial dims, via ``ops.mean``."""
from __future__ import annotations

from ... import ops
from .base_pooling import BaseGlobalPooling


class GlobalAveragePooling2D(BaseGlobalPooling):
    """Mean over height and width (``keras.layers.GlobalAveragePooling2D``).

    Arguments:
      data_format: "channels_last" (default from ``kxla.config``) or "channels_first".
      keepdims: keep the spatial dims with size 1.

    Returns ``(batch, channels)``, or ``(batch, 1, 1, channels)`` /
    ``(batch, channels, 1, 1)`` with ``keepdims=True``.
    """

    def __init__(self, data_format=None, keepdims=False, **kwargs):
        super().__init__(pool_dimensions=2, data_format=data_format, keepdims=keepdims, **kwargs)

    def call(self, inputs):
        return ops.mean(inputs, axis=self._spatial_axes, keepdims=self.keepdims)
