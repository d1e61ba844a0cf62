"""Subtract (Keras 3): ``inputs[0] - inputs[1]`` for exactly two tensors (broadcasting size-1 axes)."""
from __future__ import annotations

from ... import ops
from .base_merge import Merge


class Subtract(Merge):
    """Elementwise difference of two tensors (``keras.layers.Subtract``)."""

    def build(self, input_shape):
        super().build(input_shape)
        if len(input_shape) != 2:
            raise ValueError(f"A `Subtract` layer should be called on exactly 2 inputs. "
                             f"Received: input_shape={input_shape}")

    def _merge_function(self, inputs):
        if len(inputs) != 2:
            raise ValueError(f"A `Subtract` layer should be called on exactly 2 inputs. Received: {len(inputs)}")
        return ops.subtract(inputs[0], inputs[1])


def subtract(inputs, **kwargs):
    """Functional interface to ``Subtract``: ``subtract([x1, x2])``."""
    return Subtract(**kwargs)(inputs)
