"""Hashing and HashedCrossing: Keras's documented outputs (Keras's own layers need TensorFlow, absent here),
TensorFlow's documented bucket examples, and the SipHash-2-4 reference vectors."""
import numpy as np
import pytest

import kxla
from kxla.ir import TensorType
from kxla.layers.preprocessing.hash_functions import fingerprint64, siphash

LETTERS = [["A"], ["B"], ["C"], ["D"], ["E"]]


def test_hash_functions_match_reference_values():
    key = (0x0706050403020100, 0x0f0e0d0c0b0a0908)               # SipHash paper's key 00..0f
    assert siphash(key, b"") == 0x726fdb47dd0e0e31
    assert siphash(key, bytes(range(15))) == 0xa129ca6149be45e5
    assert [fingerprint64(s) % 3 for s in (b"Hello", b"TensorFlow", b"2.x")] == [0, 2, 2]   # to_hash_bucket_fast
    assert [siphash((1, 2), s) % 3 for s in (b"Hello", b"TF")] == [2, 0]                    # to_hash_bucket_strong


@pytest.mark.parametrize("kwargs,inputs,expected", [
    ({"num_bins": 3}, LETTERS, [1, 0, 1, 1, 2]),
    ({"num_bins": 3, "mask_value": ""}, [["A"], ["B"], [""], ["C"], ["D"]], [1, 1, 0, 2, 2]),
    ({"num_bins": 3, "salt": [133, 137]}, LETTERS, [1, 2, 1, 0, 2]),
    ({"num_bins": 3, "salt": 133}, LETTERS, [0, 0, 2, 1, 0]),
])
def test_hashing_matches_keras_documented_outputs(kwargs, inputs, expected):
    out = np.asarray(kxla.layers.Hashing(**kwargs)(inputs))
    assert out.shape == (5, 1) and out.dtype == np.int32
    np.testing.assert_array_equal(out.ravel(), expected)


def test_hashing_integers_and_output_modes():
    ints = np.array([[1, 2], [3, 3]], "int32")
    bins = np.asarray(kxla.layers.Hashing(4)(ints))
    want = np.array([[fingerprint64(str(v).encode()) % 4 for v in row] for row in ints.tolist()])
    np.testing.assert_array_equal(bins, want)
    multi = np.asarray(kxla.layers.Hashing(4, output_mode="multi_hot")(ints))
    count = np.asarray(kxla.layers.Hashing(4, output_mode="count")(ints))
    for i, row in enumerate(want):
        np.testing.assert_array_equal(multi[i], np.isin(np.arange(4), row).astype("float32"))
        np.testing.assert_array_equal(count[i], np.bincount(row, minlength=4))
    layer = kxla.layers.Hashing(3, salt=7, mask_value=0, output_mode="one_hot")
    assert layer.compute_output_shape((None, 1)) == (None, 3)
    config = layer.get_config()
    assert config["salt"] == [7, 7] and kxla.layers.Hashing.from_config(config).get_config() == config
    with pytest.raises(ValueError, match="runs on the host"):
        layer(kxla.KerasTensor(TensorType((None, 1), "int32")))
    with pytest.raises(ValueError, match="num_bins"):
        kxla.layers.Hashing(0)


def test_hashed_crossing_matches_keras_documented_outputs():
    feat1, feat2 = np.array(["A", "B", "A", "B", "A"]), np.array([101, 101, 101, 102, 102])
    np.testing.assert_array_equal(kxla.layers.HashedCrossing(num_bins=5)((feat1, feat2)), [1, 4, 1, 1, 3])
    one_hot = np.asarray(kxla.layers.HashedCrossing(num_bins=5, output_mode="one_hot")((feat1, feat2)))
    np.testing.assert_array_equal(one_hot, np.eye(5, dtype="float32")[[1, 4, 1, 1, 3]])
    with pytest.raises(ValueError, match="at least two inputs"):
        kxla.layers.HashedCrossing(num_bins=5)((feat1,))
    assert kxla.layers.HashedCrossing(5).get_config()["num_bins"] == 5
