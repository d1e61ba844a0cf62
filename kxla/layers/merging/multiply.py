"""Multiply (Keras 3): the elementwise product of a list of tensors (broadcasting size-1 axes)."""
from __future__ import annotations

from ... import ops
from .base_merge import Merge


class Multiply(Merge):
    """Elementwise product of a list of tensors (``keras.layers.Multiply``)."""

    def _merge_function(self, inputs):
        out = inputs[0]
        for x in inputs[1:]:
            out = ops.multiply(out, x)
        return out


def multiply(inputs, **kwargs):
    """Functional interface to ``Multiply``: ``multiply([x1, x2, ...])``."""
    return Multiply(**kwargs)(inputs)
