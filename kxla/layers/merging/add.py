"""Add (Keras 3): the elementwise sum of a list of tensors (broadcasting size-1 axes)."""
from __future__ import annotations

from ... import ops
from .base_merge import Merge


class Add(Merge):
    """Elementwise sum of a list of same-shaped tensors (``keras.layers.Add``)."""

    def _merge_function(self, inputs):
        out = inputs[0]
        for x in inputs[1:]:
            out = ops.add(out, x)
        return out


def add(inputs, **kwargs):
    """Functional interface to ``Add``: ``add([x1, x2, ...])``."""
    return Add(**kwargs)(inputs)
