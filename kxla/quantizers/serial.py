"""Keras-format (de)serialization shared by ``kxla.quantizers`` and ``kxla.dtype_policies``.

``{"module": <keras module>, "class_name": ..., "config": ..., "registered_name": None}``; custom
classes are found through ``kxla.object_registration`` or ``custom_objects``.
"""
from __future__ import annotations


def serialize(obj, module: str):
    """``obj`` in Keras's form (None stays None); nested objects in the config are serialized too."""
    if obj is None:
        return None
    from .. import object_registration as registry
    reg = registry.registered_name(type(obj))
    config = {k: _nested(v) for k, v in obj.get_config().items()}
    return {"module": module if reg is None else None, "class_name": type(obj).__name__, "config": config,
            "registered_name": reg}


def _nested(value):
    if hasattr(value, "get_config") and not isinstance(value, type):
        mod = type(value).__module__
        return serialize(value, "keras.dtype_policies" if "dtype_policies" in mod or "config" in mod
                         else "keras.quantizers")
    if isinstance(value, dict):
        return {k: _nested(v) for k, v in value.items()}
    return value


def deserialize(config, table: dict, custom_objects=None, what="object"):
    """The object a ``serialize`` entry describes, classes looked up in ``table`` then the registry."""
    if config is None:
        return None
    if not isinstance(config, dict) or "class_name" not in config:
        raise ValueError(f"Could not deserialize {what} from {config!r}: expected a dict with 'class_name'")
    from .. import object_registration as registry
    name = config["class_name"]
    cls = (custom_objects or {}).get(name) or table.get(name)
    if cls is None:
        cls = registry.get_registered_object(config.get("registered_name") or name, custom_objects, None)
    if cls is None:
        raise ValueError(f"Unknown {what} class {name!r}: not built into kxla, not registered with "
                         "@register_keras_serializable(), and not in custom_objects")
    inner = config.get("config", {})
    import inspect
    if "custom_objects" in inspect.signature(cls.from_config).parameters:
        return cls.from_config(inner, custom_objects=custom_objects)
    return cls.from_config(inner)
