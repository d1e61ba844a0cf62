"""Reuters newswire topics (Keras 3's ``keras.datasets.reuters``), downloaded once and cached.

11,228 newswires as lists of word indices (ranked by frequency, shifted by ``index_from``),
labelled with one of 46 topics.
"""
from __future__ import annotations

import json

import numpy as np

from . import _download, _split
from ._sequences import clip_vocabulary, mark, object_array

FILENAME = "reuters.npz"
#: sha256 of the official file, as Keras lists it.
FILE_HASH = "d6586e694ee56d7a4e65172e12b3e987c03096cb01eab99753921ef915959916"
WORD_INDEX_FILENAME = "reuters_word_index.json"
#: md5 of the official word index, as Keras lists it.
WORD_INDEX_HASH = "4d44cc38712099c9e383dc6e5f11a921"
LABEL_NAMES = (
    "cocoa", "grain", "veg-oil", "earn", "acq", "wheat", "copper", "housing", "money-supply", "coffee",
    "sugar", "trade", "reserves", "ship", "cotton", "carcass", "crude", "nat-gas", "cpi", "money-fx",
    "interest", "gnp", "meal-feed", "alum", "oilseed", "gold", "tin", "strategic-metal", "livestock",
    "retail", "ipi", "iron-steel", "rubber", "heat", "jobs", "lei", "bop", "zinc", "orange", "pet-chem",
    "dlr", "gas", "silver", "wpi", "hog", "lead")


def _encode(xs, labels, num_words, skip_top, maxlen, start_char, oov_char, index_from):
    xs = mark(xs, start_char, index_from)
    if maxlen:
        keep = [i for i, x in enumerate(xs) if len(x) < maxlen]
        xs, labels = [xs[i] for i in keep], labels[keep]
    return clip_vocabulary(xs, num_words, skip_top, oov_char), labels


def load_data(path: str = FILENAME, num_words=None, skip_top=0, maxlen=None, test_split=0.2, seed=113,
              start_char=1, oov_char=2, index_from=3, cache_dir=None):
    """Return ``(x_train, y_train), (x_test, y_test)`` exactly as Keras 3 does.

    ``x_*`` are object arrays of Python int lists, ``y_*`` int topic labels. The arguments mean what
    they mean for :func:`kxla.datasets.imdb.load_data`; ``test_split`` is the held-out fraction
    after a ``RandomState(seed)`` shuffle.
    """
    local = _download.get_file(path, origin=_download.base_url() + FILENAME, file_hash=FILE_HASH,
                               cache_dir=cache_dir)
    f = _download.load_npz(local)
    xs, labels = _split.shuffle(seed, f["x"], f["y"])
    xs, labels = _encode(xs, labels, num_words, skip_top, maxlen, start_char, oov_char, index_from)
    idx = int(len(xs) * (1 - test_split))
    return (object_array(xs[:idx]), np.array(labels[:idx])), (object_array(xs[idx:]), np.array(labels[idx:]))


def get_word_index(path: str = WORD_INDEX_FILENAME, cache_dir=None) -> dict:
    """The word -> index dictionary (indices before the ``index_from`` shift)."""
    local = _download.get_file(path, origin=_download.base_url() + WORD_INDEX_FILENAME,
                               file_hash=WORD_INDEX_HASH, cache_dir=cache_dir)
    with open(local) as f:
        return json.load(f)


def get_label_names() -> tuple:
    """The 46 topic names, in label order."""
    return LABEL_NAMES
