"""Layers in kxla's own file format: ``{"class_name", "config"}``, or ``{"class_name", "model"}`` for a model.

The entries of a ``.kxla`` model description (``kxla.models.description``)
and of the wrappers that hold inner layers (``TimeDistributed``,
``Bidirectional``, ``RNN``'s cells). The class is found through the name
registry (``custom_objects``, any open ``custom_object_scope``, registered
names, kxla's built-in layers) and must be a ``Layer`` subclass; a model
writes its own entry (``Model._file_entry``) and ``kxla.models`` binds the
rebuilder of its description (hook ``rebuild_model``).
"""
from __future__ import annotations

from ..object_registration import CustomObjectScope, UnknownObjectError, get_registered_name, lookup
from . import hooks
from .builtins import base, builtin_layers
from .values import FormatError, field, plain

__all__ = ["serialize_layer", "deserialize_layer", "build_layer"]


def serialize_layer(layer) -> dict:
    """``{"class_name", "config"}`` (or ``{"class_name", "model"}`` for a model used as a layer)."""
    model_entry = getattr(layer, "_file_entry", None)
    if model_entry is not None:                       # a model describes itself (kxla.models.description)
        return model_entry()
    return {"class_name": get_registered_name(type(layer)),
            "config": plain(layer.get_config(), f"the config of layer {layer.name!r}")}


def deserialize_layer(entry, custom_objects=None, where: str = "layer"):
    """A layer (or model used as a layer) from ``{"class_name", "config"}`` as ``serialize_layer`` wrote it.

    Raises:
      UnknownObjectError: the class name is not found.
      FormatError: the entry is malformed or the layer cannot be rebuilt from its config.
    """
    with CustomObjectScope(custom_objects):
        return build_layer(entry, None, where)


def build_layer(entry, custom_objects, where: str):
    """``deserialize_layer`` without opening a scope for ``custom_objects`` (the caller has one open)."""
    class_name = field(entry, "class_name", str, where)
    if "model" in entry:
        rebuild = hooks.get("rebuild_model")
        return rebuild(field(entry, "model", dict, where), custom_objects, f"{where}.model")
    config = field(entry, "config", dict, where)
    cls = lookup(class_name, "layer class", custom_objects, builtin_layers(), base=base("layer"))
    try:
        return cls.from_config(dict(config))
    except (FormatError, UnknownObjectError):
        raise
    except Exception as e:
        raise FormatError(f"{where}: could not rebuild layer {config.get('name', '?')!r} ({class_name}) "
                          f"from its config: {type(e).__name__}: {e}") from e
