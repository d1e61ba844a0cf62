"""Keras 3's serialization API: ``serialize_keras_object`` / ``deserialize_keras_object`` and custom objects.

Objects are written in Keras 3's config format, so configs move between kxla
and Keras unchanged::

    {"module": "keras.layers", "class_name": "Dense", "config": {...},
     "registered_name": null, "build_config": {"input_shape": [null, 4]}}

Functions are ``{"module": "builtins", "class_name": "function", "config":
"<name>", "registered_name": "function"}``, dtypes are ``DTypePolicy``
objects, initializers / regularizers / constraints carry their Keras module.
Names resolve, in order, through the ``custom_objects`` argument, the active
``custom_object_scope``\\ s, ``get_custom_objects()``, objects registered with
``@register_keras_serializable`` and kxla's built-ins. Nothing in a config
runs as code: a Lambda's marshalled bytecode is refused unless
``safe_mode=False`` (which kxla cannot honour either: it never unmarshals).
"""
from __future__ import annotations

import inspect

import numpy as np

from .. import object_registration as registry
from .builtins import base, bases, builtin_layers

__all__ = ["serialize_keras_object", "deserialize_keras_object", "register_keras_serializable",
           "get_custom_objects", "custom_object_scope", "CustomObjectScope", "get_registered_name",
           "get_registered_object", "keras_layer_config", "fit_config"]

from ..object_registration import _GLOBAL_CUSTOM_OBJECTS, get_custom_objects, register_keras_serializable  # noqa: E402,F401

# Keras 3 config keys kxla has no use for, accepted at these (neutral) values only.
NEUTRAL_KEYS = {"quantization_config": None, "lora_rank": None, "lora_alpha": None, "sparse": False,
                "ragged": False, "optional": False, "input_axes": None, "output_axes": None,
                "synchronized": False, "renorm": False, "renorm_clipping": None, "renorm_momentum": 0.99,
                "build_config": None, "shared_object_id": None, "seed": None, "compile_config": None,
                "use_gate": False, "sliding_window": None}


LAYER_BASE_ARGS = {"trainable", "name", "dtype", "input_shape", "input_dim", "batch_size",
                   "activity_regularizer"}


# -- custom objects ---------------------------------------------------------------------------
CustomObjectScope = registry.CustomObjectScope
custom_object_scope = registry.custom_object_scope


def _all_custom(custom_objects=None) -> dict:
    """``get_custom_objects()`` overlaid with ``custom_objects`` (scopes are searched by the registry)."""
    table = dict(_GLOBAL_CUSTOM_OBJECTS)
    table.update(custom_objects or {})
    return table


def get_registered_name(obj) -> str:
    """The name ``obj`` is saved under: ``"package>name"`` when registered, else its ``__name__``."""
    return registry.get_registered_name(obj)


def get_registered_object(name, custom_objects=None, module_objects=None):
    """The object registered (or in scope / ``custom_objects`` / ``module_objects``) as ``name``, or None."""
    obj = registry.get_registered_object(name, _all_custom(custom_objects), module_objects)
    return obj


# -- serializing --------------------------------------------------------------------------------
def _builtin_module(obj_type) -> str | None:
    """Keras's module for a kxla built-in class, or None for user classes."""
    mod = getattr(obj_type, "__module__", "") or ""
    if not mod.startswith("kxla.") or registry.registered_name(obj_type):
        return None if mod in ("", "__main__", "builtins") else mod      # a user class: its module, as Keras
    for part, keras_mod in (("layers", "keras.layers"), ("models.input_layer", "keras.layers"),
                            ("initializers", "keras.initializers"), ("regularizers", "keras.regularizers"),
                            ("constraints", "keras.constraints"), ("losses", "keras.losses"),
                            ("metrics", "keras.metrics"), ("optimizers.schedules", "keras.optimizers.schedules"),
                            ("optimizers", "keras.optimizers"), ("distillation", "keras.distillation")):
        if mod.startswith(f"kxla.{part}"):
            return keras_mod
    return None


def _policy(name: str) -> dict:
    return {"module": "keras", "class_name": "DTypePolicy", "config": {"name": name}, "registered_name": None}


def _function(fn) -> dict | str:
    from .. import activations
    name = registry.registered_name(fn)
    if name is None:
        name = activations.serialize(fn)
    return {"module": "builtins", "class_name": "function", "config": name, "registered_name": "function"}


def _sub_object(key, value):
    """A kxla-style ``{"class_name", "config"}`` entry of a layer config, in Keras's format."""
    for suffix in ("initializer", "regularizer", "constraint"):
        if key.endswith(suffix):
            return {"module": f"keras.{suffix}s", "class_name": value["class_name"],
                    "config": _to_keras(value.get("config", {})), "registered_name": None}
    layers = builtin_layers()
    cls = registry.get_registered_object(value["class_name"], _all_custom(), layers)
    module = _builtin_module(cls) if isinstance(cls, type) else None
    return {"module": module, "class_name": value["class_name"], "config": _to_keras(value.get("config", {})),
            "registered_name": registry.registered_name(cls) if cls is not None else None}


