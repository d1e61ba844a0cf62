"""The saving registry: ``kxla.object_registration`` (names, scopes, lookup; below layers and models) and
``builtin_layers``, the table of built-in layer and model classes the model readers resolve names in."""
from __future__ import annotations

from ..object_registration import (CustomObjectScope, UnknownObjectError, custom_object_scope,  # noqa: F401
                                   get_custom_objects, get_registered_name, get_registered_object, lookup,
                                   register_keras_serializable, register_serializable, registered_name,
                                   registered_objects)
from ..object_registration import _BY_NAME, _BY_OBJECT  # noqa: F401  (tests reset them)

__all__ = ["register_serializable", "custom_object_scope", "CustomObjectScope", "get_registered_name",
           "get_registered_object", "UnknownObjectError", "builtin_layers", "lookup", "registered_objects",
           "registered_name"]


def builtin_layers() -> dict:
    """``{class name: class}`` for every Layer subclass in ``kxla.layers``, plus the model classes."""
    from .. import layers as layers_mod
    from ..layers.layer import Layer
    from ..models import InputLayer, Model, Sequential
    table = {}
    for attr, value in vars(layers_mod).items():
        if isinstance(value, type) and issubclass(value, Layer) and not attr.startswith("_"):
            table[value.__name__] = value
            table.setdefault(attr, value)         # Keras's export name where it differs (GroupQueryAttention)
    table.update(InputLayer=InputLayer, Sequential=Sequential, Functional=Model, Model=Model)
    return table
