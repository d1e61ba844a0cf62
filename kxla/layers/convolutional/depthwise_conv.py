"""DepthwiseConv1D / DepthwiseConv2D (Keras 3): one ``depth_multiplier``-wide filter bank per input channel.

Weights, as Keras 3 names them: ``kernel`` of shape ``(k..., in, depth_multiplier)``
(Keras 2 called it ``depthwise_kernel``; the attribute ``depthwise_kernel`` is
kept as an alias), then ``bias`` of shape ``(in * depth_multiplier,)``. The
kernel keeps Keras's layout in either ``data_format``.
"""
from __future__ import annotations

from ... import ops
from .base_conv import ConvBase, positive_int


class BaseDepthwiseConv(ConvBase):
    """Shared depthwise convolution over ``rank`` spatial dims (1 or 2); see ``DepthwiseConv2D``."""

    weight_names = ("depthwise", "bias")

    def __init__(self, rank, depth_multiplier, kernel_size, strides=1, padding="valid", data_format=None,
                 dilation_rate=1, activation=None, use_bias=True, depthwise_initializer="glorot_uniform",
                 bias_initializer="zeros", depthwise_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, depthwise_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(rank, kernel_size, strides, padding, data_format, dilation_rate, activation, use_bias,
                         activity_regularizer,
                         {"depthwise": (depthwise_initializer, depthwise_regularizer, depthwise_constraint),
                          "bias": (bias_initializer, bias_regularizer, bias_constraint)}, **kwargs)
        self.depth_multiplier = positive_int(depth_multiplier, "depth_multiplier")

    @property
    def depthwise_kernel(self):
        """Keras 2's name for ``kernel``."""
        return self.kernel

    def build(self, input_shape):
        channels = self._input_channels(input_shape)
        self.compute_output_shape(input_shape)      # fails early on windows larger than the input
        self.kernel = self._add("kernel", self.kernel_size + (channels, self.depth_multiplier), "depthwise")
        self._finish_build(channels, channels * self.depth_multiplier)

    def call(self, inputs):
        return self._bias_and_activation(
            ops.depthwise_conv(inputs, self.kernel, strides=self.strides, padding=self.padding,
                               data_format=self.data_format, dilation_rate=self.dilation_rate))

    def compute_output_shape(self, input_shape):
        channels = tuple(input_shape)[self._channel_axis]
        return self._window_output_shape(input_shape,
                                         None if channels is None else channels * self.depth_multiplier)

    def _config_head(self):
        return {"depth_multiplier": self.depth_multiplier}


class DepthwiseConv2D(BaseDepthwiseConv):
    """2-D depthwise convolution (``keras.layers.DepthwiseConv2D``).

    Each input channel is convolved with its own ``depth_multiplier`` filters;
    the output has ``in * depth_multiplier`` channels (channel ``c * m + j`` is
    filter ``j`` of input channel ``c``).

    Arguments:
      kernel_size, strides, dilation_rate: int or pair.
      padding: "valid" or "same".
      depth_multiplier: filters per input channel.
      data_format: "channels_last" (default from ``kxla.config``) or "channels_first".
      activation, use_bias, depthwise_/bias_ initializer, regularizer, constraint: as Keras.

    Weights: ``kernel`` (kh, kw, in, depth_multiplier), then ``bias`` (in * depth_multiplier,).
    """

    def __init__(self, kernel_size, strides=(1, 1), padding="valid", depth_multiplier=1, data_format=None,
                 dilation_rate=(1, 1), activation=None, use_bias=True, depthwise_initializer="glorot_uniform",
                 bias_initializer="zeros", depthwise_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, depthwise_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(2, depth_multiplier, kernel_size, strides=strides, padding=padding,
                         data_format=data_format, dilation_rate=dilation_rate, activation=activation,
                         use_bias=use_bias, depthwise_initializer=depthwise_initializer,
                         bias_initializer=bias_initializer, depthwise_regularizer=depthwise_regularizer,
                         bias_regularizer=bias_regularizer, activity_regularizer=activity_regularizer,
                         depthwise_constraint=depthwise_constraint, bias_constraint=bias_constraint, **kwargs)


class DepthwiseConv1D(BaseDepthwiseConv):
    """1-D depthwise convolution (``keras.layers.DepthwiseConv1D``); see ``DepthwiseConv2D``.

    Weights: ``kernel`` (k, in, depth_multiplier), then ``bias`` (in * depth_multiplier,).
    """

    def __init__(self, kernel_size, strides=1, padding="valid", depth_multiplier=1, data_format=None,
                 dilation_rate=1, activation=None, use_bias=True, depthwise_initializer="glorot_uniform",
                 bias_initializer="zeros", depthwise_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, depthwise_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(1, depth_multiplier, kernel_size, strides=strides, padding=padding,
                         data_format=data_format, dilation_rate=dilation_rate, activation=activation,
                         use_bias=use_bias, depthwise_initializer=depthwise_initializer,
                         bias_initializer=bias_initializer, depthwise_regularizer=depthwise_regularizer,
                         bias_regularizer=bias_regularizer, activity_regularizer=activity_regularizer,
                         depthwise_constraint=depthwise_constraint, bias_constraint=bias_constraint, **kwargs)
