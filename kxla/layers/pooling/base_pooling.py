"""Shared pooling layers: ``BasePooling`` (windowed max/average) and ``BaseGlobalPooling``."""
from __future__ import annotations

from ... import ops
from ...config import standardize_data_format
from ...ops.nn_conv import window_output_length
from ..convolutional.base_conv import standardize_padding, standardize_tuple
from ..layer import InputSpec, Layer


class BasePooling(Layer):
    """Windowed pooling over ``pool_dimensions`` spatial dims; ``pool_mode`` is "max" or "average"."""

    def __init__(self, pool_size, strides, pool_dimensions, pool_mode="max", padding="valid",
                 data_format=None, **kwargs):
        super().__init__(**kwargs)
        if pool_mode not in ("max", "average"):
            raise ValueError(f"pool_mode must be 'max' or 'average', got {pool_mode!r}")
        self.pool_size = standardize_tuple(pool_size, pool_dimensions, "pool_size")
        self.strides = self.pool_size if strides is None else standardize_tuple(strides, pool_dimensions,
                                                                                 "strides")
        self.pool_dimensions = pool_dimensions
        self.pool_mode = pool_mode
        self.padding = standardize_padding(padding)
        self.data_format = standardize_data_format(data_format)
        self.input_spec = InputSpec(ndim=pool_dimensions + 2)

    def build(self, input_shape):
        self.compute_output_shape(input_shape)      # fails early on windows larger than the input
        self.built = True

    def call(self, inputs):
        pool = ops.max_pool if self.pool_mode == "max" else ops.average_pool
        return pool(inputs, pool_size=self.pool_size, strides=self.strides, padding=self.padding,
                    data_format=self.data_format)

    def compute_output_shape(self, input_shape):
        input_shape = tuple(input_shape)
        if len(input_shape) != self.pool_dimensions + 2:
            raise ValueError(f"Layer {self.name!r} expects inputs of rank {self.pool_dimensions + 2}, "
                             f"got {input_shape}")
        last = self.data_format == "channels_last"
        spatial = input_shape[1:-1] if last else input_shape[2:]
        out = tuple(window_output_length(f"Layer {self.name!r}", s, k, st, 1, self.padding)
                    for s, k, st in zip(spatial, self.pool_size, self.strides))
        channels = input_shape[-1] if last else input_shape[1]
        return (input_shape[0], *out, channels) if last else (input_shape[0], channels, *out)

    def get_config(self):
        return {**super().get_config(), "pool_size": self.pool_size, "padding": self.padding,
                "strides": self.strides, "data_format": self.data_format}


class BaseGlobalPooling(Layer):
    """Reduces all spatial dims of a ``pool_dimensions``-D input (mean or max over them)."""

    def __init__(self, pool_dimensions, data_format=None, keepdims=False, **kwargs):
        super().__init__(**kwargs)
        self.pool_dimensions = pool_dimensions
        self.data_format = standardize_data_format(data_format)
        self.keepdims = bool(keepdims)
        self.input_spec = InputSpec(ndim=pool_dimensions + 2)

    @property
    def _spatial_axes(self) -> list:
        start = 1 if self.data_format == "channels_last" else 2
        return list(range(start, start + self.pool_dimensions))

    def compute_output_shape(self, input_shape):
        input_shape = tuple(input_shape)
        axes = self._spatial_axes
        if self.keepdims:
            return tuple(1 if i in axes else d for i, d in enumerate(input_shape))
        return tuple(d for i, d in enumerate(input_shape) if i not in axes)

    def get_config(self):
        return {**super().get_config(), "data_format": self.data_format, "keepdims": self.keepdims}
