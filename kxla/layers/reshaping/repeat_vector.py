"""RepeatVector (Keras 3): ``(batch, features)`` -> ``(batch, n, features)`` (``expand_dims`` + ``repeat``)."""
from __future__ import annotations

from ... import ops
from ..layer import InputSpec, Layer


class RepeatVector(Layer):
    """Repeat each input vector ``n`` times along a new axis 1 (``keras.layers.RepeatVector``).

    Arguments:
      n: the number of repetitions (a positive int).
    """

    def __init__(self, n, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(n, int) or isinstance(n, bool):
            raise TypeError(f"Expected an integer value for `n`, got {type(n)}.")
        if n <= 0:
            raise ValueError(f"Argument `n` should be a positive integer. Received: n={n}")
        self.n = n
        self.input_spec = InputSpec(ndim=2)

    def call(self, inputs):
        return ops.repeat(ops.expand_dims(inputs, 1), self.n, axis=1)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.n, input_shape[1])

    def get_config(self):
        return {**super().get_config(), "n": self.n}
