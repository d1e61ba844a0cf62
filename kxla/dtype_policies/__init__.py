"""kxla.dtype_policies = keras.dtype_policies (the float policies; quantized ones are not supported)."""
from __future__ import annotations

from ..config import DTypePolicy

__all__ = ["DTypePolicy", "FloatDTypePolicy", "get", "serialize", "deserialize"]


class FloatDTypePolicy(DTypePolicy):
    """Keras 3's name for a float policy (a ``DTypePolicy`` subclass, as in Keras)."""


_CLASSES = {"DTypePolicy": DTypePolicy, "FloatDTypePolicy": FloatDTypePolicy}


def serialize(policy) -> dict:
    """Keras's form: ``{"module": "keras", "class_name": "DTypePolicy", "config": {"name": ...}}``."""
    return {"module": "keras", "class_name": type(policy).__name__, "config": policy.get_config(),
            "registered_name": None}


def deserialize(config, custom_objects=None) -> DTypePolicy:
    classes = {**_CLASSES, **(custom_objects or {})}
    name = config["class_name"]
    if name not in classes:
        raise ValueError(f"Unknown dtype policy class {name!r}; kxla supports {sorted(_CLASSES)} (quantized "
                         "policies are not supported)")
    return classes[name].from_config(config.get("config", {}))


def get(identifier) -> DTypePolicy:
    """A ``DTypePolicy`` from a policy, a name (``"mixed_bfloat16"``) or a serialized dict."""
    if identifier is None:
        from ..config import dtype_policy
        return dtype_policy()
    if isinstance(identifier, DTypePolicy):
        return identifier
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if isinstance(identifier, str):
        return DTypePolicy(identifier)
    raise ValueError(f"Cannot interpret `dtype` argument. Expected a string or an instance of DTypePolicy. "
                     f"Received: dtype={identifier}")
