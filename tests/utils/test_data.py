"""kxla.utils.to_categorical and pad_sequences against Keras 3's semantics."""
import numpy as np
import pytest

from kxla.utils import pad_sequences, to_categorical


def test_to_categorical():
    out = to_categorical([0, 2, 1], 3)
    np.testing.assert_array_equal(out, np.eye(3, dtype="float32")[[0, 2, 1]])
    assert out.dtype == np.float32
    assert to_categorical(np.array([[1], [0]])).shape == (2, 2)          # a trailing 1 is squeezed
    assert to_categorical(np.zeros((2, 3), int), 4).shape == (2, 3, 4)
    with pytest.raises(ValueError, match="labels must lie in"):
        to_categorical([0, 5], 3)


def test_pad_sequences_modes():
    seqs = [[1, 2, 3], [4], [5, 6, 7, 8, 9]]
    np.testing.assert_array_equal(pad_sequences(seqs, maxlen=4),
                                  [[0, 1, 2, 3], [0, 0, 0, 4], [6, 7, 8, 9]])
    np.testing.assert_array_equal(pad_sequences(seqs, maxlen=4, padding="post", truncating="post"),
                                  [[1, 2, 3, 0], [4, 0, 0, 0], [5, 6, 7, 8]])
    assert pad_sequences(seqs).shape == (3, 5)
    assert pad_sequences(seqs, value=-1)[1, 0] == -1
    with pytest.raises(ValueError, match="'pre' or 'post'"):
        pad_sequences(seqs, padding="middle")


def test_pad_sequences_matches_keras(keras):
    rng = np.random.default_rng(0)
    seqs = [list(rng.integers(1, 9, size=n)) for n in (0, 2, 7, 4)]
    for kwargs in ({}, {"maxlen": 3}, {"maxlen": 5, "padding": "post"}, {"maxlen": 3, "truncating": "post"}):
        np.testing.assert_array_equal(pad_sequences(seqs, **kwargs), keras.utils.pad_sequences(seqs, **kwargs))
