"""DepthwiseConv1D / DepthwiseConv2D (Keras 3): one ``depth_multiplier``-wide filter bank per input channel.

Weights, as Keras 3 names them: ``kernel`` of shape ``(k..., in, depth_multiplier)``
(Keras 2 called it ``depthwise_kernel``; the attribute ``depthwise_kernel`` is
kept as an alias), then ``bias`` of shape ``(in * depth_multiplier,)``. The
kernel keeps Keras's layout in either ``data_format``.
"""
from __future__ import annotations

from ... import activations, constraints, initializers, ops, regularizers
from ...config import standardize_data_format
from ...ops.nn_conv import window_output_length
from ..layer import InputSpec, Layer
from .conv2d import standardize_padding, standardize_tuple


def conv_output_shape(layer, input_shape, channels_out) -> tuple:
    """Output shape of a windowed conv ``layer`` (rank, kernel_size, strides, dilation_rate, padding)."""
    input_shape = tuple(input_shape)
    if len(input_shape) != layer.rank + 2:
        raise ValueError(f"Layer {layer.name!r} expects inputs of rank {layer.rank + 2}, got {input_shape}")
    last = layer.data_format == "channels_last"
    spatial = input_shape[1:-1] if last else input_shape[2:]
    out = tuple(window_output_length(f"Layer {layer.name!r}", s, k, st, d, layer.padding)
                for s, k, st, d in zip(spatial, layer.kernel_size, layer.strides, layer.dilation_rate))
    return (input_shape[0], *out, channels_out) if last else (input_shape[0], channels_out, *out)


def input_channels(layer, input_shape) -> int:
    """The (known) channel count of ``input_shape`` in ``layer.data_format``."""
    channels = input_shape[-1 if layer.data_format == "channels_last" else 1]
    if channels is None:
        raise ValueError(f"The channel dimension of the inputs should be defined ({layer.data_format}). "
                         f"Found input shape {tuple(input_shape)}")
    return channels


class BaseDepthwiseConv(Layer):
    """Shared depthwise convolution over ``rank`` spatial dims (1 or 2); see ``DepthwiseConv2D``."""

    def __init__(self, rank, depth_multiplier, kernel_size, strides=1, padding="valid", data_format=None,
                 dilation_rate=1, activation=None, use_bias=True, depthwise_initializer="glorot_uniform",
                 bias_initializer="zeros", depthwise_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, depthwise_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        if not isinstance(depth_multiplier, int) or isinstance(depth_multiplier, bool) or depth_multiplier <= 0:
            raise ValueError(f"Invalid value for argument `depth_multiplier`. Expected a strictly positive "
                             f"value. Received depth_multiplier={depth_multiplier!r}.")
        self.rank = rank
        self.depth_multiplier = depth_multiplier
        self.kernel_size = standardize_tuple(kernel_size, rank, "kernel_size")
        self.strides = standardize_tuple(strides, rank, "strides")
        self.dilation_rate = standardize_tuple(dilation_rate, rank, "dilation_rate")
        self.padding = standardize_padding(padding)
        self.data_format = standardize_data_format(data_format)
        self.activation = activations.get(activation)
        self.use_bias = use_bias
        self.depthwise_initializer = initializers.get(depthwise_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.depthwise_regularizer = regularizers.get(depthwise_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.depthwise_constraint = constraints.get(depthwise_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self.input_spec = InputSpec(ndim=rank + 2)

    @property
    def _channel_axis(self) -> int:
        return -1 if self.data_format == "channels_last" else 1

    @property
    def depthwise_kernel(self):
        """Keras 2's name for ``kernel``."""
        return self.kernel

    def build(self, input_shape):
        channels = input_channels(self, input_shape)
        self.compute_output_shape(input_shape)      # fails early on windows larger than the input
        self.kernel = self.add_weight(shape=self.kernel_size + (channels, self.depth_multiplier),
                                      initializer=self.depthwise_initializer,
                                      regularizer=self.depthwise_regularizer,
                                      constraint=self.depthwise_constraint, name="kernel")
        self.bias = self.add_weight(shape=(channels * self.depth_multiplier,), initializer=self.bias_initializer,
                                    regularizer=self.bias_regularizer, constraint=self.bias_constraint,
                                    name="bias") if self.use_bias else None
        self.input_spec = InputSpec(ndim=self.rank + 2, axes={self._channel_axis: channels})
        self.built = True

    def call(self, inputs):
        x = ops.depthwise_conv(inputs, self.kernel, strides=self.strides, padding=self.padding,
                               data_format=self.data_format, dilation_rate=self.dilation_rate)
        if self.use_bias:
            x = ops.bias_add(x, self.bias, axis=self._channel_axis)
        return self.activation(x)

    def compute_output_shape(self, input_shape):
        channels = input_shape[self._channel_axis]
        return conv_output_shape(self, input_shape, None if channels is None else channels * self.depth_multiplier)

    def get_config(self):
        return {**super().get_config(), "depth_multiplier": self.depth_multiplier,
                "kernel_size": self.kernel_size, "strides": self.strides, "padding": self.padding,
                "data_format": self.data_format, "dilation_rate": self.dilation_rate,
                "activation": activations.serialize(self.activation), "use_bias": self.use_bias,
                "depthwise_initializer": initializers.serialize(self.depthwise_initializer),
                "bias_initializer": initializers.serialize(self.bias_initializer),
                "depthwise_regularizer": regularizers.serialize(self.depthwise_regularizer),
                "bias_regularizer": regularizers.serialize(self.bias_regularizer),
                "activity_regularizer": regularizers.serialize(self.activity_regularizer),
                "depthwise_constraint": constraints.serialize(self.depthwise_constraint),
                "bias_constraint": constraints.serialize(self.bias_constraint)}


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
