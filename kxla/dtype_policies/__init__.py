"""kxla.dtype_policies = keras.dtype_policies: float and quantized dtype policies, and DTypePolicyMap."""
from __future__ import annotations

from ..config import DTypePolicy
from .quantized import (QUANTIZATION_MODES, AWQDTypePolicy, GPTQDTypePolicy, Int4DTypePolicy,
                        QuantizedDTypePolicy, QuantizedFloat8DTypePolicy, policy_from_string)
from .dtype_policy_map import DTypePolicyMap

__all__ = ["DTypePolicy", "FloatDTypePolicy", "QuantizedDTypePolicy", "QuantizedFloat8DTypePolicy",
           "Int4DTypePolicy", "GPTQDTypePolicy", "AWQDTypePolicy", "DTypePolicyMap", "get", "serialize",
           "deserialize"]


class FloatDTypePolicy(DTypePolicy):
    """Keras 3's name for a float policy (a ``DTypePolicy`` subclass, as in Keras)."""


_CLASSES = {c.__name__: c for c in (DTypePolicy, FloatDTypePolicy, QuantizedDTypePolicy,
                                    QuantizedFloat8DTypePolicy, Int4DTypePolicy, GPTQDTypePolicy,
                                    AWQDTypePolicy, DTypePolicyMap)}


def serialize(policy) -> dict:
    """Keras's form: ``{"module": "keras.dtype_policies", "class_name": ..., "config": ..., ...}``
    (``"keras"`` as module for the float ``DTypePolicy``, as Keras writes it in layer configs)."""
    from ..quantizers import serial
    module = "keras" if type(policy) in (DTypePolicy, FloatDTypePolicy) else "keras.dtype_policies"
    return serial.serialize(policy, module)


def deserialize(config, custom_objects=None) -> DTypePolicy:
    """The policy a ``serialize`` entry describes."""
    from ..quantizers import serial
    return serial.deserialize(config, _CLASSES, custom_objects, what="dtype policy")


def get(identifier) -> DTypePolicy:
    """A policy from a policy, a name (``"mixed_bfloat16"``, ``"int8_from_float32"``) or a serialized dict."""
    if identifier is None:
        from ..config import dtype_policy
        return dtype_policy()
    if isinstance(identifier, DTypePolicy):
        return identifier
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if isinstance(identifier, str):
        if identifier.startswith(QUANTIZATION_MODES):
            return policy_from_string(identifier)
        return DTypePolicy(identifier)
    raise ValueError(f"Cannot interpret `dtype` argument. Expected a string or an instance of DTypePolicy. "
                     f"Received: dtype={identifier}")
