"""kxla.utils — seeding and data helpers (Keras 3 names)."""
from .random import set_random_seed
from .data import to_categorical, pad_sequences
from .data import pack_x_y_sample_weight, unpack_x_y_sample_weight

__all__ = ["set_random_seed", "to_categorical", "pad_sequences", "pack_x_y_sample_weight",
           "unpack_x_y_sample_weight"]
from .model_tools import get_source_inputs, model_to_dot, normalize, plot_model
from .py_dataset import PyDataset, Sequence
from .timeseries import timeseries_dataset_from_array
from .file_utils import get_file
from .split import split_dataset
_LAZY = {"clear_session": "backend", "is_keras_tensor": "backend", "standardize_dtype": "backend",
         **{name: "saving" for name in ("CustomObjectScope", "custom_object_scope", "deserialize_keras_object",
                                        "get_custom_objects", "get_registered_name", "get_registered_object",
                                        "register_keras_serializable", "serialize_keras_object")}}


def __getattr__(name):
    """Keras's utils names that live in kxla.backend / kxla.saving, imported on first use (no import cycle)."""
    if name in _LAZY:
        import importlib
        return getattr(importlib.import_module(f"kxla.{_LAZY[name]}"), name)
    if name == "FeatureSpace":                   # a host preprocessing layer: imported on first use
        from ..layers.preprocessing.feature_space import FeatureSpace
        return FeatureSpace
    if name == "bounding_boxes":                 # uses kxla.ops: imported on first use
        import importlib
        return importlib.import_module("kxla.utils.bounding_boxes")
    raise AttributeError(f"module 'kxla.utils' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_LAZY) | {"bounding_boxes", "FeatureSpace"})


__all__ += ["split_dataset", "get_file", "timeseries_dataset_from_array", "get_source_inputs", "model_to_dot", "normalize", "plot_model", "PyDataset", "Sequence", "clear_session",
            "is_keras_tensor", "standardize_dtype", "CustomObjectScope", "custom_object_scope",
            "deserialize_keras_object", "get_custom_objects", "get_registered_name", "get_registered_object",
            "register_keras_serializable", "serialize_keras_object"]
from .config import Config
from .progbar import Progbar
from .io_utils import disable_interactive_logging, enable_interactive_logging, is_interactive_logging_enabled
__all__ += ["Config", "Progbar", "disable_interactive_logging", "enable_interactive_logging",
            "is_interactive_logging_enabled"]
from .image_utils import array_to_img, img_to_array, load_img, save_img
from .image_dataset import image_dataset_from_directory
from .text_dataset import text_dataset_from_directory
from .audio_dataset import audio_dataset_from_directory
__all__ += ["array_to_img", "img_to_array", "load_img", "save_img", "image_dataset_from_directory",
            "text_dataset_from_directory", "audio_dataset_from_directory"]
