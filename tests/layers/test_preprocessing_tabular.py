"""CategoryEncoding and Discretization against Keras 3; StringLookup / IntegerLookup (host-side) against
the examples of Keras's documentation (Keras's own lookup layers need TensorFlow, absent here)."""
import numpy as np
import pytest

import kxla
from kxla import layers as L
from layer_check import check_layer, rand

IDS = np.array([[0, 3, 3], [2, 1, 0]], "int32")


@pytest.mark.parametrize("class_name,kwargs,x", [
    ("CategoryEncoding", {"num_tokens": 4}, IDS),
    ("CategoryEncoding", {"num_tokens": 5, "output_mode": "count"}, IDS),
    ("CategoryEncoding", {"num_tokens": 4, "output_mode": "one_hot"}, IDS[:, :1]),
    ("Discretization", {"bin_boundaries": [-0.5, 0.0, 1.0]}, rand(3, 4)),
    ("Discretization", {"bin_boundaries": [0.0, 1.0], "output_mode": "multi_hot"}, rand(3, 4)),
])
def test_matches_keras(keras, class_name, kwargs, x):
    check_layer(keras, class_name, kwargs, x)


def test_count_weights_and_adapt_match_keras(keras):
    w = rand(2, 3, seed=4)
    got = L.CategoryEncoding(4, output_mode="count")(IDS, count_weights=w)
    ref = keras.layers.CategoryEncoding(4, output_mode="count")(IDS, count_weights=w)
    np.testing.assert_allclose(np.asarray(got), np.asarray(ref), rtol=1e-6)
    from keras.src.layers.preprocessing import discretization as kd      # Keras's adapt() needs TensorFlow
    data = rand(500, seed=5)
    ours = L.Discretization(num_bins=4, epsilon=0.05)
    ours.adapt([data[:300], data[300:]])
    summary = kd.merge_summaries(kd.summarize(data[:300], 0.05), np.array([[], []], "float32"), 0.05)
    summary = kd.merge_summaries(kd.summarize(data[300:], 0.05), summary, 0.05)
    expected = kd.get_bin_boundaries(summary, 4).tolist()
    np.testing.assert_allclose(ours.bin_boundaries, expected, rtol=1e-6)
    twin = keras.layers.Discretization(bin_boundaries=expected)
    np.testing.assert_array_equal(np.asarray(ours(data[:20])), np.asarray(twin(data[:20])))
    assert L.Discretization.from_config(ours.get_config()).bin_boundaries == ours.bin_boundaries


def test_string_lookup_as_keras_documents():
    vocab = ["a", "b", "c", "d"]
    data = np.array([["a", "c", "d"], ["d", "z", "b"]])
    layer = L.StringLookup(vocabulary=vocab)
    np.testing.assert_array_equal(layer(data), [[1, 3, 4], [4, 0, 2]])
    adapted = L.StringLookup()
    adapted.adapt(data)
    assert adapted.get_vocabulary() == ["[UNK]", "d", "z", "c", "b", "a"]
    np.testing.assert_array_equal(adapted(data), [[5, 3, 1], [1, 2, 4]])
    masked = L.StringLookup(vocabulary=vocab, mask_token="")
    np.testing.assert_array_equal(masked(np.array([["a", "c", "d"], ["d", "", "b"]])), [[2, 4, 5], [5, 0, 3]])
    multi = L.StringLookup(vocabulary=vocab, output_mode="multi_hot")
    np.testing.assert_array_equal(multi(data), [[0, 1, 0, 1, 1], [1, 0, 1, 0, 1]])
    one = L.StringLookup(vocabulary=vocab, output_mode="one_hot")
    np.testing.assert_array_equal(one(np.array(["a", "b", "c", "d", "z"])), np.eye(5)[[1, 2, 3, 4, 0]])
    tfidf = L.StringLookup(output_mode="tf_idf", vocabulary=vocab, idf_weights=[0.25, 0.75, 0.6, 0.4])
    np.testing.assert_allclose(tfidf(np.array([["a", "c", "d", "d"], ["d", "z", "b", "z"]])),
                               [[0, 0.25, 0, 0.6, 0.8], [1.0, 0, 0.75, 0, 0.4]], rtol=1e-6)
    inverse = L.StringLookup(vocabulary=vocab, invert=True)
    np.testing.assert_array_equal(inverse(np.array([[1, 3, 4], [4, 0, 2]])), [["a", "c", "d"], ["d", "[UNK]", "b"]])
    config = layer.get_config()
    assert L.StringLookup.from_config(config).get_config() == config


