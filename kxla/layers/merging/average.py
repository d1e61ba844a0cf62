"""Average (Keras 3): the elementwise mean of a list of tensors (sum, then divide by the count)."""
from __future__ import annotations

from ... import ops
from .base_merge import Merge


class Average(Merge):
    """Elementwise mean of a list of tensors (``keras.layers.Average``)."""

    def _merge_function(self, inputs):
        out = inputs[0]
        for x in inputs[1:]:
            out = ops.add(out, x)
        return ops.divide(out, float(len(inputs)))


def average(inputs, **kwargs):
    """Functional interface to ``Average``: ``average([x1, x2, ...])``."""
    return Average(**kwargs)(inputs)
