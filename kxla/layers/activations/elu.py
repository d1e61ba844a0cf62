"""ELU (Keras 3): exponential linear unit, ``alpha * (exp(x) - 1)`` for ``x < 0``."""
from __future__ import annotations

from ... import ops
from ..layer import Layer


class ELU(Layer):
    """Exponential linear unit layer (``keras.layers.ELU``)."""

    def __init__(self, alpha=1.0, **kwargs):
        super().__init__(**kwargs)
        self.alpha = alpha
        self.supports_masking = True

    def call(self, inputs):
        return ops.elu(inputs, alpha=self.alpha)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "alpha": self.alpha}
