"""IMDB movie-review sentiment (Keras 3's ``keras.datasets.imdb``), downloaded once and cached.

Reviews are lists of word indices (words ranked by frequency, 1 = most frequent, shifted by
``index_from``); labels are 0 (negative) / 1 (positive).
"""
from __future__ import annotations

import json

import numpy as np

from . import _download
from ._sequences import clip_vocabulary, mark, object_array

FILENAME = "imdb.npz"
#: sha256 of the official file, as Keras lists it.
FILE_HASH = "69664113be75683a8fe16e3ed0ab59fda8886cb3cd7ada244f7d9544e4676b9f"
WORD_INDEX_FILENAME = "imdb_word_index.json"
#: md5 of the official word index, as Keras lists it.
WORD_INDEX_HASH = "bfafd718b763782e994055a2d397834f"


def _remove_long(maxlen, seqs, labels):
    keep = [(s, l) for s, l in zip(seqs, labels) if len(s) < maxlen]
    return [s for s, _ in keep], [l for _, l in keep]


def load_data(path: str = FILENAME, num_words=None, skip_top=0, maxlen=None, seed=113,
              start_char=1, oov_char=2, index_from=3, cache_dir=None, **kwargs):
    """Return ``(x_train, y_train), (x_test, y_test)`` exactly as Keras 3 does.

    ``x_*`` are object arrays of Python int lists (25,000 each); ``y_*`` int labels.
    ``num_words`` keeps the most frequent words (others become ``oov_char``, or are dropped when
    it is None); ``skip_top`` marks the most frequent ones as out of vocabulary; ``maxlen`` drops
    longer sequences; each sequence starts with ``start_char``; word indices are offset by
    ``index_from``. Both splits are shuffled with ``np.random.RandomState(seed)``.
    """
    if kwargs:
        raise TypeError(f"Unrecognized keyword arguments: {sorted(kwargs)}")
    local = _download.get_file(path, origin=_download.base_url() + FILENAME, file_hash=FILE_HASH,
                               cache_dir=cache_dir)
    f = _download.load_npz(local)
    x_train, labels_train = f["x_train"], f["y_train"]
    x_test, labels_test = f["x_test"], f["y_test"]

    rng = np.random.RandomState(seed)
    idx = np.arange(len(x_train))
    rng.shuffle(idx)
    x_train, labels_train = x_train[idx], labels_train[idx]
    idx = np.arange(len(x_test))
    rng.shuffle(idx)
    x_test, labels_test = x_test[idx], labels_test[idx]

    x_train, x_test = mark(x_train, start_char, index_from), mark(x_test, start_char, index_from)
    if maxlen:
        x_train, labels_train = _remove_long(maxlen, x_train, labels_train)
        x_test, labels_test = _remove_long(maxlen, x_test, labels_test)
        if not x_train or not x_test:
            raise ValueError(f"After filtering for sequences shorter than maxlen={maxlen}, "
                             "no sequence was kept. Increase maxlen.")
    xs = clip_vocabulary(x_train + x_test, num_words, skip_top, oov_char)
    labels = np.concatenate([labels_train, labels_test])
    n = len(x_train)
    return (object_array(xs[:n]), labels[:n]), (object_array(xs[n:]), labels[n:])


def get_word_index(path: str = WORD_INDEX_FILENAME, cache_dir=None) -> dict:
    """The dict word -> rank (1 = most frequent); add ``index_from`` to match ``load_data``'s ids."""
    local = _download.get_file(path, origin=_download.base_url() + WORD_INDEX_FILENAME,
                               file_hash=WORD_INDEX_HASH, cache_dir=cache_dir)
    with open(local) as f:
        return json.load(f)
