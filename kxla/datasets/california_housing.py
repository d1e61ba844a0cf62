"""California Housing prices (Keras 3's ``keras.datasets.california_housing``), downloaded once and cached.

20,640 samples of 8 attributes (``version="small"``: the first 600); targets are median house
values in dollars.
"""
from __future__ import annotations

from . import _download, _split

FILENAME = "california_housing.npz"
#: sha256 of the official file, as Keras lists it.
FILE_HASH = "1a2e3a52e0398de6463aebe6f4a8da34fb21fbb6b934cf88c3425e766f2a1a6f"


def load_data(version: str = "large", path: str = FILENAME, test_split: float = 0.2, seed: int = 113,
              cache_dir=None):
    """Return ``(x_train, y_train), (x_test, y_test)`` as Keras does.

    ``version``: ``"large"`` (all samples) or ``"small"`` (the first 600). Samples are shuffled
    with ``np.random.RandomState(seed)`` before the last ``test_split`` of them is held out.
    """
    _split.check_test_split(test_split)
    if version not in ("small", "large"):
        raise ValueError(f"Argument `version` must be one of 'small', 'large'. Received: version={version}")
    local = _download.get_file(path, origin=_download.base_url() + FILENAME, file_hash=FILE_HASH,
                               cache_dir=cache_dir)
    f = _download.load_npz(local)
    x, y = f["x"], f["y"]
    if version == "small":
        x, y = x[:600], y[:600]
    x, y = _split.shuffle(seed, x, y)
    return _split.split(x, y, test_split)
