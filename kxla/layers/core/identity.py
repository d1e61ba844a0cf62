"""Identity and Masking (Keras 3 core layers)."""
from __future__ import annotations

from ... import ops
from ..layer import Layer


class Identity(Layer):
    """Returns its input unchanged, passing its mask on (``keras.layers.Identity``)."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True

    def call(self, inputs):
        return inputs

    def compute_output_shape(self, input_shape):
        return input_shape


def _keep(inputs, mask_value, keepdims):
    """True at timesteps where some feature differs from ``mask_value`` (any over the last axis)."""
    differs = ops.cast(ops.not_equal(inputs, mask_value), "float32")
    return ops.greater(ops.max(differs, axis=-1, keepdims=keepdims), 0.0)


class Masking(Layer):
    """Masks timesteps whose features all equal ``mask_value`` (``keras.layers.Masking``).

    The output is the input with masked timesteps set to 0, carrying the
    ``(batch, steps)`` boolean mask for the layers downstream.
    """

    def __init__(self, mask_value=0.0, **kwargs):
        super().__init__(**kwargs)
        if isinstance(mask_value, dict) and mask_value.get("config"):      # a serialized tensor
            mask_value = mask_value["config"]["value"]
        self.mask_value = mask_value
        self.supports_masking = True

    def compute_mask(self, inputs, mask=None):
        return _keep(inputs, self.mask_value, keepdims=False)

    def call(self, inputs):
        return ops.where(_keep(inputs, self.mask_value, keepdims=True), inputs, 0.0)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "mask_value": self.mask_value}
