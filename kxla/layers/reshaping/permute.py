"""Permute (Keras 3): reorder the non-batch axes of each sample (one ``transpose`` node)."""
from __future__ import annotations

from ... import ops
from ..layer import InputSpec, Layer


class Permute(Layer):
    """Permute the axes of the input (``keras.layers.Permute``); the batch axis stays first.

    Arguments:
      dims: a permutation of ``1 .. rank - 1`` (1-based, the batch axis is not counted),
        e.g. ``(2, 1)`` swaps the two axes of a ``(batch, steps, features)`` input.
    """

    def __init__(self, dims, **kwargs):
        super().__init__(**kwargs)
        self.dims = tuple(int(d) for d in dims)
        if sorted(self.dims) != list(range(1, len(self.dims) + 1)):
            raise ValueError("Invalid permutation argument `dims` for Permute Layer. The set of indices in "
                             f"`dims` must be consecutive and start from 1. Received dims={tuple(dims)}")
        self.input_spec = InputSpec(ndim=len(self.dims) + 1)

    def call(self, inputs):
        return ops.transpose(inputs, (0,) + self.dims)

    def compute_output_shape(self, input_shape):
        return (input_shape[0],) + tuple(input_shape[d] for d in self.dims)

    def get_config(self):
        return {**super().get_config(), "dims": self.dims}
