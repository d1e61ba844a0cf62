"""``image_dataset_from_directory``: Keras's arguments, files, labels and pixels; batches as numpy arrays.

Images are decoded with Pillow and resized as ``kxla.ops.image.resize`` does
(Keras's own loader on its non-TensorFlow path uses Keras's resize op), computed
on the host by ``host_resize`` so that images of many sizes compile nothing.
See ``directory_dataset`` for what differs from Keras's ``tf.data`` result.
"""
from __future__ import annotations

import numpy as np

from .. import config
from . import directory_dataset as dd
from .host_resize import resize_image
from .image_utils import convert_mode, pil_image

ALLOWLIST_FORMATS = (".bmp", ".gif", ".jpeg", ".jpg", ".png")
_INTERPOLATIONS = ("bilinear", "nearest", "bicubic", "area", "lanczos3", "lanczos5", "gaussian", "mitchellcubic")


def _check(color_mode, image_size, interpolation, format):
    channels = {"rgb": 3, "rgba": 4, "grayscale": 1}.get(color_mode)
    if channels is None:
        raise ValueError(f'`color_mode` must be one of {{"rgb", "rgba", "grayscale"}}. Received: color_mode={color_mode}')
    if isinstance(image_size, int):
        image_size = (image_size, image_size)
    elif not isinstance(image_size, (list, tuple)) or not len(image_size) == 2:
        raise ValueError(f"Invalid `image_size` value. Expected a tuple of 2 integers. Received: image_size={image_size}")
    interpolation = interpolation.lower()
    if interpolation not in _INTERPOLATIONS:
        raise ValueError(f"Argument `interpolation` should be one of {_INTERPOLATIONS}. "
                         f"Received: interpolation={interpolation}")
    if format not in ("tf", "grain"):
        raise ValueError(f'`format` should be either "tf" or "grain". Received: format={format}')
    return channels, tuple(image_size), interpolation


def load_image(path, image_size, channels, interpolation, data_format, crop_to_aspect_ratio=False,
               pad_to_aspect_ratio=False):
    """One image file as a float32 array of ``image_size`` in ``data_format`` (Keras's loader)."""
    if pad_to_aspect_ratio and crop_to_aspect_ratio:
        raise ValueError("Only one of `pad_to_aspect_ratio`, `crop_to_aspect_ratio` can be set to `True`.")
    img = pil_image("image_dataset_from_directory").open(path)
    img = np.array(convert_mode(img, {1: "grayscale", 3: "rgb", 4: "rgba"}[channels]), dtype="float32")
    if img.ndim == 2:
        img = img[..., None]
    out = resize_image(img, image_size, interpolation, crop_to_aspect_ratio, pad_to_aspect_ratio)
    return out.transpose(2, 0, 1) if data_format == "channels_first" else out


def image_dataset_from_directory(directory, labels="inferred", label_mode="int", class_names=None, color_mode="rgb",
                                 batch_size=32, image_size=(256, 256), shuffle=True, seed=None,
                                 validation_split=None, subset=None, interpolation="bilinear", follow_links=False,
                                 crop_to_aspect_ratio=False, pad_to_aspect_ratio=False, data_format=None,
                                 format="tf", verbose=True):
    """Batches ``(images, labels)`` from class subfolders of ``directory`` (Keras 3's arguments).

    Returns a ``DirectoryDataset`` (``[train, validation]`` for ``subset="both"``)
    with ``class_names`` and ``file_paths``; ``format`` is accepted for
    compatibility (both values give numpy batches).
    """
    dd.check_labels_arg(labels, class_names, "image")
    dd.check_label_mode(label_mode)
    channels, image_size, interpolation = _check(color_mode, image_size, interpolation, format)
    paths, labels, label_mode, class_names, seed = dd.index_for_dataset(
        directory, labels, label_mode, ALLOWLIST_FORMATS, class_names, shuffle, seed, validation_split, subset,
        follow_links, verbose)
    data_format = config.standardize_data_format(data_format)

    def load(path):
        return load_image(path, image_size, channels, interpolation, data_format, crop_to_aspect_ratio,
                          pad_to_aspect_ratio)

    def make(part_paths, part_labels, may_shuffle):
        return dd.DirectoryDataset(part_paths, part_labels, load, np.stack, batch_size, shuffle and may_shuffle,
                                   seed, class_names)

    missing = "No {kind}images found in directory " + f"{directory}. Allowed formats: {ALLOWLIST_FORMATS}"
    return dd.build(paths, labels, label_mode, class_names, validation_split, subset, missing, make)
