"""Word-index sequence encoding that the imdb and reuters loaders share (as Keras's loaders encode)."""
from __future__ import annotations

import numpy as np


def mark(xs, start_char, index_from) -> list:
    """Each sequence's ids shifted by ``index_from``, prefixed by ``start_char`` unless it is None."""
    head = [] if start_char is None else [start_char]
    return [head + [w + index_from for w in x] for x in xs]


def clip_vocabulary(xs, num_words, skip_top, oov_char) -> list:
    """Ids outside ``[skip_top, num_words)`` become ``oov_char`` (dropped when it is None)."""
    if not num_words:
        num_words = max(max(x) for x in xs)
    if oov_char is not None:
        return [[w if skip_top <= w < num_words else oov_char for w in x] for x in xs]
    return [[w for w in x if skip_top <= w < num_words] for x in xs]


def object_array(seqs) -> np.ndarray:
    """A 1-D object array holding the lists (numpy would make a 2-D array of equal-length lists)."""
    out = np.empty(len(seqs), dtype="object")
    out[:] = seqs
    return out
