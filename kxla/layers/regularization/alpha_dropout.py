"""AlphaDropout (Keras 3): dropout that keeps SELU's self-normalizing mean and variance.

In training, dropped entries are set to SELU's negative saturation
``alpha' = -alpha * scale`` and the result is affinely rescaled,
``a * x + b`` with ``a = ((1 - rate) * (1 + rate * alpha'**2)) ** -0.5`` and
``b = -a * alpha' * rate`` (Keras's formula). The keep mask is a ``dropout``
node applied to ones (so it honours ``noise_shape`` and an unknown batch
size), compared with 0. Inference is the identity.
"""
from __future__ import annotations

from ... import ops
from ..layer import Layer

_ALPHA = 1.6732632423543772848170429916717
_SCALE = 1.0507009873554804934193349852946


class AlphaDropout(Layer):
    """Alpha dropout for SELU networks (``keras.layers.AlphaDropout``).

    Arguments:
      rate: drop probability, in [0, 1].
      noise_shape: optional shape of the keep mask, broadcast to the input (None entries
        take the input's size), e.g. ``(None, 1, features)`` to share it across steps.
      seed: kept in the config; draws come from the ``rng`` of the compiled step.

    Call arguments:
      training: drop only when True.
    """

    def __init__(self, rate, noise_shape=None, seed=None, **kwargs):
        super().__init__(**kwargs)
        if not 0 <= rate <= 1:
            raise ValueError(f"Invalid value received for argument `rate`. Expected a float value between 0 "
                             f"and 1. Received: rate={rate}")
        self.rate = float(rate)
        self.noise_shape = None if noise_shape is None else tuple(noise_shape)
        self.seed = seed
        self.supports_masking = True

    def call(self, inputs, training=False):
        if not (training and self.rate > 0):
            return inputs
        alpha_p = -_ALPHA * _SCALE
        kept = ops.greater(ops.dropout(ops.ones_like(inputs), self.rate, noise_shape=self.noise_shape), 0.0)
        x = ops.where(kept, inputs, alpha_p)
        a = ((1 - self.rate) * (1 + self.rate * alpha_p ** 2)) ** -0.5
        b = -a * alpha_p * self.rate
        return ops.add(ops.multiply(x, a), b)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        return {**super().get_config(), "rate": self.rate, "seed": self.seed,
                "noise_shape": None if self.noise_shape is None else list(self.noise_shape)}
