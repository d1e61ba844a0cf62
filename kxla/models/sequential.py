"""``Sequential``: a plain stack of layers (list or ``.add()``), built now or deferred like Keras."""
from __future__ import annotations

from ..ir import TensorType
from ..layers.layer import Layer
from ..layers.core.input_layer import InputLayer
from .model import Model


class Sequential(Model):
    def __init__(self, layers=None, trainable=True, name=None):
        super().__init__(trainable=trainable, name=name)
        self._tracking = False
        self._layers = []
        self._tracking = True
        for layer in layers or []:
            self.add(layer)

    def add(self, layer, rebuild=True):
        """Append a layer (or an ``Input`` tensor that fixes the input shape)."""
        from ..ops.tracing import KerasTensor
        if isinstance(layer, KerasTensor) and getattr(layer, "_input_layer", None) is not None:
            layer = layer._input_layer
        if not isinstance(layer, Layer):
            raise ValueError(f"Only instances of kxla.layers.Layer can be added to a Sequential model; "
                             f"received {layer!r} of type {type(layer).__name__}")
        if isinstance(layer, InputLayer):
            if self._layers:
                raise ValueError("An Input can only be the first element of a Sequential model")
            self._set_input_types([TensorType(layer.batch_shape, layer.input_dtype)], names=[layer.name])
        if any(l.name == layer.name for l in self._layers):
            raise ValueError(f"All layers added to a Sequential model should have unique names. "
                             f"Name {layer.name!r} is already the name of a layer in this model.")
        self._tracking = False
        self._layers = self._layers + [layer]
        self._tracking = True
        if not self._functional and len(self.layers) == 1 and layer._input_shape_arg is not None:
            shape = (layer._batch_size_arg,) + tuple(layer._input_shape_arg)
            self._set_input_types([TensorType(shape, "float32")], names=["input_layer"])
        self._invalidate()
        if self._input_types is not None and rebuild:
            self.trace(training=False)          # builds the new layer now; shape errors surface here

    def pop(self):
        if not self.layers:
            raise ValueError("There are no layers in the model to pop")
        layer = self._layers[-1]
        self._layers = self._layers[:-1]
        self._invalidate()
        return layer

    @property
    def layers(self):
        return [l for l in self._layers if not isinstance(l, InputLayer)]

    @property
    def inputs(self):
        """``[Input tensor]`` once the input shape is known (None before), as Keras's built Sequential."""
        graph = self._symbolic_graph()
        return None if graph is None else [graph[0]]

    @property
    def outputs(self):
        """``[output tensor]`` of the stack called on its input; None while the input shape is unknown."""
        graph = self._symbolic_graph()
        return None if graph is None else [graph[1]]

    def _symbolic_graph(self):
        """The stack called once on a symbolic input, as Keras's Sequential builds itself: from then on
        every layer's ``input`` / ``output`` exist (feature extraction), as in Keras."""
        if self._input_types is None or not self.layers:
            return None
        found = self.__dict__.get("_symbolic")
        key = tuple(id(l) for l in self._layers)
        if found is None or found[2] != key:
            first = self._layers[0]
            if isinstance(first, InputLayer):
                x = first.output
            else:
                t = self._input_types[0]
                x = InputLayer(batch_shape=t.shape, dtype=t.dtype, name=self._input_names[0]).output
            y = x
            for layer in self.layers:
                y = layer(y)
            found = self.__dict__["_symbolic"] = (x, y, key)
        return found[:2]

    def call(self, inputs, training=False):
        x = inputs
        for layer in self.layers:
            x = layer(x, training=training)
        return x

    def get_config(self):
        """Keras 3's Sequential config (an InputLayer entry first when the input shape is known)."""
        from .keras_config import sequential_config
        return sequential_config(self)

    @classmethod
    def from_config(cls, config, custom_objects=None):
        """A Sequential (or subclass) from Keras's config (``kxla.models.keras_config``)."""
        from .keras_config import sequential_from_config
        return sequential_from_config(cls, config, custom_objects)
