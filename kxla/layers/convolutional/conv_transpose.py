"""Conv1DTranspose / Conv2DTranspose / Conv3DTranspose (Keras 3): transposed convolutions on ``BaseConv``.

The kernel has Keras's transposed layout ``(k..., filters, in)`` in either
``data_format``. Output lengths follow Keras: with ``output_padding=None``,
``in * stride`` for "same" and ``(in - 1) * stride + max(span, stride)`` for
"valid" (``span = (k - 1) * dilation + 1``); an explicit ``output_padding``
(each entry < its stride) picks among the lengths that map back to ``in``.
"""
from __future__ import annotations

from ... import ops
from ...ops.nn_conv import transpose_padding
from .base_conv import standardize_tuple
from .conv2d import BaseConv


def _output_padding(value, rank: int, strides: tuple):
    if value is None:
        return None
    out = standardize_tuple(value, rank, "output_padding", allow_zero=True)
    for i, (p, s) in enumerate(zip(out, strides)):
        if p >= s:
            raise ValueError(f"`output_padding` must be strictly less than `strides` for all dimensions. "
                             f"At dimension {i}, `output_padding` is {p} but `strides` is {s}. "
                             f"Received: output_padding={out}, strides={strides}")
    return out


class BaseConvTranspose(BaseConv):
    """Shared N-D transposed convolution; see ``Conv2DTranspose``. ``groups`` is not supported (as Keras)."""

    def __init__(self, rank, filters, kernel_size, strides=1, padding="valid", output_padding=None,
                 data_format=None, dilation_rate=1, activation=None, use_bias=True,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros", kernel_regularizer=None,
                 bias_regularizer=None, activity_regularizer=None, kernel_constraint=None,
                 bias_constraint=None, **kwargs):
        super().__init__(rank, filters, kernel_size, strides=strides, padding=padding, data_format=data_format,
                         dilation_rate=dilation_rate, groups=1, activation=activation, use_bias=use_bias,
                         kernel_initializer=kernel_initializer, bias_initializer=bias_initializer,
                         kernel_regularizer=kernel_regularizer, bias_regularizer=bias_regularizer,
                         activity_regularizer=activity_regularizer, kernel_constraint=kernel_constraint,
                         bias_constraint=bias_constraint, **kwargs)
        self.output_padding = _output_padding(output_padding, rank, self.strides)

    def build(self, input_shape):
        channels = self._input_channels(input_shape)
        self.compute_output_shape(input_shape)
        self.kernel = self._add("kernel", self.kernel_size + (self.filters, channels))
        self._finish_build(channels, self.filters)

    def call(self, inputs):
        return self._bias_and_activation(
            ops.conv_transpose(inputs, self.kernel, strides=self.strides, padding=self.padding,
                               output_padding=self.output_padding, data_format=self.data_format,
                               dilation_rate=self.dilation_rate))

    def compute_output_shape(self, input_shape):
        input_shape = self._check_rank(input_shape)
        out = []
        for i, size in enumerate(self._spatial(input_shape)):
            if size is None:
                out.append(None)
                continue
            k, s, d = self.kernel_size[i], self.strides[i], self.dilation_rate[i]
            left, right = transpose_padding(k, s, d, self.padding,
                                            None if self.output_padding is None else self.output_padding[i])
            out.append((size - 1) * s + 1 + left + right - ((k - 1) * d + 1) + 1)
        return self._output_shape(input_shape, out, self.filters)

    def get_config(self):
        config = super().get_config()
        del config["groups"]
        return {**config, "output_padding": self.output_padding}


class Conv2DTranspose(BaseConvTranspose):
    """2-D transposed convolution (``keras.layers.Conv2DTranspose``), a.k.a. deconvolution.

    Arguments:
      filters: number of output channels.
      kernel_size, strides, dilation_rate: int or pair (strides > 1 and dilation > 1 cannot be combined).
      padding: "valid" or "same".
      output_padding: None, int or pair; each entry must be < its stride.
      data_format: "channels_last" (default from ``kxla.config``) or "channels_first".
      activation, use_bias, *_initializer, *_regularizer, *_constraint: as Keras.

    Weights: ``kernel`` (kh, kw, filters, in), then ``bias`` (filters,).
    """

    def __init__(self, filters, kernel_size, strides=(1, 1), padding="valid", output_padding=None,
                 data_format=None, dilation_rate=(1, 1), activation=None, use_bias=True,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros", kernel_regularizer=None,
                 bias_regularizer=None, activity_regularizer=None, kernel_constraint=None,
                 bias_constraint=None, **kwargs):
        super().__init__(2, filters, kernel_size, strides=strides, padding=padding,
                         output_padding=output_padding, data_format=data_format, dilation_rate=dilation_rate,
                         activation=activation, use_bias=use_bias, kernel_initializer=kernel_initializer,
                         bias_initializer=bias_initializer, kernel_regularizer=kernel_regularizer,
                         bias_regularizer=bias_regularizer, activity_regularizer=activity_regularizer,
                         kernel_constraint=kernel_constraint, bias_constraint=bias_constraint, **kwargs)


class Conv1DTranspose(BaseConvTranspose):
    """1-D transposed convolution (``keras.layers.Conv1DTranspose``); kernel (k, filters, in)."""

    def __init__(self, filters, kernel_size, strides=1, padding="valid", output_padding=None,
                 data_format=None, dilation_rate=1, activation=None, use_bias=True,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros", kernel_regularizer=None,
                 bias_regularizer=None, activity_regularizer=None, kernel_constraint=None,
                 bias_constraint=None, **kwargs):
        super().__init__(1, filters, kernel_size, strides=strides, padding=padding,
                         output_padding=output_padding, data_format=data_format, dilation_rate=dilation_rate,
                         activation=activation, use_bias=use_bias, kernel_initializer=kernel_initializer,
                         bias_initializer=bias_initializer, kernel_regularizer=kernel_regularizer,
                         bias_regularizer=bias_regularizer, activity_regularizer=activity_regularizer,
                         kernel_constraint=kernel_constraint, bias_constraint=bias_constraint, **kwargs)


class Conv3DTranspose(BaseConvTranspose):
    """3-D transposed convolution (``keras.layers.Conv3DTranspose``); kernel (kd, kh, kw, filters, in)."""

    def __init__(self, filters, kernel_size, strides=(1, 1, 1), padding="valid", data_format=None,
                 output_padding=None, dilation_rate=(1, 1, 1), activation=None, use_bias=True,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros", kernel_regularizer=None,
                 bias_regularizer=None, activity_regularizer=None, kernel_constraint=None,
                 bias_constraint=None, **kwargs):
        super().__init__(3, filters, kernel_size, strides=strides, padding=padding,
                         output_padding=output_padding, data_format=data_format, dilation_rate=dilation_rate,
                         activation=activation, use_bias=use_bias, kernel_initializer=kernel_initializer,
                         bias_initializer=bias_initializer, kernel_regularizer=kernel_regularizer,
                         bias_regularizer=bias_regularizer, activity_regularizer=activity_regularizer,
                         kernel_constraint=kernel_constraint, bias_constraint=bias_constraint, **kwargs)