def _bare_entry(v) -> bool:
    return isinstance(v, dict) and "class_name" in v and "config" in v and "module" not in v


def _to_keras(config):
    """Convert a kxla config tree (tuples, numpy scalars, bare class dicts) to Keras's JSON form."""
    if isinstance(config, dict):
        out = {}
        for k, v in config.items():
            if isinstance(v, dict) and "class_name" in v and "config" in v and "module" not in v:
                out[k] = _sub_object(k, v)
            elif isinstance(v, (list, tuple)) and v and all(_bare_entry(e) for e in v):
                out[k] = [_sub_object(k, e) for e in v]        # a list of layers (StackedRNNCells' cells)
            elif k == "dtype" and isinstance(v, str):
                out[k] = _policy(v)
            else:
                out[k] = _to_keras(v)
        return out
    if isinstance(config, (list, tuple)):
        return [_to_keras(v) for v in config]
    if isinstance(config, np.generic):
        return config.item()
    if isinstance(config, np.ndarray):
        return {"class_name": "__numpy__", "config": {"value": config.tolist(), "dtype": str(config.dtype)}}
    if callable(config) and not isinstance(config, type) and not hasattr(config, "get_config"):
        return _function(config)
    if hasattr(config, "get_config") and not isinstance(config, type):
        return serialize_keras_object(config)          # an object inside a config (a layer, a regularizer)
    return config


def keras_layer_config(layer) -> dict:
    """``layer.get_config()`` in Keras's form; custom registered activations become function entries."""
    from .. import activations
    config = layer.get_config()
    for key, value in list(config.items()):
        attr = getattr(layer, key, None) if isinstance(value, str) and key != "name" else None
        if attr is not None and callable(attr) and not isinstance(attr, type) \
                and (registry.registered_name(attr) or value not in activations._ACTIVATIONS):
            config[key] = _function(attr)
    return _to_keras(config)


def serialize_keras_object(obj):
    """``obj`` as plain JSON-able data in Keras 3's format (``deserialize_keras_object`` reverses it)."""
    if obj is None or isinstance(obj, (bool, int, float, str)):
        return obj
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, (list, tuple)):
        return [serialize_keras_object(v) for v in obj]
    if isinstance(obj, dict):
        return {k: serialize_keras_object(v) for k, v in obj.items()}
    if isinstance(obj, np.ndarray):
        return _to_keras(obj)
    if isinstance(obj, type):
        return {"module": _builtin_module(obj), "class_name": "__class__",
                "config": obj.__name__, "registered_name": registry.registered_name(obj)}
    if callable(obj) and not hasattr(obj, "get_config"):
        return _function(obj)
    layer_base = base("layer", load=False)
    if layer_base is not None and isinstance(obj, layer_base):
        from .keras_entries import serialize_layer_entry
        return serialize_layer_entry(obj)
    if not hasattr(obj, "get_config"):
        raise TypeError(f"Cannot serialize {obj!r}: it has no get_config()")
    return {"module": _builtin_module(type(obj)), "class_name": type(obj).__name__,
            "config": _to_keras(obj.get_config()), "registered_name": registry.registered_name(type(obj))}


# -- deserializing ----------------------------------------------------------------------------
_KERAS_MODULES = ("keras.layers", "keras.src.layers", "keras.initializers", "keras.regularizers",
                  "keras.constraints", "keras.losses", "keras.metrics", "keras.optimizers", "keras.models",
                  "keras.src.models", "keras.activations")


def _builtin_table(module: str | None) -> dict:
    from .. import constraints, initializers, losses, metrics, optimizers, regularizers
    from ..optimizers import schedules
    module = module or ""
    if "initializers" in module:
        return {c.__name__: c for c in set(initializers._ALL.values())}
    if "regularizers" in module:
        return {c.__name__: c for c in set(regularizers._ALL.values())}
    if "constraints" in module:
        return {c.__name__: c for c in set(constraints._ALL.values())}
    if "schedules" in module:
        return {n: c for n, c in vars(schedules).items() if isinstance(c, type)}
    if "optimizers" in module:
        return {**{c.__name__: c for c in optimizers.ALL_OPTIMIZERS.values()}, "OptimizerMap": optimizers.OptimizerMap}
    if "losses" in module:
        return {n: c for n, c in vars(losses).items() if isinstance(c, type) and issubclass(c, losses.Loss)}
    if "metrics" in module:
        return {n: c for n, c in vars(metrics).items() if isinstance(c, type) and issubclass(c, metrics.Metric)}
    return builtin_layers()


