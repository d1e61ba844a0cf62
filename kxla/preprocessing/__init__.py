"""kxla.preprocessing — Keras 3's ``keras.preprocessing``: the directory datasets, timeseries windows,
``image`` (file helpers, ``smart_resize``) and ``sequence`` (``pad_sequences``)."""
from . import image, sequence
from ..utils.image_dataset import image_dataset_from_directory
from ..utils.text_dataset import text_dataset_from_directory
from ..utils.timeseries import timeseries_dataset_from_array

__all__ = ["image", "sequence", "image_dataset_from_directory", "text_dataset_from_directory",
           "timeseries_dataset_from_array"]
