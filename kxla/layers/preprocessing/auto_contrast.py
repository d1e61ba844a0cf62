"""AutoContrast (Keras 3): stretch each image and channel to the full ``value_range`` (deterministic)."""
from __future__ import annotations

from ... import ops
from .random_image import BaseRandomLayer, _float
from .resizing import spatial_axes


class AutoContrast(BaseRandomLayer):
    """Rescale each image's channels so their min and max span ``value_range`` (``keras.layers.AutoContrast``).

    Applied in training and at inference alike; a constant channel is left as it is.
    """

    def __init__(self, value_range=(0, 255), **kwargs):
        super().__init__(**kwargs)
        if not isinstance(value_range, (tuple, list)) or len(value_range) != 2:
            raise ValueError(f"The `value_range` argument should be a list of two numbers. Received: "
                             f"value_range={value_range}")
        self.value_range = sorted(value_range)

    def call(self, inputs, training=True):
        x = _float(inputs)
        lo, hi = self.value_range
        y = (x - lo) / (hi - lo) * 255.0
        axes = spatial_axes(y, self.data_format) if len(y.shape) == 4 else (0, 1)
        low, high = ops.min(y, axis=axes, keepdims=True), ops.max(y, axis=axes, keepdims=True)
        scale = 255.0 / (high - low)
        y = ops.clip(y * scale - low * scale, 0.0, 255.0) / 255.0 * (hi - lo) + lo
        return ops.where(ops.greater(high, low), y, x)         # Keras: NaN (a constant channel) -> the input

    def get_config(self):
        config = {**super().get_config(), "value_range": self.value_range}
        del config["seed"]
        return config
