"""The Keras guide "Understanding masking & padding", section by section.

Our own code following the guide's steps with the same API calls (Keras 3 idioms), asserting the
masks the guide prints and that masked steps really are ignored.
"""
import numpy as np
import pytest

import kxla as keras
from kxla import layers, ops

RAW = [[711, 632, 71], [73, 8, 3215, 55, 927], [83, 91, 1, 645, 1253, 927]]
WANT_MASK = np.array([[1, 1, 1, 0, 0, 0], [1, 1, 1, 1, 1, 0], [1, 1, 1, 1, 1, 1]], bool)


def _padded():
    return keras.utils.pad_sequences(RAW, padding="post")


def test_padding():
    padded = _padded()
    assert padded.shape == (3, 6) and padded.dtype == np.int32
    np.testing.assert_array_equal(padded[0], [711, 632, 71, 0, 0, 0])
    pre = keras.utils.pad_sequences(RAW)
    np.testing.assert_array_equal(pre[0], [0, 0, 0, 711, 632, 71])


def test_mask_generating_layers():
    padded = _padded()
    masked_output = layers.Embedding(input_dim=5000, output_dim=16, mask_zero=True)(padded)
    np.testing.assert_array_equal(np.asarray(masked_output._keras_mask), WANT_MASK)
    unmasked_embedding = ops.cast(ops.tile(ops.expand_dims(padded, axis=-1), [1, 1, 10]), "float32")
    masked_embedding = layers.Masking()(unmasked_embedding)
    np.testing.assert_array_equal(np.asarray(masked_embedding._keras_mask), WANT_MASK)


def _ignores_padding(model):
    """Padding steps change nothing: the same sequences with more trailing zeros give the same output."""
    short = keras.utils.pad_sequences(RAW, padding="post")
    long = keras.utils.pad_sequences(RAW, padding="post", maxlen=9)
    np.testing.assert_allclose(np.asarray(model(short)), np.asarray(model(long)), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("kind", ["sequential", "functional"])
def test_mask_propagation(kind):
    if kind == "sequential":
        # no Input: built by the first call; another sequence length runs layer by layer, as in Keras
        model = keras.Sequential([layers.Embedding(input_dim=5000, output_dim=16, mask_zero=True), layers.LSTM(8)])
    else:
        inputs = keras.Input(shape=(None,), dtype="int32")
        x = layers.Embedding(input_dim=5000, output_dim=16, mask_zero=True)(inputs)
        model = keras.Model(inputs, layers.LSTM(8)(x))
    _ignores_padding(model)


def test_passing_mask_tensors_directly():
    class MyLayer(layers.Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.embedding = layers.Embedding(input_dim=5000, output_dim=16, mask_zero=True)
            self.lstm = layers.LSTM(8)

        def call(self, inputs):
            x = self.embedding(inputs)
            mask = self.embedding.compute_mask(inputs)
            return self.lstm(x, mask=mask)

    layer = MyLayer()
    assert tuple(layer((np.random.default_rng(0).random((32, 10)) * 100).astype("int32")).shape) == (32, 8)
    _ignores_padding(layer)


class TemporalSplit(keras.layers.Layer):
    """Split the input into 2 tensors along the time axis, and the mask with it."""

    def call(self, inputs):
        return ops.split(inputs, 2, axis=1)

    def compute_mask(self, inputs, mask=None):
        if mask is None:
            return None
        return ops.split(mask, 2, axis=1)


def test_layers_that_modify_the_mask():
    padded = _padded()
    masked = layers.Masking()(ops.cast(ops.tile(ops.expand_dims(padded, axis=-1), [1, 1, 10]), "float32"))
    first_half, second_half = TemporalSplit()(masked)
    np.testing.assert_array_equal(np.asarray(first_half._keras_mask), WANT_MASK[:, :3])
    np.testing.assert_array_equal(np.asarray(second_half._keras_mask), WANT_MASK[:, 3:])


class CustomEmbedding(keras.layers.Layer):
    def __init__(self, input_dim, output_dim, mask_zero=False, **kwargs):
        super().__init__(**kwargs)
        self.input_dim, self.output_dim, self.mask_zero = input_dim, output_dim, mask_zero

    def build(self, input_shape):
        self.embeddings = self.add_weight(shape=(self.input_dim, self.output_dim), initializer="random_normal",
                                          dtype="float32")

    def call(self, inputs):
        return ops.take(self.embeddings, inputs, axis=0)

    def compute_mask(self, inputs, mask=None):
        if not self.mask_zero:
            return None
        return ops.not_equal(inputs, 0)


def test_custom_mask_generating_layer():
    layer = CustomEmbedding(10, 4, mask_zero=True)
    x = np.array([[0, 3, 0], [5, 0, 9]], "int32")
    y = layer(x)
    np.testing.assert_array_equal(np.asarray(layer.compute_mask(x)), x != 0)
    np.testing.assert_array_equal(np.asarray(y._keras_mask), x != 0)
    np.testing.assert_allclose(np.asarray(y), np.asarray(layer.embeddings)[x])


class MyActivation(keras.layers.Layer):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True           # safe to pass the mask along

    def call(self, inputs):
        return ops.relu(inputs)


def test_opting_in_to_mask_propagation():
    inputs = keras.Input(shape=(None,), dtype="int32")
    x = layers.Embedding(input_dim=5000, output_dim=16, mask_zero=True)(inputs)
    x = MyActivation()(x)
    assert x._keras_mask is not None
    model = keras.Model(inputs, layers.LSTM(8)(x))
    _ignores_padding(model)


class TemporalSoftmax(keras.layers.Layer):
    def call(self, inputs, mask=None):
        broadcast_float_mask = ops.expand_dims(ops.cast(mask, "float32"), -1)
        inputs_exp = ops.exp(inputs) * broadcast_float_mask
        inputs_sum = ops.sum(inputs_exp * broadcast_float_mask, axis=1, keepdims=True)
        return inputs_exp / inputs_sum


def test_layers_that_need_mask_information():
    inputs = keras.Input(shape=(None,), dtype="int32")
    x = layers.Embedding(input_dim=10, output_dim=4, mask_zero=True)(inputs)
    model = keras.Model(inputs, TemporalSoftmax()(layers.Dense(1)(x)))
    ids = np.random.default_rng(0).integers(0, 10, size=(8, 20))
    y = np.asarray(model(ids))[..., 0]
    np.testing.assert_allclose(y.sum(axis=1), 1.0, rtol=1e-5)
    assert np.all(y[ids == 0] == 0)

