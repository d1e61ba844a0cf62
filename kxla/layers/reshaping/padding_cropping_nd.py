"""ZeroPadding1D/3D, Cropping1D/3D, UpSampling1D/3D (Keras 3): pad, slice and repeat nodes.

The 2-D layers live in their own modules; these share one N-D helper for the
``((before, after), ...)`` per-spatial-dim arguments.
"""
from __future__ import annotations

from ... import ops
from ...config import standardize_data_format
from ..convolutional.base_conv import standardize_tuple
from ..layer import InputSpec, Layer

_ORDINAL = ("1st", "2nd", "3rd")


def nd_pairs(value, n: int, arg: str) -> tuple:
    """An int, n ints (symmetric) or n pairs as n (before, after) pairs of non-negative ints."""
    if isinstance(value, int) and not isinstance(value, bool):
        if value < 0:
            raise ValueError(f"`{arg}` cannot be negative. Received: {arg}={value}.")
        return ((value, value),) * n
    if hasattr(value, "__len__") and len(value) == n:
        return tuple(standardize_tuple(v, 2, f"{_ORDINAL[i]} entry of {arg}", allow_zero=True)
                     for i, v in enumerate(value))
    raise ValueError(f"`{arg}` should be either an int, a tuple of {n} ints, or a tuple of {n} tuples of "
                     f"2 ints. Received: {arg}={value}.")


def _spatial_axes(layer, n: int) -> list:
    first = 2 if getattr(layer, "data_format", "channels_last") == "channels_first" else 1
    return list(range(first, first + n))


class _PadND(Layer):
    rank = 3

    def call(self, inputs):
        width = [[0, 0] for _ in inputs.shape]
        for axis, pair in zip(_spatial_axes(self, self.rank), self.padding_pairs):
            width[axis] = list(pair)
        return ops.pad(inputs, width)

    def compute_output_shape(self, input_shape):
        out = list(input_shape)
        for axis, (a, b) in zip(_spatial_axes(self, self.rank), self.padding_pairs):
            out[axis] = None if out[axis] is None else out[axis] + a + b
        return tuple(out)

    def get_config(self):
        return {**super().get_config(), "padding": self.padding, "data_format": self.data_format}


class ZeroPadding1D(_PadND):
    """Pad the steps axis with zeros (``keras.layers.ZeroPadding1D``); padding int or (left, right)."""
    rank = 1

    def __init__(self, padding=1, data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.data_format = standardize_data_format(data_format)
        self.padding = standardize_tuple(padding, 2, "padding", allow_zero=True)
        self.padding_pairs = (self.padding,)
        self.input_spec = InputSpec(ndim=3)


class ZeroPadding3D(_PadND):
    """Pad the three spatial dims of volumes with zeros (``keras.layers.ZeroPadding3D``)."""
    rank = 3

    def __init__(self, padding=((1, 1), (1, 1), (1, 1)), data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.data_format = standardize_data_format(data_format)
        self.padding = nd_pairs(padding, 3, "padding")
        self.padding_pairs = self.padding
        self.input_spec = InputSpec(ndim=5)


class _CropND(Layer):
    rank = 3

    def _check(self, shape):
        for axis, (a, b) in zip(_spatial_axes(self, self.rank), self.cropping_pairs):
            if shape[axis] is not None and a + b >= shape[axis]:
                raise ValueError(f"`cropping` parameter of `{type(self).__name__}` layer must be smaller than "
                                 f"the input length. Received: input_shape={tuple(shape)}, "
                                 f"cropping={self.cropping}")

    def call(self, inputs):
        self._check(inputs.shape)
        index = [slice(None)] * len(inputs.shape)
        for axis, (a, b) in zip(_spatial_axes(self, self.rank), self.cropping_pairs):
            index[axis] = slice(a, -b if b else None)
        return ops.getitem(inputs, tuple(index))

    def compute_output_shape(self, input_shape):
        self._check(input_shape)
        out = list(input_shape)
        for axis, (a, b) in zip(_spatial_axes(self, self.rank), self.cropping_pairs):
            out[axis] = None if out[axis] is None else out[axis] - a - b
        return tuple(out)


class Cropping1D(_CropND):
    """Crop the steps axis (``keras.layers.Cropping1D``); cropping int or (start, end)."""
    rank = 1

    def __init__(self, cropping=(1, 1), **kwargs):
        super().__init__(**kwargs)
        self.cropping = standardize_tuple(cropping, 2, "cropping", allow_zero=True)
        self.cropping_pairs = (self.cropping,)
        self.input_spec = InputSpec(ndim=3)

    def get_config(self):
        return {**super().get_config(), "cropping": self.cropping}


class Cropping3D(_CropND):
    """Crop the three spatial dims of volumes (``keras.layers.Cropping3D``)."""
    rank = 3

    def __init__(self, cropping=((1, 1), (1, 1), (1, 1)), data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.data_format = standardize_data_format(data_format)
        self.cropping = nd_pairs(cropping, 3, "cropping")
        self.cropping_pairs = self.cropping
        self.input_spec = InputSpec(ndim=5)

    def get_config(self):
        return {**super().get_config(), "cropping": self.cropping, "data_format": self.data_format}


class UpSampling1D(Layer):
    """Repeat each step ``size`` times (``keras.layers.UpSampling1D``)."""

    def __init__(self, size=2, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(size, int) or isinstance(size, bool):
            raise TypeError(f"Expected an integer value for `size`, got {type(size)}.")
        if size <= 0:
            raise ValueError(f"Argument `size` should be a positive integer. Received: size={size}")
        self.size = size
        self.input_spec = InputSpec(ndim=3)

    def call(self, inputs):
        return ops.repeat(inputs, self.size, axis=1)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], None if input_shape[1] is None else input_shape[1] * self.size, input_shape[2])

    def get_config(self):
        return {**super().get_config(), "size": self.size}


class UpSampling3D(Layer):
    """Repeat the three spatial dims by integer factors (``keras.layers.UpSampling3D``, nearest)."""

    def __init__(self, size=(2, 2, 2), data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.data_format = standardize_data_format(data_format)
        self.size = standardize_tuple(size, 3, "size")
        self.input_spec = InputSpec(ndim=5)

    def call(self, inputs):
        x = inputs
        for axis, factor in zip(_spatial_axes(self, 3), self.size):
            x = ops.repeat(x, factor, axis=axis)
        return x

    def compute_output_shape(self, input_shape):
        out = list(input_shape)
        for axis, factor in zip(_spatial_axes(self, 3), self.size):
            out[axis] = None if out[axis] is None else out[axis] * factor
        return tuple(out)

    def get_config(self):
        return {**super().get_config(), "size": self.size, "data_format": self.data_format}
