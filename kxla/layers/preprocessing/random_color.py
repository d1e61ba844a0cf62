"""RandomGrayscale, Solarization and RandomColorDegeneration (Keras 3): per-image random colour transforms, identity at inference."""
from __future__ import annotations

import numpy as np

from ... import ops
from .random_image import BaseRandomLayer, _float


class RandomGrayscale(BaseRandomLayer):
    """Turn each image to grayscale (kept in its channels) with probability ``factor``
    (``keras.layers.RandomGrayscale``; ITU-R 601 weights 0.2989, 0.5870, 0.1140)."""

    def __init__(self, factor=0.5, data_format=None, seed=None, **kwargs):
        super().__init__(data_format=data_format, seed=seed, **kwargs)
        if factor < 0 or factor > 1:
            raise ValueError(f"`factor` should be between 0 and 1. Received: factor={factor}")
        self.factor = factor

    def call(self, inputs, training=True):
        x = _float(inputs)
        if not training:
            return x
        axis = -1 if self.data_format == "channels_last" else len(x.shape) - 3
        if x.shape[axis] not in (1, 3):
            raise ValueError(f"Invalid channel size: expected 3 (RGB) or 1 (Grayscale). Received input with shape: "
                             f"images.shape={tuple(x.shape)}")
        if x.shape[axis] == 1:
            return x
        weights = np.array([0.2989, 0.5870, 0.1140], "float32").reshape(
            (3,) + (1,) * (len(x.shape) - 1 - axis % len(x.shape)))
        gray = ops.sum(x * ops.cast(weights, x.dtype), axis=axis, keepdims=True)
        gray = gray + ops.zeros_like(x)
        if self.factor >= 1.0:                    # a certain draw: no random node
            return gray
        return ops.where(ops.less(self._uniform(x, 0.0, 1.0), self.factor), gray, x)

    def get_config(self):
        config = {**super().get_config(), "factor": self.factor}
        del config["seed"]
        return config


class Solarization(BaseRandomLayer):
    """Invert pixels above a random threshold after adding a random amount (``keras.layers.Solarization``)."""

    def __init__(self, addition_factor=0.0, threshold_factor=0.0, value_range=(0, 255), seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        self.addition_factor = self._pair(addition_factor, "addition_factor")
        self.threshold_factor = self._pair(threshold_factor, "threshold_factor")
        if not isinstance(value_range, (tuple, list)) or len(value_range) != 2:
            raise ValueError(f"The `value_range` argument should be a list of two numbers. Received: {value_range}")
        self.value_range = sorted(value_range)

    @staticmethod
    def _pair(factor, name):
        values = list(factor) if isinstance(factor, (tuple, list)) else [factor]
        if len(values) not in (1, 2) or any(v < 0 or v > 1 for v in values):
            raise ValueError(f"The `{name}` argument should be a number (or a list of two numbers) in the range "
                             f"[0.0, 1.0]. Received: factor={factor}")
        return tuple(sorted(values)) if len(values) == 2 else (0, values[0])

    def call(self, inputs, training=True):
        x = _float(inputs)
        if not training:
            return x
        lo, hi = self.value_range
        additions = self._uniform(x, self.addition_factor[0], self.addition_factor[1] * 255)
        thresholds = self._uniform(x, self.threshold_factor[0], self.threshold_factor[1] * 255)
        y = ops.clip((x - lo) / (hi - lo) * 255.0 + additions, 0.0, 255.0)
        y = ops.where(ops.less(y, thresholds), y, 255.0 - y)
        return y / 255.0 * (hi - lo) + lo

    def get_config(self):
        return {**super().get_config(), "addition_factor": self.addition_factor,
                "threshold_factor": self.threshold_factor, "value_range": self.value_range}


class RandomColorDegeneration(BaseRandomLayer):
    """Blend each image towards its grayscale by a random amount in ``factor``, clipped to ``value_range``
    (``keras.layers.RandomColorDegeneration``)."""

    def __init__(self, factor, value_range=(0, 255), data_format=None, seed=None, **kwargs):
        super().__init__(data_format=data_format, seed=seed, **kwargs)
        self._set_factor(factor)
        if not isinstance(value_range, (tuple, list)) or len(value_range) != 2:
            raise ValueError(f"The `value_range` argument should be a list of two numbers. Received: {value_range}")
        self.value_range = sorted(value_range)

    def call(self, inputs, training=True):
        x = _float(inputs)
        if not training:
            return x
        factor = self._uniform(x, self.factor[0], self.factor[1])
        gray = RandomGrayscale(1.0, data_format=self.data_format).call(x, training=True) if x.shape[
            -1 if self.data_format == "channels_last" else len(x.shape) - 3] != 1 else x
        return ops.clip(x + factor * (gray - x), self.value_range[0], self.value_range[1])

    def get_config(self):
        return {**super().get_config(), "factor": self.factor, "value_range": self.value_range}
