"""SeparableConv1D / SeparableConv2D (Keras 3): a depthwise conv, then a 1x1 pointwise conv, then bias.

Weights, in Keras's order: ``depthwise_kernel`` ``(k..., in, depth_multiplier)``,
``pointwise_kernel`` ``(1..., in * depth_multiplier, filters)``, ``bias`` ``(filters,)``.
The graph is ``depthwise_conv{n}d`` -> ``conv{n}d`` (1x1, stride 1, "valid")
-> ``bias_add``, as Keras's ``ops.separable_conv`` computes it.
"""
from __future__ import annotations

from ... import ops
from .base_conv import ConvBase, positive_int


class BaseSeparableConv(ConvBase):
    """Shared separable convolution over ``rank`` spatial dims (1 or 2); see ``SeparableConv2D``."""

    weight_names = ("depthwise", "pointwise", "bias")

    def __init__(self, rank, depth_multiplier, filters, kernel_size, strides=1, padding="valid",
                 data_format=None, dilation_rate=1, activation=None, use_bias=True,
                 depthwise_initializer="glorot_uniform", pointwise_initializer="glorot_uniform",
                 bias_initializer="zeros", depthwise_regularizer=None, pointwise_regularizer=None,
                 bias_regularizer=None, activity_regularizer=None, depthwise_constraint=None,
                 pointwise_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(rank, kernel_size, strides, padding, data_format, dilation_rate, activation, use_bias,
                         activity_regularizer,
                         {"depthwise": (depthwise_initializer, depthwise_regularizer, depthwise_constraint),
                          "pointwise": (pointwise_initializer, pointwise_regularizer, pointwise_constraint),
                          "bias": (bias_initializer, bias_regularizer, bias_constraint)}, **kwargs)
        self.depth_multiplier = positive_int(depth_multiplier, "depth_multiplier")
        self.filters = positive_int(filters, "filters")

    def build(self, input_shape):
        channels = self._input_channels(input_shape)
        self.compute_output_shape(input_shape)      # fails early on windows larger than the input
        self.depthwise_kernel = self._add("depthwise_kernel", self.kernel_size + (channels, self.depth_multiplier),
                                          "depthwise")
        self.pointwise_kernel = self._add("pointwise_kernel",
                                          (1,) * self.rank + (channels * self.depth_multiplier, self.filters),
                                          "pointwise")
        self._finish_build(channels, self.filters)

    def call(self, inputs):
        x = ops.depthwise_conv(inputs, self.depthwise_kernel, strides=self.strides, padding=self.padding,
                               data_format=self.data_format, dilation_rate=self.dilation_rate)
        return self._bias_and_activation(
            ops.conv(x, self.pointwise_kernel, strides=1, padding="valid", data_format=self.data_format))

    def compute_output_shape(self, input_shape):
        return self._window_output_shape(input_shape, self.filters)

    def _config_head(self):
        return {"depth_multiplier": self.depth_multiplier, "filters": self.filters}


class SeparableConv2D(BaseSeparableConv):
    """2-D depthwise-separable convolution (``keras.layers.SeparableConv2D``).

    Arguments:
      filters: output channels of the pointwise step.
      kernel_size, strides, dilation_rate: int or pair (of the depthwise step).
      padding: "valid" or "same".
      depth_multiplier: depthwise filters per input channel.
      data_format: "channels_last" (default from ``kxla.config``) or "channels_first".
      activation, use_bias, depthwise_/pointwise_/bias_ initializer, regularizer, constraint: as Keras.

    Weights: ``depthwise_kernel`` (kh, kw, in, depth_multiplier),
    ``pointwise_kernel`` (1, 1, in * depth_multiplier, filters), ``bias`` (filters,).
    """

    def __init__(self, filters, kernel_size, strides=(1, 1), padding="valid", data_format=None,
                 dilation_rate=(1, 1), depth_multiplier=1, activation=None, use_bias=True,
                 depthwise_initializer="glorot_uniform", pointwise_initializer="glorot_uniform",
                 bias_initializer="zeros", depthwise_regularizer=None, pointwise_regularizer=None,
                 bias_regularizer=None, activity_regularizer=None, depthwise_constraint=None,
                 pointwise_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(2, depth_multiplier, filters, kernel_size, strides=strides, padding=padding,
                         data_format=data_format, dilation_rate=dilation_rate, activation=activation,
                         use_bias=use_bias, depthwise_initializer=depthwise_initializer,
                         pointwise_initializer=pointwise_initializer, bias_initializer=bias_initializer,
                         depthwise_regularizer=depthwise_regularizer,
                         pointwise_regularizer=pointwise_regularizer, bias_regularizer=bias_regularizer,
                         activity_regularizer=activity_regularizer, depthwise_constraint=depthwise_constraint,
                         pointwise_constraint=pointwise_constraint, bias_constraint=bias_constraint, **kwargs)


class SeparableConv1D(BaseSeparableConv):
    """1-D depthwise-separable convolution (``keras.layers.SeparableConv1D``); see ``SeparableConv2D``.

    Weights: ``depthwise_kernel`` (k, in, depth_multiplier),
    ``pointwise_kernel`` (1, in * depth_multiplier, filters), ``bias`` (filters,).
    """

    def __init__(self, filters, kernel_size, strides=1, padding="valid", data_format=None, dilation_rate=1,
                 depth_multiplier=1, activation=None, use_bias=True, depthwise_initializer="glorot_uniform",
                 pointwise_initializer="glorot_uniform", bias_initializer="zeros", depthwise_regularizer=None,
                 pointwise_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 depthwise_constraint=None, pointwise_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(1, depth_multiplier, filters, kernel_size, strides=strides, padding=padding,
                         data_format=data_format, dilation_rate=dilation_rate, activation=activation,
                         use_bias=use_bias, depthwise_initializer=depthwise_initializer,
                         pointwise_initializer=pointwise_initializer, bias_initializer=bias_initializer,
                         depthwise_regularizer=depthwise_regularizer,
                         pointwise_regularizer=pointwise_regularizer, bias_regularizer=bias_regularizer,
                         activity_regularizer=activity_regularizer, depthwise_constraint=depthwise_constraint,
                         pointwise_constraint=pointwise_constraint, bias_constraint=bias_constraint, **kwargs)
