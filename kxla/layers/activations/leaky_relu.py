"""LeakyReLU (Keras 3): ``x`` where ``x >= 0``, else ``negative_slope * x``."""
from __future__ import annotations

from ... import ops
from ..layer import Layer


class LeakyReLU(Layer):
    """Leaky rectified linear unit (``keras.layers.LeakyReLU``; default slope 0.3)."""

    def __init__(self, negative_slope=0.3, **kwargs):
        if "alpha" in kwargs:
            raise ValueError("Argument `alpha` is no longer supported. Use `negative_slope` instead.")
        super().__init__(**kwargs)
        if negative_slope is None or negative_slope < 0:
            raise ValueError("The negative_slope value of a Leaky ReLU layer cannot be None or negative "
                             f"value. Expected a float. Received: negative_slope={negative_slope}")
        self.negative_slope = negative_slope
        self.supports_masking = True

    def call(self, inputs):
        return ops.where(ops.greater_equal(inputs, 0), inputs, inputs * float(self.negative_slope))

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "negative_slope": self.negative_slope}
