"""AveragePooling2D (Keras 3): the mean over each ``pool_size`` window."""
from __future__ import annotations

from .base_pooling import BasePooling


class AveragePooling2D(BasePooling):
    """2-D average pooling (``keras.layers.AveragePooling2D``).

    With ``padding="same"`` each border window averages only its real
    (non-padded) elements, as Keras does.

    Arguments:
      pool_size: int or (ph, pw) window.
      strides: int, pair, or None (= ``pool_size``).
      padding: "valid" or "same".
      data_format: "channels_last" (default from ``kxla.config``) or "channels_first".
    """

    def __init__(self, pool_size=(2, 2), strides=None, padding="valid", data_format=None, name=None,
                 **kwargs):
        super().__init__(pool_size, strides, pool_dimensions=2, pool_mode="average", padding=padding,
                         data_format=data_format, name=name, **kwargs)
