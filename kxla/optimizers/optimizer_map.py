"""``OptimizerMap``: Keras 3's mapping from variable paths to optimizers (for ``MultiOptimizer``).

A key is matched against ``variable.path`` exactly first, then as a regular
expression with ``re.fullmatch``; a path no key matches gets the default
optimizer, one that several patterns match is an error::

    opt_map = OptimizerMap(default_optimizer=SGD(0.1))
    opt_map[".*dense_1/.*"] = Adam(1e-3)
    opt_map(variable)                      # the optimizer of one variable

The module also writes and reads the nested objects of a ``MultiOptimizer``
config in Keras's ``serialize_keras_object`` form (optimizers, the map, a
function choosing the optimizer).
"""
from __future__ import annotations

import re
from collections.abc import MutableMapping

from ..object_registration import get_registered_object, registered_name
from .base import Optimizer

__all__ = ["OptimizerMap", "serialize_entry", "deserialize_entry", "without_inner_factor"]


class OptimizerMap(MutableMapping):
    """Keys (variable paths or full-match regexes) to optimizers, with a default for unmapped variables.

    Arguments:
        default_optimizer: the optimizer of every variable no key matches.
        optimizer_map: an optional dict ``{key: optimizer}`` to start from (not validated, as in Keras).
    """

    def __init__(self, default_optimizer, optimizer_map=None):
        if not isinstance(default_optimizer, Optimizer):
            raise TypeError(f"default_optimizer must be a Keras Optimizer instance. Received: {default_optimizer}")
        if optimizer_map is not None and not isinstance(optimizer_map, dict):
            raise TypeError(f"optimizer_map must be a dictionary. Received: {optimizer_map}")
        self._default_optimizer = default_optimizer
        self._optimizer_map = optimizer_map or {}

    @property
    def default_optimizer(self):
        return self._default_optimizer

    def __getitem__(self, key):
        """The optimizer of ``key``: an exact key, else the one pattern ``re.fullmatch``-ing it, else the default.

        Raises:
            ValueError: ``key`` matches more than one pattern.
        """
        if key in self._optimizer_map:
            return self._optimizer_map[key]
        matching = [pattern for pattern in self._optimizer_map if re.fullmatch(pattern, key)]
        if len(matching) > 1:
            raise ValueError(f"Multiple optimizers assigned to variable {key}.")
        if matching:
            return self._optimizer_map[matching[0]]
        return self._default_optimizer

    def __setitem__(self, key, optimizer):
        from .loss_scale_optimizer import LossScaleOptimizer
        from .multi_optimizer import MultiOptimizer
        if key in self._optimizer_map:
            raise ValueError(f"'{key}' already exists in the OptimizerMap with value {self._optimizer_map[key]}. "
                             "Please make sure to not use duplicated keys.")
        if not isinstance(key, str):
            raise ValueError(f"key must be a string. Received: {key}")
        if not isinstance(optimizer, Optimizer):
            raise ValueError(f"optimizer must be a Keras Optimizer instance. Received: {optimizer}")
        if isinstance(optimizer, LossScaleOptimizer):
            raise ValueError("optimizer cannot be LossScaleOptimizer.")
        if isinstance(optimizer, MultiOptimizer):
            raise ValueError("optimizer cannot be MultiOptimizer.")
        self._optimizer_map[key] = optimizer

    def __delitem__(self, key):
        del self._optimizer_map[key]

    def __len__(self):
        return len(self._optimizer_map)

    def __iter__(self):
        return iter(self._optimizer_map)

    def __call__(self, variable):
        """The optimizer of ``variable`` (looked up by its ``path``)."""
        return self[variable.path]

    def get_config(self) -> dict:
        return {"default_optimizer": serialize_entry(self._default_optimizer),
                "optimizer_map": {k: serialize_entry(v) for k, v in self._optimizer_map.items()}}

    @classmethod
    def from_config(cls, config: dict, custom_objects: dict | None = None) -> "OptimizerMap":
        default = deserialize_entry(config["default_optimizer"], custom_objects)
        mapping = config.get("optimizer_map")
        if mapping is not None:
            mapping = {k: deserialize_entry(v, custom_objects) for k, v in mapping.items()}
        return cls(default, mapping)

    def __repr__(self):
        return f"<OptimizerMap default={self._default_optimizer.name} keys={list(self._optimizer_map)}>"


def serialize_entry(obj) -> dict:
    """``obj`` (an optimizer, an ``OptimizerMap`` or a function) as Keras's ``serialize_keras_object`` writes it."""
    if isinstance(obj, (Optimizer, OptimizerMap)):
        cls = type(obj)
        name = registered_name(cls)
        builtin = cls.__module__.startswith("kxla.") and name is None
        return {"module": "keras.optimizers" if builtin else cls.__module__, "class_name": cls.__name__,
                "config": obj.get_config(), "registered_name": name}
    if callable(obj):
        return {"module": "builtins", "class_name": "function",
                "config": registered_name(obj) or getattr(obj, "__name__", type(obj).__name__),
                "registered_name": "function"}
    raise TypeError(f"Cannot serialize {obj!r}: expected an optimizer, an OptimizerMap or a function")


def deserialize_entry(config, custom_objects: dict | None = None):
    """Inverse of :func:`serialize_entry` (objects pass through; Keras's and kxla's configs are read).

    Raises:
        ValueError: a function or class named in ``config`` is not found (pass it in ``custom_objects``).
    """
    if isinstance(config, (Optimizer, OptimizerMap)) or (callable(config) and not isinstance(config, dict)):
        return config
    if not isinstance(config, dict) or "class_name" not in config:
        raise ValueError(f"Could not interpret an optimizer map entry: {config!r}")
    class_name = config["class_name"]
    if class_name == "function":
        fn = get_registered_object(config["config"], custom_objects)
        if fn is None:
            raise ValueError(f"Could not find the function {config['config']!r} that chooses the optimizers of a "
                             "MultiOptimizer: pass it in `custom_objects`, or register it with "
                             "`@kxla.saving.register_keras_serializable()`.")
        return fn
    cls = get_registered_object(config.get("registered_name") or class_name, custom_objects)
    if cls is None and class_name == "OptimizerMap":
        cls = OptimizerMap
    if isinstance(cls, type) and issubclass(cls, (Optimizer, OptimizerMap)):
        return cls.from_config(dict(config.get("config") or {}), custom_objects)
    from . import deserialize
    return deserialize({"class_name": class_name, "config": dict(config.get("config") or {})}, custom_objects)


def without_inner_factor(entry, factor):
    """A config tree without the inner optimizers' ``loss_scale_factor`` where it is the MultiOptimizer's
    (Keras writes its own factor into every inner optimizer; kxla keeps it on the MultiOptimizer only)."""
    if isinstance(entry, dict):
        return {k: without_inner_factor(v, factor) for k, v in entry.items()
                if not (k == "loss_scale_factor" and v == factor)}
    return entry
