"""Activation, Dropout, Flatten, Reshape: the parameter-free core layers."""
from __future__ import annotations

import math

from ... import activations, config, ops
from ..layer import InputSpec, Layer


class Activation(Layer):
    """Applies an activation function by name or callable."""

    def __init__(self, activation, **kwargs):
        super().__init__(**kwargs)
        self.activation = activations.get(activation)
        self.supports_masking = True

    def call(self, inputs):
        return self.activation(inputs)

    def get_config(self):
        return {**super().get_config(), "activation": activations.serialize(self.activation)}


class Dropout(Layer):
    """Zeroes a fraction ``rate`` of inputs in training, scaling the rest by ``1/(1-rate)``."""

    def __init__(self, rate, noise_shape=None, seed=None, **kwargs):
        super().__init__(**kwargs)
        if not 0 <= rate <= 1:
            raise ValueError(f"Dropout rate must be in [0, 1], got {rate}")
        self.rate, self.noise_shape, self.seed = float(rate), noise_shape, seed
        self.supports_masking = True

    def call(self, inputs, training=False):
        if training and self.rate > 0:
            return ops.dropout(inputs, self.rate, noise_shape=self.noise_shape)
        return inputs

    def get_config(self):
        return {**super().get_config(), "rate": self.rate, "noise_shape": self.noise_shape,
                "seed": self.seed}


class Flatten(Layer):
    """Flattens all but the batch axis, in Keras's element order for either data format."""

    def __init__(self, data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.data_format = config.standardize_data_format(data_format)
        self.input_spec = InputSpec(min_ndim=1)

    def call(self, inputs):
        return ops.flatten(inputs, data_format=self.data_format)

    def get_config(self):
        return {**super().get_config(), "data_format": self.data_format}


class Reshape(Layer):
    """Reshapes each sample to ``target_shape`` (one entry may be -1)."""

    def __init__(self, target_shape, **kwargs):
        super().__init__(**kwargs)
        self.target_shape = tuple(int(d) for d in target_shape)

    def call(self, inputs):
        shape = list(self.target_shape)
        if -1 in shape:
            known = math.prod(d for d in shape if d != -1)
            per_sample = math.prod(inputs.shape[1:])
            if known == 0 or per_sample % known:
                raise ValueError(f"Layer {self.name!r}: cannot reshape input {inputs.shape} to "
                                 f"(batch, {', '.join(map(str, self.target_shape))})")
            shape[shape.index(-1)] = per_sample // known
        batch = inputs.shape[0]
        return ops.reshape(inputs, [-1 if batch is None else batch] + shape)

    def get_config(self):
        return {**super().get_config(), "target_shape": list(self.target_shape)}
