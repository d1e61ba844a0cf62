"""kxla.saving — the msgpack model format: save/load models and weights, names for custom objects, export.

    model.save("model.kxla")                        # architecture, weights, optimizer, compile config
    model = kxla.models.load_model("model.kxla")    # identical predictions; fit() continues exactly
    model.save_weights("w.weights.kxla"); model.load_weights("w.weights.kxla")
    model.save("model.keras"); model.save_weights("w.weights.h5")   # Keras 3's files (needs h5py)
    kxla.export(model, "model.stablehlo")           # serialized StableHLO, runs without kxla
                                                    # (kxla.saving.export is the module defining it)

Files are one msgpack map (``kxla.saving.format``), written atomically and
checked on load; loading never executes code: classes are found by name
(built-in layers, ``@register_serializable``, or ``custom_objects=``).

Names resolve lazily (PEP 562): importing ``kxla.saving.files`` or the
registry does not import the model readers and writers (which import models
and jax).
"""
import importlib as _importlib

# name -> module of this package that defines it.
_NAMES = {
    "FORMAT_VERSION": "format", "FormatError": "format",
    "CustomObjectScope": "registry", "UnknownObjectError": "registry", "custom_object_scope": "registry",
    "get_registered_name": "registry", "get_registered_object": "registry",  # from kxla.object_registration
    "NotARegularFileError": "files",
    "WeightsMismatchError": "weights_io", "load_weights": "weights_io", "save_weights": "weights_io",
    "load_model": "model_io", "read_model_file": "model_io", "save_model": "model_io",
    "deserialize_keras_object": "serialization_lib", "get_custom_objects": "serialization_lib",
    "register_keras_serializable": "serialization_lib", "serialize_keras_object": "serialization_lib",
    "register_serializable": "serialization_lib",
    "KerasFileEditor": "file_editor",
}

__all__ = ["FormatError", "FORMAT_VERSION", "UnknownObjectError", "WeightsMismatchError",
           "register_serializable", "get_registered_name", "get_registered_object", "save_model",
           "load_model", "read_model_file", "save_weights", "load_weights",
           "register_keras_serializable", "get_custom_objects", "custom_object_scope", "CustomObjectScope",
           "serialize_keras_object", "deserialize_keras_object", "NotARegularFileError", "KerasFileEditor"]


def __getattr__(name):
    if name not in _NAMES:
        import os
        if not name.startswith("_") and any(os.path.exists(os.path.join(d, name + ".py")) for d in __path__):
            return _importlib.import_module(f"{__name__}.{name}")          # a submodule: kxla.saving.registry
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    module = _importlib.import_module(f"{__name__}.{_NAMES[name]}")
    # register_serializable is kxla's older name for register_keras_serializable
    value = getattr(module, "register_keras_serializable" if name == "register_serializable" else name)
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(_NAMES))
