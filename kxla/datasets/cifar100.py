"""CIFAR-100 (Keras 3's ``keras.datasets.cifar100``), downloaded once and cached.

The archive comes from the Toronto site (:data:`URL`), or a mirror as for ``cifar10``.
"""
from __future__ import annotations

import os

import numpy as np

from . import _download
from .cifar10 import _origin, load_batch

ARCHIVE = "cifar-100-python.tar.gz"
URL = "https://www.cs.toronto.edu/~kriz/" + ARCHIVE
#: sha256 of the official archive, as Keras lists it.
FILE_HASH = "85cd44d02ba6437773c5bbd22e183051d648de2e7d6b014e1ef29b855ba677a7"
FOLDER = "cifar-100-python"


def load_data(label_mode: str = "fine", cache_dir=None):
    """Return ``(x_train, y_train), (x_test, y_test)`` as Keras does.

    ``label_mode``: ``"fine"`` (100 classes) or ``"coarse"`` (20 superclasses). ``x_*``: uint8
    images ``(n, 32, 32, 3)`` (``(n, 3, 32, 32)`` under ``channels_first``); ``y_*``: int labels
    ``(n, 1)``. 50,000 train and 10,000 test images.
    """
    from .. import config

    if label_mode not in ("fine", "coarse"):
        raise ValueError(f'`label_mode` must be one of `"fine"`, `"coarse"`. Received: label_mode={label_mode}.')
    archive = _download.get_file(ARCHIVE, origin=_origin(ARCHIVE, URL), file_hash=FILE_HASH, cache_dir=cache_dir)
    folder = _download.extract_tar(archive, os.path.dirname(archive), FOLDER)
    splits = []
    for name in ("train", "test"):
        x, y = load_batch(os.path.join(folder, name), label_key=f"{label_mode}_labels")
        y = np.reshape(np.asarray(y), (len(y), 1))
        if config.image_data_format() == "channels_last":
            x = x.transpose(0, 2, 3, 1)
        splits.append((x, y))
    return tuple(splits)
