"""CIFAR-10 (Keras 3's ``keras.datasets.cifar10``), downloaded once and cached.

The archive comes from the Toronto site (:data:`URL`); when ``KXLA_DATASETS_BASE_URL`` or
``kxla.datasets._download.BASE_URL`` is set, it is fetched from there instead (a mirror).
"""
from __future__ import annotations

import os

import numpy as np

from . import _download

ARCHIVE = "cifar-10-python.tar.gz"
URL = "https://www.cs.toronto.edu/~kriz/" + ARCHIVE
#: sha256 of the official archive, as Keras lists it.
FILE_HASH = "6d958be074577803d12ecdefd02955f39262c83c16fe9348329d7fe0b5c001ce"
FOLDER = "cifar-10-batches-py"


def _origin(archive: str = ARCHIVE, url: str = URL) -> str:
    """``url`` (the Toronto site), or the mirror's copy of ``archive`` when a base URL is set."""
    if _download.BASE_URL or os.environ.get("KXLA_DATASETS_BASE_URL"):
        return _download.base_url() + archive
    return url


def load_batch(fpath: str, label_key: str = "labels"):
    """One CIFAR batch file -> ``(data (n, 3, 32, 32) uint8, labels list)``; only numpy may be unpickled."""
    d = {k.decode("utf8") if isinstance(k, bytes) else k: v for k, v in _download.load_pickle(fpath).items()}
    data = np.asarray(d["data"], dtype="uint8")
    return data.reshape(data.shape[0], 3, 32, 32), d[label_key]


def load_data(cache_dir=None):
    """Return ``(x_train, y_train), (x_test, y_test)`` as Keras does.

    ``x_*``: uint8 images ``(n, 32, 32, 3)`` (``(n, 3, 32, 32)`` when
    ``kxla.config.image_data_format() == "channels_first"``); ``y_*``: uint8 labels ``(n, 1)``.
    50,000 train and 10,000 test images.
    """
    from .. import config

    archive = _download.get_file(ARCHIVE, origin=_origin(), file_hash=FILE_HASH, cache_dir=cache_dir)
    folder = _download.extract_tar(archive, os.path.dirname(archive), FOLDER)
    xs, ys = [], []
    for i in range(1, 6):
        x, y = load_batch(os.path.join(folder, f"data_batch_{i}"))
        xs.append(x)
        ys.append(np.asarray(y, dtype="uint8"))
    x_train = np.concatenate(xs).astype("uint8")
    y_train = np.concatenate(ys).astype("uint8").reshape(-1, 1)
    x_test, y_test = load_batch(os.path.join(folder, "test_batch"))
    x_test = x_test.astype(x_train.dtype)
    y_test = np.asarray(y_test).astype(y_train.dtype).reshape(-1, 1)
    if config.image_data_format() == "channels_last":
        x_train = x_train.transpose(0, 2, 3, 1)
        x_test = x_test.transpose(0, 2, 3, 1)
    return (x_train, y_train), (x_test, y_test)
