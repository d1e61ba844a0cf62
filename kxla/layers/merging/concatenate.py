"""Concatenate (Keras 3): join a list of tensors along ``axis`` (default -1)."""
from __future__ import annotations

from ... import ops
from .base_merge import Merge


class Concatenate(Merge):
    """Concatenate a list of tensors that agree on every axis but ``axis`` (``keras.layers.Concatenate``)."""

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        self.axis = int(axis)

    def _mismatch(self, input_shape):
        return ValueError("A `Concatenate` layer requires inputs with matching shapes except for the "
                          f"concatenation axis. Received: input_shape={[tuple(s) for s in input_shape]}")

    def build(self, input_shape):
        self.compute_output_shape(input_shape)
        self.built = True

    def call(self, inputs):
        if not isinstance(inputs, (list, tuple)):
            raise ValueError(f"A `Concatenate` layer should be called on a list of inputs. Received: "
                             f"inputs={inputs}")
        return ops.concatenate(list(inputs), axis=self.axis)

    def compute_output_shape(self, input_shape):
        self._check_list(input_shape, check_batch=False)      # the batch axis may be the concat axis
        rank = len(input_shape[0])
        if any(len(s) != rank for s in input_shape):
            raise self._mismatch(input_shape)
        if not -rank <= self.axis < rank:
            raise ValueError(f"Concatenate axis {self.axis} is out of bounds for inputs of rank {rank}")
        axis = self.axis % rank
        out = list(input_shape[0])
        for shape in input_shape[1:]:
            for i, d in enumerate(shape):
                if i == axis:
                    out[i] = None if out[i] is None or d is None else out[i] + d
                elif out[i] is None:
                    out[i] = d
                elif d is not None and d != out[i]:
                    raise self._mismatch(input_shape)
        return tuple(out)

    def get_config(self):
        return {**super().get_config(), "axis": self.axis}


def concatenate(inputs, axis=-1, **kwargs):
    """Functional interface to ``Concatenate``: ``concatenate([x1, x2], axis=-1)``."""
    return Concatenate(axis=axis, **kwargs)(inputs)
