"""Maximum (Keras 3): the elementwise maximum of a list of tensors."""
from __future__ import annotations

from ... import ops
from .base_merge import Merge


class Maximum(Merge):
    """Elementwise maximum of a list of tensors (``keras.layers.Maximum``)."""

    def _merge_function(self, inputs):
        out = inputs[0]
        for x in inputs[1:]:
            out = ops.maximum(out, x)
        return out


def maximum(inputs, **kwargs):
    """Functional interface to ``Maximum``: ``maximum([x1, x2, ...])``."""
    return Maximum(**kwargs)(inputs)
