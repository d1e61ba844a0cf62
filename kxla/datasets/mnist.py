"""MNIST handwritten digits (Keras 3's ``keras.datasets.mnist``), downloaded once and cached."""
from __future__ import annotations

import numpy as np

from . import _download

FILENAME = "mnist.npz"
#: sha256 of the official file, as Keras lists it.
FILE_HASH = "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1"


def load_data(path: str = FILENAME, cache_dir=None):
    """Return ``(x_train, y_train), (x_test, y_test)`` as Keras does.

    ``x_*``: uint8 arrays of shape ``(n, 28, 28)`` (60,000 train, 10,000 test), pixel values
    0-255; ``y_*``: uint8 labels 0-9 of shape ``(n,)``. ``path`` is the file name inside the
    cache (``~/.kxla/datasets``, ``$KXLA_DATASETS_DIR`` or ``cache_dir``).
    """
    local = _download.get_file(path, origin=_download.base_url() + FILENAME, file_hash=FILE_HASH,
                               cache_dir=cache_dir)
    with np.load(local, allow_pickle=False) as f:
        return (f["x_train"], f["y_train"]), (f["x_test"], f["y_test"])
