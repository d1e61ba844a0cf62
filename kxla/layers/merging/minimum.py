"""Minimum (Keras 3): the elementwise minimum of a list of tensors."""
from __future__ import annotations

from ... import ops
from .base_merge import Merge


class Minimum(Merge):
    """Elementwise minimum of a list of tensors (``keras.layers.Minimum``)."""

    def _merge_function(self, inputs):
        out = inputs[0]
        for x in inputs[1:]:
            out = ops.minimum(out, x)
        return out


def minimum(inputs, **kwargs):
    """Functional interface to ``Minimum``: ``minimum([x1, x2, ...])``."""
    return Minimum(**kwargs)(inputs)