def test_integer_lookup_as_keras_documents():
    vocab = [12, 36, 1138, 42]
    data = np.array([[12, 1138, 42], [42, 1000, 36]])
    np.testing.assert_array_equal(L.IntegerLookup(vocabulary=vocab)(data), [[1, 3, 4], [4, 0, 2]])
    adapted = L.IntegerLookup()
    adapted.adapt(data)
    assert adapted.get_vocabulary() == [-1, 42, 1138, 1000, 36, 12]
    np.testing.assert_array_equal(adapted(data), [[5, 2, 1], [1, 3, 4]])
    two_oov = L.IntegerLookup(vocabulary=vocab, num_oov_indices=2)        # OOV slot: value % 2 (floormod)
    np.testing.assert_array_equal(two_oov(np.array([[12, 1001], [1000, 36]])), [[2, 1], [0, 3]])
    masked = L.IntegerLookup(vocabulary=vocab, mask_token=0)
    np.testing.assert_array_equal(masked(np.array([[12, 1138, 42], [42, 0, 36]])), [[2, 4, 5], [5, 0, 3]])
    inverse = L.IntegerLookup(vocabulary=vocab, invert=True)
    np.testing.assert_array_equal(inverse(np.array([[1, 3, 4], [4, 0, 2]])), [[12, 1138, 42], [42, -1, 36]])


def test_host_layers_refuse_symbolic_inputs():
    with pytest.raises(ValueError, match="runs on the host"):
        kxla.Sequential([kxla.Input((3,), dtype="int32"), L.IntegerLookup(vocabulary=[1, 2])])
    with pytest.raises(ValueError, match="repeated term"):
        L.StringLookup(vocabulary=["a", "a"])


def test_text_vectorization_as_keras_documents():
    layer = L.TextVectorization(max_tokens=5000, output_mode="int", output_sequence_length=4)
    layer.adapt(["foo bar", "bar baz", "baz bada boom"])
    np.testing.assert_array_equal(layer([["foo qux bar"], ["qux baz"]]), [[4, 1, 3, 0], [1, 2, 0, 0]])
    fixed = L.TextVectorization(max_tokens=5000, output_sequence_length=4, vocabulary=["earth", "wind", "and", "fire"])
    assert fixed.get_vocabulary() == ["", "[UNK]", "earth", "wind", "and", "fire"]
    np.testing.assert_array_equal(fixed(["Earth, wind and FIRE!", "fire and earth michigan"]),
                                  [[2, 3, 4, 5], [5, 4, 2, 1]])
    assert L.TextVectorization.from_config(fixed.get_config()).get_vocabulary() == fixed.get_vocabulary()
    bag = L.TextVectorization(output_mode="count", ngrams=2, standardize="lower")
    bag.adapt(["a b a", "b c"])
    vocab = bag.get_vocabulary()
    counts = bag(["a b a x"])[0]
    assert counts[vocab.index("a")] == 2 and counts[vocab.index("a b")] == 1 and counts[0] == 2     # x, a x
    ragged = L.TextVectorization(vocabulary=["a", "b"])
    np.testing.assert_array_equal(ragged(["a b b", "b"]), [[2, 3, 3], [3, 0, 0]])
