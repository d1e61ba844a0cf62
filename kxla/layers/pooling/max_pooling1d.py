"""MaxPooling1D (Keras 3): the maximum over each ``pool_size`` window of the steps axis."""
from __future__ import annotations

from .base_pooling import BasePooling


class MaxPooling1D(BasePooling):
    """1-D max pooling (``keras.layers.MaxPooling1D``).

    Arguments:
      pool_size: int (or 1-tuple) window, default 2.
      strides: int, or None (= ``pool_size``).
      padding: "valid" or "same".
      data_format: "channels_last" ``(batch, steps, features)`` or "channels_first"
        ``(batch, features, steps)``; default from ``kxla.config``.
    """

    def __init__(self, pool_size=2, strides=None, padding="valid", data_format=None, name=None, **kwargs):
        super().__init__(pool_size, strides, pool_dimensions=1, pool_mode="max", padding=padding,
                         data_format=data_format, name=name, **kwargs)
