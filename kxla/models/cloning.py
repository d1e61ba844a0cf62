"""``clone_model`` and ``model_from_json``: new models from a model's Keras config (fresh weights)."""
from __future__ import annotations

import json

__all__ = ["clone_model", "model_from_json"]


def _default_clone(layer):
    return type(layer).from_config(layer.get_config())


def model_from_json(json_string, custom_objects=None):
    """The model ``model.to_json()`` (kxla's or Keras's) describes, with freshly initialised weights."""
    from ..serialization.serialization_lib import deserialize_keras_object
    return deserialize_keras_object(json.loads(json_string), custom_objects=custom_objects)


def clone_model(model, input_tensors=None, clone_function=None, call_function=None, recursive=False, **kwargs):
    """A new model with the same architecture and new layers (weights freshly initialised), as Keras.

    A compiled model's clone is compiled the same way (``compile_from_config``), as Keras does.

    Arguments:
      model: a Sequential, functional or subclassed model (a subclass is cloned through
        ``from_config(get_config())``).
      input_tensors: optional ``kxla.Input`` tensor(s) to build the clone on (Sequential, functional).
      clone_function: ``layer -> new layer``; by default ``type(layer).from_config(layer.get_config())``.
      call_function: not supported by kxla (a clear error).
      recursive: also clone nested Sequential / functional models through ``clone_function``.
    """
    if call_function is not None:
        raise ValueError("clone_model(call_function=...) is not supported by kxla; rebuild the model with the "
                         "functional API instead")
    if kwargs:
        raise TypeError(f"clone_model got unexpected keyword argument(s) {sorted(kwargs)}")
    clone = _clone_architecture(model, input_tensors, clone_function, recursive)
    if getattr(model, "compiled", False):
        clone.compile_from_config(model.get_compile_config())
    return clone


def _clone_architecture(model, input_tensors, clone_function, recursive):
    from . import Model, Sequential
    from ..layers.core.input_layer import InputLayer
    fn = clone_function or _default_clone

    def clone_layer(layer):
        if recursive and isinstance(layer, Model) and (isinstance(layer, Sequential) or layer._functional):
            return clone_model(layer, clone_function=clone_function, recursive=True)
        return fn(layer)

    if isinstance(model, Sequential):
        clone = Sequential(name=model.name, trainable=model.trainable)
        if input_tensors is not None:
            tensors = input_tensors if isinstance(input_tensors, (list, tuple)) else [input_tensors]
            if len(tensors) != 1:
                raise ValueError("A Sequential model takes exactly one input tensor")
            clone.add(tensors[0])
        elif model._input_types is not None and len(model._input_types) == 1:
            from ..layers.core.input_layer import Input
            t = model._input_types[0]
            clone.add(Input(batch_shape=t.shape, dtype=t.dtype, name=model._input_names[0]))
        for layer in model.layers:
            clone.add(clone_layer(layer))
        return clone
    if not getattr(model, "_functional", False):
        return type(model).from_config(model.get_config())
    from .keras_config import functional_from_config
    by_name = {l.name: l for l in model.layers}
    config = model.get_config()
    if input_tensors is not None:
        tensors = input_tensors if isinstance(input_tensors, (list, tuple)) else [input_tensors]
        inputs = [t._input_layer for t in model._inputs_flat]
        if len(tensors) != len(inputs):
            raise ValueError(f"clone_model: the model has {len(inputs)} inputs, got {len(tensors)} input_tensors")
        replace = {layer.name: t._input_layer for layer, t in zip(inputs, tensors)}
    else:
        replace = {}

    def make_layer(entry):
        return clone_layer(by_name[entry["name"]])

    def make_input(name, spec):
        return replace.get(name) or InputLayer(**spec)
    return functional_from_config(type(model), config, make_layer=make_layer, make_input=make_input)
