"""SpatialDropout1D / 2D / 3D (Keras 3): dropout of whole feature maps (channels) in training.

One ``dropout`` node whose ``noise_shape`` is 1 on the spatial axes and the
input's size on the batch and channel axes (``None`` entries, filled in at
lowering), so each (sample, channel) pair is kept or zeroed as a whole and
kept channels are scaled by ``1 / (1 - rate)``. In inference the layer is the
identity (no node at all).
"""
from __future__ import annotations

from ... import ops
from ...config import standardize_data_format
from ..layer import InputSpec, Layer


class BaseSpatialDropout(Layer):
    """Shared spatial dropout over ``rank`` spatial dims; see ``SpatialDropout2D``."""

    def __init__(self, rank, rate, data_format=None, seed=None, **kwargs):
        super().__init__(**kwargs)
        if not 0 <= rate <= 1:
            raise ValueError(f"Invalid value received for argument `rate`. Expected a float value between 0 "
                             f"and 1. Received: rate={rate}")
        self.rank = rank
        self.rate = float(rate)
        self.seed = seed
        self.data_format = standardize_data_format(data_format)
        self.supports_masking = True
        self.input_spec = InputSpec(ndim=rank + 2)

    def _noise_shape(self) -> list:
        if self.data_format == "channels_last":
            return [None] + [1] * self.rank + [None]
        return [None, None] + [1] * self.rank

    def call(self, inputs, training=False):
        if training and self.rate > 0:
            return ops.dropout(inputs, self.rate, noise_shape=self._noise_shape())
        return inputs

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        return {**super().get_config(), "rate": self.rate, "seed": self.seed}


class SpatialDropout1D(BaseSpatialDropout):
    """Drop whole channels of ``(batch, steps, channels)`` inputs (``keras.layers.SpatialDropout1D``).

    Arguments:
      rate: fraction of channels dropped per sample, in [0, 1].
      seed: kept in the config; draws come from the ``rng`` of the compiled step.
    """

    def __init__(self, rate, seed=None, name=None, dtype=None, **kwargs):
        super().__init__(1, rate, data_format="channels_last", seed=seed, name=name, dtype=dtype, **kwargs)


class SpatialDropout2D(BaseSpatialDropout):
    """Drop whole feature maps of image batches in training (``keras.layers.SpatialDropout2D``).

    Arguments:
      rate: fraction of channels dropped per sample, in [0, 1].
      data_format: "channels_last" (default from ``kxla.config``) or "channels_first":
        which axis holds the channels that are dropped whole.
      seed: kept in the config; draws come from the ``rng`` of the compiled step.

    Call arguments:
      training: drop only when True; otherwise the input is returned unchanged.
    """

    def __init__(self, rate, data_format=None, seed=None, name=None, dtype=None, **kwargs):
        super().__init__(2, rate, data_format=data_format, seed=seed, name=name, dtype=dtype, **kwargs)

    def get_config(self):
        return {**super().get_config(), "data_format": self.data_format}


class SpatialDropout3D(BaseSpatialDropout):
    """Drop whole feature maps of volumes (``keras.layers.SpatialDropout3D``); see ``SpatialDropout2D``."""

    def __init__(self, rate, data_format=None, seed=None, name=None, dtype=None, **kwargs):
        super().__init__(3, rate, data_format=data_format, seed=seed, name=name, dtype=dtype, **kwargs)

    def get_config(self):
        return {**super().get_config(), "data_format": self.data_format}
