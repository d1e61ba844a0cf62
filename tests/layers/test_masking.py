"""Keras 3 masks: Embedding(mask_zero) -> mask-supporting layers -> RNNs and global pooling, in every mode."""
import numpy as np

import kxla
from kxla import layers as L
from layer_check import rand, run_traced

SEQS = [[5, 3, 8], [1, 2, 3, 4, 5, 6, 7], [9, 4, 4, 2, 7], [6]]


def _keras_twin(keras, model, build_keras, x):
    twin = build_keras(keras)
    twin(x)
    twin.set_weights(model.get_weights())
    return twin


def test_embedding_mask_into_lstm_matches_keras_and_ignores_padding(keras):
    pre = kxla.utils.pad_sequences(SEQS, maxlen=8)
    post = kxla.utils.pad_sequences(SEQS, maxlen=8, padding="post")
    longer = kxla.utils.pad_sequences(SEQS, maxlen=12)
    model = kxla.Sequential([L.Embedding(10, 4, mask_zero=True), L.LSTM(6, bias_initializer="random_normal")])
    got = model.predict(pre, verbose=0)
    twin = _keras_twin(keras, model, lambda k: k.Sequential([k.layers.Embedding(10, 4, mask_zero=True),
                                                             k.layers.LSTM(6)]), pre)
    np.testing.assert_allclose(got, np.asarray(twin(pre)), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(model.predict(post, verbose=0), got, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(np.asarray(model(longer)), got, rtol=1e-5, atol=1e-6)      # eager call
    # each sequence alone, unpadded, gives the same output: padded steps change nothing
    for i in (1, 3):                                          # the longest and the shortest
        seq = SEQS[i]
        alone = np.asarray(model(np.asarray([seq], "int32")))
        np.testing.assert_allclose(alone[0], got[i], rtol=1e-5, atol=1e-6)
    unmasked = kxla.Sequential([L.Embedding(10, 4), L.LSTM(6)])
    unmasked(pre)
    unmasked.set_weights(model.get_weights())
    assert not np.allclose(np.asarray(unmasked(pre)), got, atol=1e-4)                    # the mask matters


def _stack(k):
    return [k.layers.Embedding(12, 5, mask_zero=True), k.layers.Dropout(0.3),
            k.layers.TimeDistributed(k.layers.Dense(6)), k.layers.GRU(4, return_sequences=True),
            k.layers.GlobalAveragePooling1D()]


def test_mask_flows_through_supporting_layers_functional(keras):
    x = kxla.utils.pad_sequences([[3, 4], [1, 2, 5, 7, 11], [2]], maxlen=6, padding="post")
    inp = kxla.Input((6,), dtype="int32")
    h, masks = inp, []
    for layer in _stack(kxla):
        h = layer(h)
        masks.append(h._keras_mask)
    assert [m is not None for m in masks] == [True, True, True, True, False]
    model = kxla.Model(inp, h)
    kin = keras.Input((6,), dtype="int32")
    kh = kin
    for layer in _stack(keras):
        kh = layer(kh)
    twin = keras.Model(kin, kh)
    twin.set_weights(model.get_weights())
    np.testing.assert_allclose(model.predict(x, verbose=0), np.asarray(twin(x)), rtol=1e-5, atol=1e-5)
    for training in (False, True):                      # replay in a builder recomputes the mask in both graphs
        graph = model.to_ir(training=training)
        gru = next(n for n in graph.nodes if n.op == "gru")
        assert gru.attrs["masked"]
        producer = {id(r): n for n in graph.nodes for r in n.results}[id(gru.inputs[-1])]
        assert producer.op == "not_equal" and producer.layer == model.layers[1].name


def test_global_pooling_1d_with_masks(keras):
    x = rand(3, 5, 4, seed=1)
    mask = np.array([[1, 1, 0, 0, 0], [1, 1, 1, 1, 1], [0, 1, 0, 1, 0]], bool)
    avg = L.GlobalAveragePooling1D()
    expected = (x * mask[..., None]).sum(1) / mask.sum(1, keepdims=True)
    np.testing.assert_allclose(np.asarray(avg(x, mask=mask)), expected, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(np.asarray(avg(x, mask=mask)),
                               np.asarray(keras.layers.GlobalAveragePooling1D()(x, mask=mask)), rtol=1e-5)
    np.testing.assert_allclose(np.asarray(avg(x)), x.mean(1), rtol=1e-5)
    mx = L.GlobalMaxPooling1D(keepdims=True)
    got = np.asarray(mx(x, mask=mask))
    assert got.shape == (3, 1, 4)
    np.testing.assert_allclose(got[:, 0], np.where(mask[..., None], x, -np.inf).max(1), rtol=1e-6)
    np.testing.assert_allclose(np.asarray(L.GlobalMaxPooling1D()(x)), x.max(1))
    first = L.GlobalAveragePooling1D(data_format="channels_first")
    xt = np.moveaxis(x, 1, 2)
    np.testing.assert_allclose(np.asarray(first(xt, mask=mask)), expected, rtol=1e-5, atol=1e-6)
    images = rand(2, 3, 4, 5, seed=2)
    np.testing.assert_allclose(run_traced(L.GlobalMaxPooling2D(), images)[0],
                               np.asarray(keras.layers.GlobalMaxPooling2D()(images)))
    assert L.GlobalMaxPooling2D(keepdims=True).compute_output_shape((None, 3, 4, 5)) == (None, 1, 1, 5)
    assert avg.compute_mask(x, mask) is None


def test_compute_mask_defaults_and_explicit_masks():
    class Plain(kxla.layers.Layer):
        def call(self, inputs):
            return inputs * 2.0

    class MakesMask(kxla.layers.Layer):
        def call(self, inputs):
            return inputs

        def compute_mask(self, inputs, mask=None):
            return kxla.ops.greater(kxla.ops.sum(inputs, axis=-1), 0.0)

    assert not Plain().supports_masking and MakesMask().supports_masking
    inp = kxla.Input((4, 3))
    masked = MakesMask()(inp)
    assert masked._keras_mask is not None
    assert Plain()(masked)._keras_mask is None                      # a non-masking layer drops the mask
    assert L.Dropout(0.5)(masked)._keras_mask is not None            # supports_masking passes it on
    # an explicit mask= wins over the attached one
    x = rand(2, 4, 3)
    explicit = np.array([[1, 1, 1, 1], [1, 0, 0, 0]], bool)
    rnn = L.SimpleRNN(2)
    seq = rnn(x, mask=explicit)
    np.testing.assert_allclose(np.asarray(seq)[1], np.asarray(rnn(x[1:2, :1]))[0], rtol=1e-5, atol=1e-6)
    out = L.LSTM(3, return_sequences=True)(masked)
    assert out._keras_mask is not None
    assert L.LSTM(3)(masked)._keras_mask is None
