"""AveragePooling1D (Keras 3): the mean over each ``pool_size`` window of the steps axis."""
from __future__ import annotations

from .base_pooling import BasePooling


class AveragePooling1D(BasePooling):
    """1-D average pooling (``keras.layers.AveragePooling1D``; ``pool_size`` is required, as in Keras 3).

    With ``padding="same"`` each border window averages only its real
    (non-padded) elements, as Keras does.

    Arguments:
      pool_size: int (or 1-tuple) window.
      strides: int, or None (= ``pool_size``).
      padding: "valid" or "same".
      data_format: "channels_last" ``(batch, steps, features)`` or "channels_first"
        ``(batch, features, steps)``; default from ``kxla.config``.
    """

    def __init__(self, pool_size, strides=None, padding="valid", data_format=None, name=None, **kwargs):
        super().__init__(pool_size, strides, pool_dimensions=1, pool_mode="average", padding=padding,
                         data_format=data_format, name=name, **kwargs)