def fit_config(cls, config: dict, where: str) -> dict:
    """Drop Keras-only keys at neutral values; raise naming any key ``cls`` cannot take at another value."""
    roots = {root: (args, final) for root, args, final in bases()}
    accepted, varkw = set(), True
    for klass in cls.__mro__:
        if klass in roots:                  # Layer: LAYER_BASE_ARGS, and no further; Model: inputs, outputs, name
            args, final = roots[klass]
            accepted |= args
            if final:
                varkw = False
                break
            continue
        init = klass.__dict__.get("__init__")
        if init is None:
            continue
        params = inspect.signature(init).parameters.values()
        accepted |= {p.name for p in params if p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL)}
        if not any(p.kind == p.VAR_KEYWORD for p in params):
            varkw = False
            break
    if varkw:           # the chain ends in a **kwargs we cannot see through: pass everything on
        return dict(config)
    out = {}
    for k, v in config.items():
        if k in accepted:
            out[k] = v
        elif k in NEUTRAL_KEYS and (v == NEUTRAL_KEYS[k] or k in ("build_config", "shared_object_id")):
            continue
        else:
            raise ValueError(f"{where}: {cls.__name__} in kxla does not support {k}={v!r} (a Keras option "
                             "kxla does not implement)")
    return out


def _resolve_class(entry: dict, custom_objects, where: str):
    class_name = entry["class_name"]
    reg = entry.get("registered_name")
    custom = _all_custom(custom_objects)
    for name in (reg, class_name):
        if isinstance(name, str) and name not in ("function", class_name if reg else None):
            obj = registry.get_registered_object(name, custom, None)
            if obj is not None:
                return obj
    obj = registry.get_registered_object(class_name, custom, _builtin_table(entry.get("module")))
    if obj is None and entry.get("module") is None:
        obj = registry.get_registered_object(class_name, None, builtin_layers())
    if obj is None and isinstance(class_name, str):         # a built-in of a package not imported yet
        from .builtins import builtin_class
        obj = builtin_class(class_name)
    if obj is None:
        raise registry.UnknownObjectError(
            f"{where}: unknown object {reg or class_name!r} (module {entry.get('module')!r}): it is not built "
            "into kxla, not registered with @register_keras_serializable(), and not in custom_objects.")
    return obj


def _function_from(name, custom_objects, where: str):
    from .. import activations
    obj = registry.get_registered_object(name, _all_custom(custom_objects), None)
    if obj is not None:
        return obj
    if name in activations._ACTIVATIONS:
        return activations._ACTIVATIONS[name]
    from .. import losses                   # a loss function saved by name (Keras: keras.losses.<name>)
    fn = getattr(losses, name, None) if isinstance(name, str) and not name.startswith("_") else None
    if callable(fn) and not isinstance(fn, type):
        return fn
    raise registry.UnknownObjectError(f"{where}: unknown function {name!r}: register it with "
                                      "@register_keras_serializable() or pass it in custom_objects")


def _special(entry, custom_objects, safe_mode, where):
    cls_name, config = entry["class_name"], entry.get("config")
    if cls_name == "__numpy__" or cls_name == "__tensor__":
        return np.asarray(config["value"], dtype=config.get("dtype"))
    if cls_name == "__lambda__":
        raise ValueError(f"{where}: the config holds a Python lambda (marshalled bytecode). Loading it would run "
                         "code from the file; kxla never does. Define the function in your code, register it "
                         "with @register_keras_serializable and build the layer with it.")
    if cls_name == "__bytes__":
        return config["value"].encode("latin-1")
    if cls_name == "__ellipsis__":
        return Ellipsis
    if cls_name == "__slice__":
        return slice(config["start"], config["stop"], config["step"])
    if cls_name == "__typespec__" or cls_name == "__tuple__":
        return tuple(deserialize_keras_object(v, custom_objects, safe_mode) for v in config)
    if cls_name == "__class__":
        return _resolve_class({"class_name": config, "module": entry.get("module"),
                               "registered_name": entry.get("registered_name")}, custom_objects, where)
    if cls_name == "function":
        return _function_from(config, custom_objects, where)
    return None


def deserialize_keras_object(config, custom_objects=None, safe_mode=True, **kwargs):
    """Rebuild the object ``serialize_keras_object`` (kxla's or Keras's) described; plain data stays as is."""
    where = kwargs.pop("where", "config")
    if config is None or isinstance(config, (bool, int, float, str)):
        return config
    if isinstance(config, (list, tuple)):
        return [deserialize_keras_object(v, custom_objects, safe_mode, where=where) for v in config]
    if not isinstance(config, dict):
        raise TypeError(f"{where}: cannot deserialize a {type(config).__name__}")
    if "class_name" not in config:
        return {k: deserialize_keras_object(v, custom_objects, safe_mode, where=f"{where}.{k}")
                for k, v in config.items()}
    special = _special(config, custom_objects, safe_mode, where)
    if special is not None:
        return special
    if config["class_name"] in ("DTypePolicy", "FloatDTypePolicy") and config.get("module") in ("keras", None):
        return config["config"]["name"]
    if config.get("module") in ("keras.dtype_policies", "keras.quantizers"):      # quantized policies, configs
        from .. import dtype_policies, quantizers
        module = dtype_policies if config["module"] == "keras.dtype_policies" else quantizers
        return module.deserialize(config, custom_objects)
    with CustomObjectScope(custom_objects or {}):
        from .keras_entries import deserialize_entry
        return deserialize_entry(config, custom_objects, safe_mode, where)

