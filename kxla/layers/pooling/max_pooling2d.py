"""MaxPooling2D (Keras 3): the maximum over each ``pool_size`` window."""
from __future__ import annotations

from .base_pooling import BasePooling


class MaxPooling2D(BasePooling):
    """2-D max pooling (``keras.layers.MaxPooling2D``).

    Arguments:
      pool_size: int or (ph, pw) window.
      strides: int, pair, or None (= ``pool_size``).
      padding: "valid" or "same".
      data_format: "channels_last" (default from ``kxla.config``) or "channels_first".
    """

    def __init__(self, pool_size=(2, 2), strides=None, padding="valid", data_format=None, name=None,
                 **kwargs):
        super().__init__(pool_size, strides, pool_dimensions=2, pool_mode="max", padding=padding,
                         data_format=data_format, name=name, **kwargs)
