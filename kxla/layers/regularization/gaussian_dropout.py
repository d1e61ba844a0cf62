"""GaussianDropout (Keras 3): ``x * normal(1, sqrt(rate / (1 - rate)))`` in training, identity otherwise.

The multiplicative noise is drawn as ``gaussian_noise(ones_like(x), stddev)``,
so the batch size may stay unknown until lowering.
"""
from __future__ import annotations

import math

from ... import ops
from ..layer import Layer


class GaussianDropout(Layer):
    """Multiplicative 1-centered Gaussian noise (``keras.layers.GaussianDropout``).

    Arguments:
      rate: drop probability of the equivalent dropout, in [0, 1); the noise
        has standard deviation ``sqrt(rate / (1 - rate))``.
      seed: kept in the config; draws come from the ``rng`` of the compiled step.

    Call arguments:
      training: apply the noise only when True.
    """

    def __init__(self, rate, seed=None, **kwargs):
        super().__init__(**kwargs)
        if not 0 <= rate <= 1:
            raise ValueError(f"Invalid value received for argument `rate`. Expected a float value between 0 "
                             f"and 1. Received: rate={rate}")
        self.rate = float(rate)
        self.seed = seed
        self.supports_masking = True

    def call(self, inputs, training=False):
        if training and self.rate > 0:
            stddev = math.sqrt(self.rate / (1.0 - self.rate)) if self.rate < 1 else float("inf")
            noise = ops.gaussian_noise(ops.ones_like(inputs), stddev)
            return ops.multiply(inputs, noise)
        return inputs

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        return {**super().get_config(), "rate": self.rate, "seed": self.seed}
