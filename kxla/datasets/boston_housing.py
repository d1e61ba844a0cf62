"""Boston Housing prices (Keras 3's ``keras.datasets.boston_housing``), downloaded once and cached.

506 samples of 13 attributes; targets are median home values in k$. Keras's warning applies: the
data set has an ethical problem (its "B" variable), use it only to illustrate such issues.
"""
from __future__ import annotations

from . import _download, _split

FILENAME = "boston_housing.npz"
#: sha256 of the official file, as Keras lists it.
FILE_HASH = "f553886a1f8d56431e820c5b82552d9d95cfcb96d1e678153f8839538947dff5"


def load_data(path: str = FILENAME, test_split: float = 0.2, seed: int = 113, cache_dir=None):
    """Return ``(x_train, y_train), (x_test, y_test)`` as Keras does.

    ``x_*``: float arrays ``(n, 13)``; ``y_*``: float targets ``(n,)``. Samples are shuffled with
    ``np.random.RandomState(seed)`` before the last ``test_split`` of them is held out.
    """
    _split.check_test_split(test_split)
    local = _download.get_file(path, origin=_download.base_url() + FILENAME, file_hash=FILE_HASH,
                               cache_dir=cache_dir)
    f = _download.load_npz(local)
    x, y = _split.shuffle(seed, f["x"], f["y"])
    return _split.split(x, y, test_split)
