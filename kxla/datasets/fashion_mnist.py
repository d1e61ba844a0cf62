"""Fashion-MNIST (Keras 3's ``keras.datasets.fashion_mnist``), downloaded once and cached.

Labels: 0 T-shirt/top, 1 Trouser, 2 Pullover, 3 Dress, 4 Coat, 5 Sandal, 6 Shirt, 7 Sneaker,
8 Bag, 9 Ankle boot.
"""
from __future__ import annotations

import gzip

import numpy as np

from . import _download

CACHE_SUBDIR = "fashion-mnist"
FILES = ["train-labels-idx1-ubyte.gz", "train-images-idx3-ubyte.gz",
         "t10k-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz"]
#: Keras lists no hashes for these four files; set entries (sha256 or md5) to have them checked.
FILE_HASHES: dict = {name: None for name in FILES}


def _read(path: str, offset: int) -> np.ndarray:
    with gzip.open(path, "rb") as f:
        return np.frombuffer(f.read(), np.uint8, offset=offset)


def load_data(cache_dir=None):
    """Return ``(x_train, y_train), (x_test, y_test)``: uint8 ``(n, 28, 28)`` images, uint8 ``(n,)`` labels."""
    paths = [_download.get_file(name, origin=_download.base_url() + name, file_hash=FILE_HASHES.get(name),
                                cache_subdir=CACHE_SUBDIR, cache_dir=cache_dir) for name in FILES]
    y_train = _read(paths[0], 8)
    x_train = _read(paths[1], 16).reshape(len(y_train), 28, 28)
    y_test = _read(paths[2], 8)
    x_test = _read(paths[3], 16).reshape(len(y_test), 28, 28)
    return (x_train, y_train), (x_test, y_test)
