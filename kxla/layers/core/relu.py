"""ReLU layer: Keras 3's ``ReLU(max_value, negative_slope, threshold)``, composed from kxla.ops."""
from __future__ import annotations

from ... import ops
from ..layer import Layer


def relu(x, negative_slope=0.0, max_value=None, threshold=0.0):
    """Keras's parametrised relu: ``x`` above ``threshold`` (capped at ``max_value``), else ``negative_slope``-scaled.

    Follows ``keras.activations.relu`` term by term: ``leaky`` part from
    ``relu(threshold - x)``, the positive part ``x * (x > threshold)`` (or
    ``relu(x)`` when ``threshold`` is 0), clipped to ``[0, max_value]``.
    """
    if negative_slope != 0.0 and max_value is None and threshold == 0:
        return ops.subtract(ops.relu(x), ops.multiply(ops.relu(ops.negative(x)), negative_slope))
    negative_part = None
    if negative_slope != 0.0:
        negative_part = ops.relu(ops.add(ops.negative(x), threshold)) if threshold != 0 \
            else ops.relu(ops.negative(x))
    if threshold != 0:
        y = ops.multiply(x, ops.cast(ops.greater(x, threshold), x.dtype))
    else:
        y = ops.relu(x)
    if max_value is not None:
        y = ops.minimum(ops.maximum(y, 0.0), float(max_value))
    if negative_part is not None:
        y = ops.subtract(y, ops.multiply(negative_part, negative_slope))
    return y


class ReLU(Layer):
    """``max(x, 0)`` generalised: cap at ``max_value``, ``negative_slope`` below ``threshold`` (Keras 3)."""

    def __init__(self, max_value=None, negative_slope=0.0, threshold=0.0, **kwargs):
        super().__init__(**kwargs)
        if max_value is not None and max_value < 0.0:
            raise ValueError(f"max_value of a ReLU layer cannot be a negative value. Received: {max_value}")
        if negative_slope is None or negative_slope < 0.0:
            raise ValueError(f"negative_slope of a ReLU layer cannot be a negative value. Received: "
                             f"{negative_slope}")
        if threshold is None or threshold < 0.0:
            raise ValueError(f"threshold of a ReLU layer cannot be a negative value. Received: {threshold}")
        self.max_value = max_value
        self.negative_slope = negative_slope
        self.threshold = threshold
        self.supports_masking = True

    def call(self, inputs):
        return relu(inputs, negative_slope=self.negative_slope, max_value=self.max_value,
                    threshold=self.threshold)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "max_value": self.max_value, "negative_slope": self.negative_slope,
                "threshold": self.threshold}
