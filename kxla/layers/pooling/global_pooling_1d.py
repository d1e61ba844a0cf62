"""GlobalAveragePooling1D and GlobalMaxPooling1D (mask-aware) and GlobalMaxPooling2D (Keras 3)."""
from __future__ import annotations

import numpy as np

from ... import ops
from .base_pooling import BaseGlobalPooling


def _steps_axis(layer) -> int:
    return 1 if layer.data_format == "channels_last" else 2


def _expanded_mask(layer, mask):
    """A (batch, steps) mask as bool, with a channel axis of size 1 in the data format's place."""
    if mask.dtype != "bool":
        mask = ops.cast(mask, "bool")
    return ops.expand_dims(mask, 2 if layer.data_format == "channels_last" else 1)


class GlobalAveragePooling1D(BaseGlobalPooling):
    """Mean over the steps axis (``keras.layers.GlobalAveragePooling1D``).

    With a mask (from ``Embedding(mask_zero=True)`` or ``mask=``), the mean runs
    over the unmasked steps only. Output ``(batch, features)``, or with
    ``keepdims`` ``(batch, 1, features)`` (channels_first: ``(batch, features, 1)``).
    The output carries no mask.
    """

    def __init__(self, data_format=None, keepdims=False, **kwargs):
        super().__init__(pool_dimensions=1, data_format=data_format, keepdims=keepdims, **kwargs)
        self.supports_masking = True

    def call(self, inputs, mask=None):
        axis = _steps_axis(self)
        if mask is None:
            return ops.mean(inputs, axis=axis, keepdims=self.keepdims)
        mask = _expanded_mask(self, mask)
        total = ops.sum(ops.where(mask, inputs, 0.0), axis=axis, keepdims=self.keepdims)
        count = ops.sum(ops.cast(mask, inputs.dtype), axis=axis, keepdims=self.keepdims)
        return total / count

    def compute_mask(self, inputs, mask=None):
        return None


class GlobalMaxPooling1D(BaseGlobalPooling):
    """Max over the steps axis (``keras.layers.GlobalMaxPooling1D``).

    kxla extension: with a mask the max skips masked steps (Keras 3 ignores
    masks here); a sequence with every step masked gives the lowest float.
    The output carries no mask.
    """

    def __init__(self, data_format=None, keepdims=False, **kwargs):
        super().__init__(pool_dimensions=1, data_format=data_format, keepdims=keepdims, **kwargs)
        self.supports_masking = True

    def call(self, inputs, mask=None):
        axis = _steps_axis(self)
        if mask is not None:
            lowest = float(np.finfo(np.dtype(inputs.dtype)).min) if inputs.dtype != "bfloat16" else -3.0e38
            inputs = ops.where(_expanded_mask(self, mask), inputs, lowest)
        return ops.max(inputs, axis=axis, keepdims=self.keepdims)

    def compute_mask(self, inputs, mask=None):
        return None


class GlobalMaxPooling2D(BaseGlobalPooling):
    """Max over height and width (``keras.layers.GlobalMaxPooling2D``)."""

    def __init__(self, data_format=None, keepdims=False, **kwargs):
        super().__init__(pool_dimensions=2, data_format=data_format, keepdims=keepdims, **kwargs)

    def call(self, inputs):
        return ops.max(inputs, axis=self._spatial_axes, keepdims=self.keepdims)
