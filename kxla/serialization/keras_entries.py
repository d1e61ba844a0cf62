"""Layers in Keras 3's config format, both ways: ``{"module", "class_name", "config", "registered_name"}``.

An entry names the layer's class (``module`` is Keras's: ``keras.layers``
for built-ins) and holds its config with nested objects (initializers,
activations, inner layers) as entries of their own. Reading resolves the class
through the name registry (``custom_objects``, scopes, registered names,
built-ins), rebuilds nested objects, turns dtype policies into names and drops
Keras-only keys at neutral values (``fit_config``). A model is an entry too:
the model classes write and read theirs (``Model._keras_entry`` /
``_from_keras_entry``, in ``kxla.models.keras_config``), so this module knows
no model kind.
"""
from __future__ import annotations

import base64
import inspect

from .. import object_registration as registry
from .builtins import base
from .serialization_lib import (NEUTRAL_KEYS, _builtin_module, _resolve_class, _special,
                                fit_config, keras_layer_config)

__all__ = ["serialize_layer_entry", "deserialize_entry", "keras_class_name", "layer_config", "from_config"]

_KERAS_CLASS_NAMES = {"GroupedQueryAttention": "GroupQueryAttention"}    # the name Keras 3.15 writes


def keras_class_name(cls) -> str:
    name = cls.__name__
    return _KERAS_CLASS_NAMES.get(name, name) if (cls.__module__ or "").startswith("kxla.") else name


def serialize_layer_entry(layer) -> dict:
    """``{"module", "class_name", "config", "registered_name"[, "build_config"]}`` for a layer or model."""
    model_entry = getattr(layer, "_keras_entry", None)
    if model_entry is not None:                   # a model writes its own entry (kxla.models.keras_config)
        return model_entry()
    return {"module": _builtin_module(type(layer)), "class_name": keras_class_name(type(layer)),
            "config": keras_layer_config(layer), "registered_name": registry.registered_name(type(layer))}


# -- reading ---------------------------------------------------------------------------------
def _clean(value, key, custom_objects, safe_mode, where):
    """A Keras config value made ready for a kxla ``__init__``: nested objects rebuilt, policies to names."""
    from .serialization_lib import deserialize_keras_object
    if isinstance(value, list):
        return [_clean(v, key, custom_objects, safe_mode, f"{where}[{i}]") for i, v in enumerate(value)]
    if not isinstance(value, dict):
        return value
    if "class_name" not in value:
        return {k: _clean(v, k, custom_objects, safe_mode, f"{where}.{k}") for k, v in value.items()}
    if value["class_name"] in ("DTypePolicy", "FloatDTypePolicy"):
        return value["config"]["name"]
    special = _special(value, custom_objects, safe_mode, where)
    if special is not None:
        return special
    return deserialize_keras_object(value, custom_objects, safe_mode, where=where)


def _lambda_function(config, safe_mode, where):
    """Keras's marshalled lambda, loaded only when the caller (or enable_unsafe_deserialization) turned safe mode off."""
    from .. import config as kxla_config
    if safe_mode and kxla_config.in_safe_mode() is not False:
        raise ValueError(
            f"{where}: the Lambda layer's function is marshalled Python bytecode. Loading it runs code from the "
            "file, which is refused in safe mode. Pass safe_mode=False (or call "
            "kxla.config.enable_unsafe_deserialization()) if you trust the file, or register the "
            "function with @register_keras_serializable and build the layer with it.")
    import marshal
    import types
    code = marshal.loads(base64.b64decode(config["code"].encode("ascii")))
    defaults = tuple(config["defaults"]) if config.get("defaults") is not None else None
    closure = tuple(types.CellType(c) for c in config["closure"]) if config.get("closure") else None
    return types.FunctionType(code, {"__builtins__": __builtins__}, code.co_name, defaults, closure)


def layer_config(cls, config, custom_objects, safe_mode, where) -> dict:
    """A layer's Keras config made ready for ``cls.from_config`` (nested objects rebuilt for kxla's classes)."""
    config = dict(config)
    for key in ("function", "output_shape", "mask"):
        v = config.get(key)
        if isinstance(v, dict) and v.get("class_name") == "__lambda__":
            config[key] = _lambda_function(v["config"], safe_mode, f"{where}.{key}")
    if (type.__getattribute__(cls, "__module__") or "").startswith("kxla."):
        config = {k: _clean(v, k, custom_objects, safe_mode, f"{where}.{k}") for k, v in config.items()}
        return fit_config(cls, config, where)
    # a user class gets its config as Keras passes it: nested objects stay dicts (its from_config
    # deserializes them), only the dtype policy becomes a name for kxla's Layer
    config = {k: v for k, v in config.items() if not (k in NEUTRAL_KEYS and v == NEUTRAL_KEYS[k])}
    if isinstance(config.get("dtype"), dict) and config["dtype"].get("class_name") in ("DTypePolicy",
                                                                                       "FloatDTypePolicy"):
        config["dtype"] = config["dtype"]["config"]["name"]
    for key in ("activation",):
        v = config.get(key)
        if isinstance(v, dict) and v.get("class_name") == "function":
            config[key] = _clean(v, key, custom_objects, safe_mode, f"{where}.{key}")
    return config


def deserialize_entry(entry: dict, custom_objects=None, safe_mode=True, where="config"):
    """Build the object a ``{"module", "class_name", "config", ...}`` entry describes (layer, model, other)."""
    class_name = entry["class_name"]
    where = f"{where} ({class_name})"
    if class_name == "Functional" or (class_name == "Model" and "input_layers" in entry.get("config", {})):
        cls = base("model")
    else:
        cls = _resolve_class(entry, custom_objects, where)
    config = entry.get("config", {})
    model_from_entry = getattr(cls, "_from_keras_entry", None) if isinstance(cls, type) else None
    if model_from_entry is not None:              # a model class reads its own entry (kxla.models.keras_config)
        return model_from_entry(entry, custom_objects, safe_mode, where)
    if isinstance(cls, type) and issubclass(cls, base("layer")):
        return from_config(cls, layer_config(cls, config, custom_objects, safe_mode, where), custom_objects)
    if not isinstance(cls, type):
        return cls
    cleaned = {k: _clean(v, k, custom_objects, safe_mode, f"{where}.{k}") for k, v in config.items()}
    if (cls.__module__ or "").startswith("kxla."):
        cleaned = fit_config(cls, cleaned, where) if "from_config" not in cls.__dict__ else cleaned
    return from_config(cls, cleaned, custom_objects)


def from_config(cls, config, custom_objects):
    """``cls.from_config(config)`` (with ``custom_objects`` where it takes them), or ``cls(**config)``."""
    method = getattr(cls, "from_config", None)
    if method is None:
        return cls(**config)
    if "custom_objects" in inspect.signature(method).parameters:
        return method(config, custom_objects=custom_objects)
    return method(config)
