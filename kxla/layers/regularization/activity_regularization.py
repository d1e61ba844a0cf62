"""ActivityRegularization (Keras 3): the identity, plus an L1/L2 penalty on its output added to the loss."""
from __future__ import annotations

from ... import regularizers
from ..layer import Layer


class ActivityRegularization(Layer):
    """Add ``l1 * sum(|x|) + l2 * sum(x**2)`` of its output to the loss (``keras.layers.ActivityRegularization``).

    The penalty is recorded (in ``Builder.losses``) whenever the layer is
    traced into a graph, by the ``activity_regularizer`` machinery of ``Layer``.

    Arguments:
      l1: L1 factor (float >= 0).
      l2: L2 factor (float >= 0).
    """

    def __init__(self, l1=0.0, l2=0.0, **kwargs):
        kwargs.pop("activity_regularizer", None)
        super().__init__(activity_regularizer=regularizers.L1L2(l1=l1, l2=l2), **kwargs)
        self.supports_masking = True
        self.l1 = float(l1)
        self.l2 = float(l2)

    def call(self, inputs):
        return inputs

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        return {**super().get_config(), "l1": self.l1, "l2": self.l2}
