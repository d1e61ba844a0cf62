"""Embedding against Keras 3: lookups, weights, masks, config, dtype handling and the IR it makes."""
import numpy as np
import pytest

import kxla
from kxla import layers as L
from layer_check import check_against_keras, run_traced


def _ids(*shape, high=10, seed=0):
    return np.random.default_rng(seed).integers(0, high, size=shape).astype("int32")


def test_forward_matches_keras(keras):
    ids = _ids(3, 7)
    layer = L.Embedding(10, 4)
    out, twin = check_against_keras(keras, layer, "Embedding", {"input_dim": 10, "output_dim": 4}, ids)
    assert out.shape == (3, 7, 4)
    np.testing.assert_array_equal(out, layer.get_weights()[0][ids])
    assert layer.compute_output_shape((None, 7)) == (None, 7, 4)


def test_weights_initializer_and_config(keras):
    layer = L.Embedding(50, 8, name="emb")
    layer.build()
    assert [(w.name, w.shape) for w in layer.weights] == [("embeddings", (50, 8))]
    table = layer.get_weights()[0]
    assert np.abs(table).max() <= 0.05 and table.std() > 0.01            # "uniform" = RandomUniform(-0.05, 0.05)
    config = layer.get_config()
    ref = keras.layers.Embedding(50, 8, name="emb").get_config()
    for key in ("input_dim", "output_dim", "mask_zero", "name", "trainable"):
        assert config[key] == ref[key], key
    clone = L.Embedding.from_config(config)
    assert clone.get_config() == config
    table = np.arange(12, dtype="float32").reshape(6, 2)
    given = L.Embedding(6, 2, weights=[table])
    np.testing.assert_array_equal(given.get_weights()[0], table)
    with pytest.raises(ValueError, match="input_dim must be a positive integer"):
        L.Embedding(0, 3)
    with pytest.warns(UserWarning, match="input_length"):
        L.Embedding(5, 3, input_length=7)


def test_float_ids_are_cast_and_ir_uses_take():
    layer = L.Embedding(10, 3)
    ids = _ids(2, 5).astype("float32")
    out, _, graph = run_traced(layer, ids)
    np.testing.assert_array_equal(out, layer.get_weights()[0][ids.astype(int)])
    assert [n.op for n in graph.nodes] == ["cast", "take"]


def test_mask_zero_makes_a_mask():
    layer = L.Embedding(10, 3, mask_zero=True)
    assert layer.supports_masking and not L.Embedding(10, 3).supports_masking
    ids = np.array([[0, 0, 3, 4], [1, 2, 0, 5]], "int32")
    np.testing.assert_array_equal(np.asarray(layer.compute_mask(ids)), ids != 0)
    inp = kxla.Input((4,), dtype="int32")
    out = layer(inp)
    assert out._keras_mask is not None and out._keras_mask.shape == (None, 4)
    assert out._keras_mask.dtype == "bool"
    assert L.Embedding(10, 3)(inp)._keras_mask is None
    model = kxla.Model(inp, out._keras_mask)                                  # the mask is a tensor like any
    np.testing.assert_array_equal(model.predict(ids, verbose=0), ids != 0)
