"""Softmax layer (Keras 3): softmax over ``axis`` (int or list), masked positions give 0."""
from __future__ import annotations

from ... import ops
from ..layer import Layer


def _large_negative(dtype) -> float:
    return -3e4 if dtype == "float16" else -1e9


class Softmax(Layer):
    """Softmax activation layer (``keras.layers.Softmax``); ``mask`` is broadcastable to the inputs."""

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        self.axis = axis
        self.supports_masking = True

    def call(self, inputs, mask=None):
        if mask is not None:
            if len(mask.shape) > len(inputs.shape):
                raise ValueError("The `mask` must be broadcastable to `inputs` and must not have more "
                                 f"dimensions. Received: inputs.shape={inputs.shape}, mask.shape={mask.shape}")
            if mask.dtype != "bool":
                mask = ops.greater(mask, 0.5)
            inputs = ops.where(mask, inputs, _large_negative(inputs.dtype))
        axes = list(self.axis) if isinstance(self.axis, (list, tuple)) else [self.axis]
        if len(axes) > 1:
            shifted = inputs - ops.max(inputs, axis=tuple(axes), keepdims=True)
            e = ops.exp(shifted)
            outputs = e / ops.sum(e, axis=tuple(axes), keepdims=True)
        else:
            outputs = ops.softmax(inputs, axis=axes[0])
        if mask is not None:
            outputs = ops.where(mask, outputs, 0.0)
        return outputs

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "axis": self.axis}
