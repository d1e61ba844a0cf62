"""GaussianNoise (Keras 3): ``x + normal(0, stddev)`` in training, the identity in inference."""
from __future__ import annotations

from ... import ops
from ..layer import Layer


class GaussianNoise(Layer):
    """Additive zero-centered Gaussian noise, a regularizer (``keras.layers.GaussianNoise``).

    Arguments:
      stddev: standard deviation of the noise, in [0, 1] (Keras's range).
      seed: kept in the config; draws come from the ``rng`` of the compiled step
        (eagerly, from ``kxla.utils.set_random_seed``'s stream).

    Call arguments:
      training: add noise only when True (one ``gaussian_noise`` node).
    """

    def __init__(self, stddev, seed=None, **kwargs):
        super().__init__(**kwargs)
        if not 0 <= stddev <= 1:
            raise ValueError(f"Invalid value received for argument `stddev`. Expected a float value between 0 "
                             f"and 1. Received: stddev={stddev}")
        self.stddev = float(stddev)
        self.seed = seed
        self.supports_masking = True

    def call(self, inputs, training=False):
        if training and self.stddev > 0:
            return ops.gaussian_noise(inputs, self.stddev)
        return inputs

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        return {**super().get_config(), "stddev": self.stddev, "seed": self.seed}
