"""Rescaling: ``inputs * scale + offset`` (Keras 3's preprocessing layer; scalars or per-channel arrays)."""
from __future__ import annotations

import numpy as np

from ... import config, ops
from ..layer import Layer


def _plain(value):
    return np.asarray(value, dtype="float32").tolist() if isinstance(value, (list, tuple, np.ndarray)) else value


class Rescaling(Layer):
    """Multiplies by ``scale`` and adds ``offset``; integer inputs come out as floats."""

    def __init__(self, scale, offset=0.0, **kwargs):
        super().__init__(**kwargs)
        self.scale = scale
        self.offset = offset
        self.supports_masking = True

    def call(self, inputs):
        dtype = self.compute_dtype
        scale = np.asarray(self.scale, dtype=dtype)
        offset = np.asarray(self.offset, dtype=dtype)
        if scale.ndim > 0 and config.image_data_format() == "channels_first":
            scale = scale.reshape(scale.shape + (1,) * (3 - scale.ndim))
        x = ops.cast(inputs, dtype)
        x = ops.multiply(x, scale if scale.ndim else float(scale))
        return ops.add(x, offset if offset.ndim else float(offset))

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "scale": _plain(self.scale), "offset": _plain(self.offset)}
