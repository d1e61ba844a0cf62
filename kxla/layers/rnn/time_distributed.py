"""TimeDistributed (Keras 3): apply a layer to every time step, as one call on (batch*time, ...)."""
from __future__ import annotations

from ... import ops
from ..layer import Layer
from ...serialization import layer_entries


def _serialize(layer) -> dict:
    """``{"class_name", "config"}`` with the class's registered name (``kxla.serialization.layer_entries``)."""
    return layer_entries.serialize_layer(layer)


def deserialize_layer(config):
    """A layer from ``{"class_name", "config"}``, or the layer itself.

    The class is resolved through the name registry below layers and models
    (``custom_objects`` of ``load_model`` / ``custom_object_scope``, registered
    names, built-in layers), never by attribute lookup on a module.
    """
    if isinstance(config, Layer):
        return config
    return layer_entries.deserialize_layer(config, where="inner layer")


class TimeDistributed(Layer):
    """Applies ``layer`` to each slice ``inputs[:, t]`` (``keras.layers.TimeDistributed``).

    The time axis is folded into the batch (``fold_time``: ``(batch, time, ...)``
    to ``(batch*time, ...)``), ``layer`` runs once, and the result is unfolded
    back (``unfold_time``), so the IR holds one copy of the layer's nodes
    (Dense, Conv2D, ...) and its weights are shared across steps. The time
    dimension must be known. Masks pass through.
    """

    def __init__(self, layer, **kwargs):
        if not isinstance(layer, Layer):
            raise ValueError(f"TimeDistributed needs a kxla.layers.Layer instance, got {layer!r}")
        super().__init__(**kwargs)
        self.layer = layer
        self.supports_masking = True

    def build(self, input_shape):
        input_shape = tuple(input_shape)
        if len(input_shape) < 3:
            raise ValueError(f"TimeDistributed needs inputs with at least 3 dims (batch, time, ...), got "
                             f"{input_shape}")
        if not self.layer.built:
            self.layer.build((None,) + input_shape[2:])
            self.layer.built = True
        self.built = True

    def call(self, inputs, training=None, mask=None):
        shape = tuple(inputs.shape)
        time = shape[1]
        if time is None:
            raise ValueError(f"Layer {self.name!r} (TimeDistributed): the time dimension of the input must be "
                             f"known, got shape {shape}")
        kwargs = {"training": training}
        if mask is not None and self.layer._call_has_mask:
            kwargs["mask"] = ops.fold_time(mask)
        out = self.layer(ops.fold_time(inputs), **kwargs)
        return ops.unfold_time(out, time)

    def compute_output_shape(self, input_shape):
        input_shape = tuple(input_shape)
        inner = self.layer.compute_output_shape((input_shape[0],) + input_shape[2:])
        return (input_shape[0], input_shape[1], *tuple(inner)[1:])

    def get_config(self):
        return {**super().get_config(), "layer": _serialize(self.layer)}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        config["layer"] = deserialize_layer(config["layer"])
        return cls(**config)
