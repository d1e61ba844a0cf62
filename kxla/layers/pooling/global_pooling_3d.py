"""GlobalAveragePooling3D and GlobalMaxPooling3D (Keras 3): mean / max over depth, height and width."""
from __future__ import annotations

from ... import ops
from .base_pooling import BaseGlobalPooling


class GlobalAveragePooling3D(BaseGlobalPooling):
    """Mean over the three spatial dims (``keras.layers.GlobalAveragePooling3D``)."""

    def __init__(self, data_format=None, keepdims=False, **kwargs):
        super().__init__(pool_dimensions=3, data_format=data_format, keepdims=keepdims, **kwargs)

    def call(self, inputs):
        return ops.mean(inputs, axis=self._spatial_axes, keepdims=self.keepdims)


class GlobalMaxPooling3D(BaseGlobalPooling):
    """Max over the three spatial dims (``keras.layers.GlobalMaxPooling3D``)."""

    def __init__(self, data_format=None, keepdims=False, **kwargs):
        super().__init__(pool_dimensions=3, data_format=data_format, keepdims=keepdims, **kwargs)

    def call(self, inputs):
        return ops.max(inputs, axis=self._spatial_axes, keepdims=self.keepdims)
