"""Conv2D (Keras 3): ``activation(conv(inputs, kernel) + bias)``, kernel ``(kh, kw, in/groups, filters)``.

``BaseConv`` (on ``ConvBase``, shared with the other convolution families)
holds everything that does not depend on the spatial rank, so Conv1D/Conv3D
only fix the rank. The kernel keeps Keras's layout in
either ``data_format``, so ``set_weights`` takes Keras's weights unchanged.
"""
from __future__ import annotations

from ... import ops
from .base_conv import ConvBase, positive_int


class BaseConv(ConvBase):
    """Shared N-D convolution layer (``rank`` spatial dims); see ``Conv2D``."""

    def __init__(self, rank, filters, kernel_size, strides=1, padding="valid", data_format=None,
                 dilation_rate=1, groups=1, activation=None, use_bias=True,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros", kernel_regularizer=None,
                 bias_regularizer=None, activity_regularizer=None, kernel_constraint=None,
                 bias_constraint=None, **kwargs):
        super().__init__(rank, kernel_size, strides, padding, data_format, dilation_rate, activation, use_bias,
                         activity_regularizer,
                         {"kernel": (kernel_initializer, kernel_regularizer, kernel_constraint),
                          "bias": (bias_initializer, bias_regularizer, bias_constraint)}, **kwargs)
        self.filters = positive_int(filters, "filters")
        if not isinstance(groups, int) or groups <= 0:
            raise ValueError(f"The number of groups must be a positive integer. Received: groups={groups!r}.")
        if filters % groups:
            raise ValueError(f"The number of filters must be evenly divisible by the number of groups. "
                             f"Received: groups={groups}, filters={filters}.")
        self.groups = groups
        if max(self.strides) > 1 and max(self.dilation_rate) > 1:
            raise ValueError(f"`strides > 1` not supported in conjunction with `dilation_rate > 1`. "
                             f"Received: strides={self.strides} and dilation_rate={self.dilation_rate}")

    def build(self, input_shape):
        channels = self._input_channels(input_shape)
        if channels % self.groups:
            raise ValueError(f"The number of input channels must be evenly divisible by the number of "
                             f"groups. Received groups={self.groups}, but the input has {channels} channels "
                             f"(full input shape is {tuple(input_shape)}).")
        self.compute_output_shape(input_shape)      # fails early on windows larger than the input
        self.kernel = self._add("kernel", self.kernel_size + (channels // self.groups, self.filters))
        self._finish_build(channels, self.filters)

    def call(self, inputs):
        return self._bias_and_activation(
            ops.conv(inputs, self.kernel, strides=self.strides, padding=self.padding,
                     data_format=self.data_format, dilation_rate=self.dilation_rate))

    def compute_output_shape(self, input_shape):
        return self._window_output_shape(input_shape, self.filters)

    def _config_head(self):
        return {"filters": self.filters}

    def get_config(self):
        return {**super().get_config(), "groups": self.groups}


class Conv2D(BaseConv):
    """2-D convolution layer (Keras 3 ``keras.layers.Conv2D``).

    Arguments:
      filters: number of output channels.
      kernel_size: int or (kh, kw).
      strides, dilation_rate: int or pair (strides > 1 and dilation > 1 cannot be combined).
      padding: "valid" or "same".
      data_format: "channels_last" (default from ``kxla.config``) or "channels_first".
      groups: split the input channels into this many groups (filters must divide too).
      activation, use_bias, *_initializer, *_regularizer, *_constraint: as Keras.

    Weights: ``kernel`` (kh, kw, in/groups, filters), then ``bias`` (filters,).
    """

    def __init__(self, filters, kernel_size, strides=(1, 1), padding="valid", data_format=None,
                 dilation_rate=(1, 1), groups=1, activation=None, use_bias=True,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros", kernel_regularizer=None,
                 bias_regularizer=None, activity_regularizer=None, kernel_constraint=None,
                 bias_constraint=None, **kwargs):
        super().__init__(2, filters, kernel_size, strides=strides, padding=padding, data_format=data_format,
                         dilation_rate=dilation_rate, groups=groups, activation=activation,
                         use_bias=use_bias, kernel_initializer=kernel_initializer,
                         bias_initializer=bias_initializer, kernel_regularizer=kernel_regularizer,
                         bias_regularizer=bias_regularizer, activity_regularizer=activity_regularizer,
                         kernel_constraint=kernel_constraint, bias_constraint=bias_constraint, **kwargs)
