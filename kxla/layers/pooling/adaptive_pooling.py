"""Adaptive pooling (Keras 3): AdaptiveAverage/MaxPooling1D/2D/3D to a fixed ``output_size``.

Output cell ``i`` of a spatial dim of length ``L`` pools the window
``[floor(i*L/o), ceil((i+1)*L/o))`` (Keras's and PyTorch's bins). Both
reductions are separable, so each spatial axis is pooled in turn: average
pooling is one ``tensordot`` with a constant ``(L, o)`` averaging matrix (and
a transpose back), max pooling one slice and max per output cell, then a
concatenate.
"""
from __future__ import annotations

import math

import numpy as np

from ... import ops
from ...config import standardize_data_format
from ..layer import InputSpec, Layer


def _bins(length: int, out: int) -> list:
    return [(math.floor(i * length / out), math.ceil((i + 1) * length / out)) for i in range(out)]


def _pool_axis(x, axis: int, out: int, mode: str):
    length = x.shape[axis]
    if length is None:
        raise ValueError(f"Adaptive pooling needs known spatial dims, got input shape {tuple(x.shape)}")
    if mode == "average":
        weights = np.zeros((length, out), np.dtype(x.dtype) if x.dtype != "bfloat16" else np.float32)
        for i, (start, end) in enumerate(_bins(length, out)):
            weights[start:end, i] = 1.0 / (end - start)
        y = ops.tensordot(x, ops.cast(weights, x.dtype), axes=[[axis], [0]])      # pooled axis moves last
        rank = len(x.shape)
        return ops.transpose(y, [*range(axis), rank - 1, *range(axis, rank - 1)])
    pieces = []
    for start, end in _bins(length, out):
        index = [slice(None)] * len(x.shape)
        index[axis] = slice(start, end)
        pieces.append(ops.max(ops.getitem(x, tuple(index)), axis=axis, keepdims=True))
    return pieces[0] if len(pieces) == 1 else ops.concatenate(pieces, axis=axis)


class BaseAdaptivePooling(Layer):
    """Pools each spatial dim into ``output_size`` cells ("average" or "max")."""

    rank = 2
    mode = "average"

    def __init__(self, output_size, data_format=None, **kwargs):
        if isinstance(output_size, int) and not isinstance(output_size, bool):
            output_size = (output_size,) * self.rank
        elif isinstance(output_size, (tuple, list)) and len(output_size) == self.rank:
            output_size = tuple(output_size)
        else:
            raise TypeError(f"`output_size` must be an integer or tuple of {self.rank} integers. "
                            f"Received: {output_size} of type {type(output_size)}")
        super().__init__(**kwargs)
        self.output_size = output_size
        self.data_format = standardize_data_format(data_format)
        self.input_spec = InputSpec(ndim=self.rank + 2)

    def _axes(self):
        first = 1 if self.data_format == "channels_last" else 2
        return range(first, first + self.rank)

    def call(self, inputs):
        x = inputs
        for axis, out in zip(self._axes(), self.output_size):
            x = _pool_axis(x, axis, out, self.mode)
        return x

    def compute_output_shape(self, input_shape):
        if self.data_format == "channels_last":
            return (input_shape[0], *self.output_size, input_shape[-1])
        return (input_shape[0], input_shape[1], *self.output_size)

    def get_config(self):
        return {**super().get_config(), "output_size": self.output_size, "data_format": self.data_format}


def _make(name: str, rank: int, mode: str):
    doc = (f"{'Average' if mode == 'average' else 'Max'} pooling of {rank}-D inputs to a fixed output size "
           f"(``keras.layers.{name}``).")
    return type(name, (BaseAdaptivePooling,), {"rank": rank, "mode": mode, "__doc__": doc,
                                                "__module__": __name__})


AdaptiveAveragePooling1D = _make("AdaptiveAveragePooling1D", 1, "average")
AdaptiveAveragePooling2D = _make("AdaptiveAveragePooling2D", 2, "average")
AdaptiveAveragePooling3D = _make("AdaptiveAveragePooling3D", 3, "average")
AdaptiveMaxPooling1D = _make("AdaptiveMaxPooling1D", 1, "max")
AdaptiveMaxPooling2D = _make("AdaptiveMaxPooling2D", 2, "max")
AdaptiveMaxPooling3D = _make("AdaptiveMaxPooling3D", 3, "max")
