"""Conv3D (Keras 3): ``BaseConv`` with three spatial dims, kernel ``(kd, kh, kw, in/groups, filters)``."""
from __future__ import annotations

from .conv2d import BaseConv


class Conv3D(BaseConv):
    """3-D convolution layer (``keras.layers.Conv3D``).

    Arguments:
      filters: number of output channels.
      kernel_size, strides, dilation_rate: int or triple.
      padding: "valid" or "same".
      data_format: "channels_last" ``(batch, d, h, w, C)`` or "channels_first" ``(batch, C, d, h, w)``.
      groups, activation, use_bias, *_initializer, *_regularizer, *_constraint: as Keras.

    Weights: ``kernel`` (kd, kh, kw, in/groups, filters), then ``bias`` (filters,).
    """

    def __init__(self, filters, kernel_size, strides=(1, 1, 1), padding="valid", data_format=None,
                 dilation_rate=(1, 1, 1), groups=1, activation=None, use_bias=True,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros", kernel_regularizer=None,
                 bias_regularizer=None, activity_regularizer=None, kernel_constraint=None,
                 bias_constraint=None, **kwargs):
        super().__init__(3, filters, kernel_size, strides=strides, padding=padding, data_format=data_format,
                         dilation_rate=dilation_rate, groups=groups, activation=activation,
                         use_bias=use_bias, kernel_initializer=kernel_initializer,
                         bias_initializer=bias_initializer, kernel_regularizer=kernel_regularizer,
                         bias_regularizer=bias_regularizer, activity_regularizer=activity_regularizer,
                         kernel_constraint=kernel_constraint, bias_constraint=bias_constraint, **kwargs)
