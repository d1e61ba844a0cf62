"""MaxPooling3D and AveragePooling3D (Keras 3): windowed pooling over three spatial dims."""
from __future__ import annotations

from .base_pooling import BasePooling


class MaxPooling3D(BasePooling):
    """3-D max pooling (``keras.layers.MaxPooling3D``).

    Arguments:
      pool_size: int or triple, default (2, 2, 2).
      strides: int, triple, or None (= ``pool_size``).
      padding: "valid" or "same".
      data_format: "channels_last" ``(batch, d, h, w, C)`` or "channels_first" ``(batch, C, d, h, w)``.
    """

    def __init__(self, pool_size=(2, 2, 2), strides=None, padding="valid", data_format=None, name=None,
                 **kwargs):
        super().__init__(pool_size, strides, pool_dimensions=3, pool_mode="max", padding=padding,
                         data_format=data_format, name=name, **kwargs)


class AveragePooling3D(BasePooling):
    """3-D average pooling (``keras.layers.AveragePooling3D``; ``pool_size`` is required, as in Keras 3).

    Arguments: as ``MaxPooling3D``; "same" windows average their real elements only.
    """

    def __init__(self, pool_size, strides=None, padding="valid", data_format=None, name=None, **kwargs):
        super().__init__(pool_size, strides, pool_dimensions=3, pool_mode="average", padding=padding,
                         data_format=data_format, name=name, **kwargs)
