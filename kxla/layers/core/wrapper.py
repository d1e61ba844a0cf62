"""Wrapper and Pipeline (Keras 3), and ``kxla.layers.serialize`` / ``deserialize``."""
from __future__ import annotations

from ..layer import Layer


def serialize(layer) -> dict:
    """The layer's configuration as a dict in Keras 3's format (``keras.layers.serialize``)."""
    from ...serialization.serialization_lib import serialize_keras_object
    return serialize_keras_object(layer)


def deserialize(config, custom_objects=None):
    """A layer from ``serialize``'s dict (``keras.layers.deserialize``)."""
    from ...serialization.serialization_lib import deserialize_keras_object
    obj = deserialize_keras_object(config, custom_objects=custom_objects)
    if not isinstance(obj, Layer):
        raise ValueError("`keras.layers.deserialize` was passed a `config` object that is not a "
                         f"`keras.layers.Layer`. Received: {config}")
    return obj


class Wrapper(Layer):
    """Abstract base of layers that wrap another layer (``keras.layers.Wrapper``)."""

    def __init__(self, layer, **kwargs):
        if not isinstance(layer, Layer):
            raise ValueError(f"Layer {layer} supplied to Wrapper isn't a supported layer type. Please ensure "
                             "wrapped layer is a valid Keras layer.")
        super().__init__(**kwargs)
        self.layer = layer

    def build(self, input_shape=None):
        if not self.layer.built:
            self.layer.build(input_shape)
            self.layer.built = True
        self.built = True

    def get_config(self):
        return {**super().get_config(), "layer": serialize(self.layer)}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        layer = config.pop("layer")                 # a config, or already a layer (a .keras loader built it)
        return cls(layer if isinstance(layer, Layer) else deserialize(layer, custom_objects=custom_objects),
                   **config)


class Pipeline(Layer):
    """Applies ``layers`` in sequence (``keras.layers.Pipeline``, e.g. a chain of preprocessing layers)."""

    def __init__(self, layers, name=None):
        super().__init__(name=name)
        self._pipeline_layers = list(layers)
        self._layers = list(layers)

    @property
    def layers(self):
        return self._pipeline_layers

    def call(self, inputs, training=True):
        x = inputs
        for layer in self._pipeline_layers:
            x = layer(x, training=training) if getattr(layer, "_call_has_training", False) else layer(x)
        return x

    def get_config(self):
        return {"layers": [serialize(l) for l in self._pipeline_layers], "name": self.name}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        return cls([c if isinstance(c, Layer) else deserialize(c) for c in config.pop("layers")], **config)
