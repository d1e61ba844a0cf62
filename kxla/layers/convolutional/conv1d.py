"""Conv1D (Keras 3): ``BaseConv`` with one spatial dim, plus Keras's ``padding="causal"``.

Causal padding pads ``dilation_rate * (kernel_size - 1)`` steps on the left of
the steps axis (an ordinary ``pad`` node) and then convolves with "valid", so
output step ``t`` sees only inputs up to ``t``.
"""
from __future__ import annotations

from ... import ops
from .conv2d import BaseConv


class Conv1D(BaseConv):
    """1-D convolution layer (``keras.layers.Conv1D``).

    Arguments:
      filters: number of output channels.
      kernel_size: int or (k,).
      strides, dilation_rate: int or (n,) (strides > 1 and dilation > 1 cannot be combined).
      padding: "valid", "same" or "causal" (left padding only; output length ``ceil(steps / stride)``).
      data_format: "channels_last" ``(batch, steps, channels)`` or "channels_first"
        ``(batch, channels, steps)``; default from ``kxla.config``.
      groups: split the input channels into this many groups (filters must divide too).
      activation, use_bias, *_initializer, *_regularizer, *_constraint: as Keras.

    Weights: ``kernel`` (k, in/groups, filters), then ``bias`` (filters,).
    """

    def __init__(self, filters, kernel_size, strides=1, padding="valid", data_format=None, dilation_rate=1,
                 groups=1, activation=None, use_bias=True, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, kernel_constraint=None, bias_constraint=None, **kwargs):
        causal = str(padding).lower() == "causal"
        super().__init__(1, filters, kernel_size, strides=strides, padding="valid" if causal else padding,
                         data_format=data_format, dilation_rate=dilation_rate, groups=groups,
                         activation=activation, use_bias=use_bias, kernel_initializer=kernel_initializer,
                         bias_initializer=bias_initializer, kernel_regularizer=kernel_regularizer,
                         bias_regularizer=bias_regularizer, activity_regularizer=activity_regularizer,
                         kernel_constraint=kernel_constraint, bias_constraint=bias_constraint, **kwargs)
        if causal:
            self.padding = "causal"

    def _causal_padding(self) -> list:
        left = self.dilation_rate[0] * (self.kernel_size[0] - 1)
        if self.data_format == "channels_last":
            return [[0, 0], [left, 0], [0, 0]]
        return [[0, 0], [0, 0], [left, 0]]

    def call(self, inputs):
        padding = self.padding
        if padding == "causal":
            inputs = ops.pad(inputs, self._causal_padding())
            padding = "valid"
        return self._bias_and_activation(
            ops.conv(inputs, self.kernel, strides=self.strides, padding=padding,
                     data_format=self.data_format, dilation_rate=self.dilation_rate))

    def compute_output_shape(self, input_shape):
        # causal: "same"-length output (the left padding makes the valid conv that long)
        return self._window_output_shape(input_shape, self.filters,
                                         padding="same" if self.padding == "causal" else None)
