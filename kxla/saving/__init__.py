"""kxla.saving — the msgpack model format: save/load models and weights, names for custom objects, export.

    model.save("model.kxla")                        # architecture, weights, optimizer, compile config
    model = kxla.models.load_model("model.kxla")    # identical predictions; fit() continues exactly
    model.save_weights("w.weights.kxla"); model.load_weights("w.weights.kxla")
    model.save("model.keras"); model.save_weights("w.weights.h5")   # Keras 3's files (needs h5py)
    kxla.export(model, "model.stablehlo")           # serialized StableHLO, runs without kxla

Files are one msgpack map (``kxla.saving.format``), written atomically and
checked on load; loading never executes code: classes are found by name
(built-in layers, ``@register_serializable``, or ``custom_objects=``).
"""
from .format import FORMAT_VERSION, FormatError
from .registry import (CustomObjectScope, UnknownObjectError, custom_object_scope, get_registered_name,
                       get_registered_object, register_serializable)
from .files import NotARegularFileError
from .weights_io import WeightsMismatchError, load_weights, save_weights
from .model_io import load_model, read_model_file, save_model
from .export import export
from .serialization_lib import (deserialize_keras_object, get_custom_objects, register_keras_serializable,
                                serialize_keras_object)

register_serializable = register_keras_serializable      # kxla's older name for the same decorator

__all__ = ["FormatError", "FORMAT_VERSION", "UnknownObjectError", "WeightsMismatchError",
           "register_serializable", "get_registered_name", "get_registered_object", "save_model",
           "load_model", "read_model_file", "save_weights", "load_weights", "export",
           "register_keras_serializable", "get_custom_objects", "custom_object_scope", "CustomObjectScope",
           "serialize_keras_object", "deserialize_keras_object", "NotARegularFileError"]
