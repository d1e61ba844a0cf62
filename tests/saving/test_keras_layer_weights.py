"""Every layer with sublayers or nested variables: Keras's .weights.h5 / .keras paths, both ways.

For each case the same small model is built in Keras and in kxla; random
weights written by one library (``.weights.h5`` and ``.keras``) are read by
the other, and both give the same predictions.
"""
import numpy as np
import pytest

import kxla

pytest.importorskip("h5py")
keras = pytest.importorskip("keras")

RNG = np.random.default_rng(0)


def _seq(shape, make, dtype="float32"):
    def build(lib):
        return lib.Sequential([lib.Input(shape, dtype=dtype), make(lib.layers)])
    return build, [(shape, dtype)]


def _fn(shapes, body):
    """A functional model on inputs of ``shapes``; ``body(L, *inputs)`` gives the output."""
    def build(lib):
        inputs = [lib.Input(s) for s in shapes]
        return lib.Model(inputs, body(lib.layers, *inputs))
    return build, [(s, "float32") for s in shapes]


def _slow(case):
    return pytest.param(case, marks=pytest.mark.slow)


CASES = {
    "multi_head_attention": _fn([(4, 6), (3, 5)], lambda L, q, v: L.MultiHeadAttention(2, 3)(q, v)),
    "multi_head_attention_key": _fn([(4, 6), (3, 5), (3, 2)],
                                    lambda L, q, v, k: L.MultiHeadAttention(2, 3, output_shape=5)(q, v, k)),
    "multi_head_attention_gate": _fn([(4, 6), (3, 5)],
                                     lambda L, q, v: L.MultiHeadAttention(2, 3, use_gate=True)(q, v)),
    "group_query_attention": _fn([(4, 6)], lambda L, q: L.GroupQueryAttention(2, 4, 2)(q, q)),
    "attention_scale": _fn([(4, 6), (3, 6)], lambda L, q, v: L.Attention(use_scale=True)([q, v])),
    "additive_attention": _fn([(4, 6), (3, 6)], lambda L, q, v: L.AdditiveAttention()([q, v])),
    "bidirectional_lstm": _seq((4, 3), lambda L: L.Bidirectional(L.LSTM(5))),
    "bidirectional_gru_backward_layer": _seq(
        (4, 3), lambda L: L.Bidirectional(L.GRU(5, return_sequences=True),
                                          backward_layer=L.SimpleRNN(5, return_sequences=True, go_backwards=True),
                                          merge_mode="sum")),
    "bidirectional_rnn_cell": _seq((4, 3), lambda L: L.Bidirectional(L.RNN(L.GRUCell(3)), merge_mode="mul")),
    "rnn_lstm_cell": _seq((4, 3), lambda L: L.RNN(L.LSTMCell(5))),
    "rnn_stacked_cells": _seq((4, 3), lambda L: L.RNN(L.StackedRNNCells([L.SimpleRNNCell(4), L.GRUCell(3)]))),
    "rnn_cell_list": _seq((4, 3), lambda L: L.RNN([L.SimpleRNNCell(4), L.LSTMCell(3)])),
    "lstm": _seq((4, 3), lambda L: L.LSTM(5, return_sequences=True)),
    "gru": _seq((4, 3), lambda L: L.GRU(5, reset_after=False)),
    "simple_rnn": _seq((4, 3), lambda L: L.SimpleRNN(5)),
    "conv_lstm1d": _seq((3, 6, 2), lambda L: L.ConvLSTM1D(3, 3)),
    "conv_lstm2d": _seq((3, 5, 5, 2), lambda L: L.ConvLSTM2D(2, 3, padding="same")),
    "time_distributed_dense": _seq((4, 3), lambda L: L.TimeDistributed(L.Dense(2))),
    "time_distributed_conv": _seq((3, 5, 5, 2), lambda L: L.TimeDistributed(L.Conv2D(2, 3))),
    "time_distributed_bidirectional": _seq((2, 4, 3), lambda L: L.TimeDistributed(L.Bidirectional(L.GRU(2)))),
    "spectral_normalization": _seq((5,), lambda L: L.SpectralNormalization(L.Dense(3))),
    "batch_normalization": _seq((5,), lambda L: L.BatchNormalization()),
    "normalization": _seq((5,), lambda L: L.Normalization(axis=-1)),
    "einsum_dense": _seq((4, 5), lambda L: L.EinsumDense("abc,cd->abd", output_shape=(None, 3),
                                                          bias_axes="d")),
    "embedding": _seq((4,), lambda L: L.Embedding(10, 3), "int32"),
    "reversible_embedding": _seq((4,), lambda L: L.ReversibleEmbedding(10, 3), "int32"),
    "layer_normalization": _seq((5,), lambda L: L.LayerNormalization()),
    "group_normalization": _seq((4, 4), lambda L: L.GroupNormalization(2)),
    "separable_conv": _seq((6, 6, 2), lambda L: L.SeparableConv2D(3, 3)),
    "prelu": _seq((5,), lambda L: L.PReLU()),
    "nested_sequential": _fn([(5,)], lambda L, x: L.Dense(2)(_inner_sequential(L, x))),
}
# the default suite runs one case of each kind (attention, recurrent cell path, wrapper, nested model, statistics
# variables); every case runs under -m slow
FAST = {"multi_head_attention", "simple_rnn", "time_distributed_dense", "nested_sequential", "normalization",
        "einsum_dense", "embedding", "spectral_normalization"}
PARAMS = [c if c in FAST else _slow(c) for c in CASES]


def _inner_sequential(L, x):
    lib = keras if L is keras.layers else kxla
    return lib.Sequential([L.Dense(3, activation="tanh"), L.BatchNormalization()], name="inner")(x)


def _data(specs):
    xs = [RNG.integers(0, 10, size=(2,) + s).astype(d) if d == "int32" else
          RNG.normal(size=(2,) + s).astype(d) for s, d in specs]
    return xs[0] if len(xs) == 1 else xs


def _randomize(model):
    """Random weights (positive, so BatchNormalization / Normalization variances stay valid)."""
    model.set_weights([RNG.uniform(0.1, 1.0, size=np.shape(w)).astype(np.asarray(w).dtype)
                       for w in model.get_weights()])
    if not isinstance(model, kxla.Model):       # Keras's Normalization reads its variables in finalize_state
        for layer in model._flatten_layers():
            getattr(layer, "finalize_state", lambda: None)()


def _out(model, x):
    y = model(x)
    return [np.asarray(t) for t in (y if isinstance(y, (list, tuple)) else [y])]


def _close(a, b):
    assert len(a) == len(b)
    for u, v in zip(a, b):
        np.testing.assert_allclose(u, v, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("case", PARAMS)
def test_keras_writes_kxla_reads(case, tmp_path):
    build, specs = CASES[case]
    x = _data(specs)
    km = build(keras)
    _randomize(km)
    km.save_weights(tmp_path / "k.weights.h5")
    km.save(tmp_path / "k.keras")
    m = build(kxla)
    m.load_weights(tmp_path / "k.weights.h5")
    expected = _out(km, x)
    _close(_out(m, x), expected)
    _close(_out(kxla.models.load_model(tmp_path / "k.keras"), x), expected)


@pytest.mark.parametrize("case", PARAMS)
def test_kxla_writes_keras_reads(case, tmp_path):
    build, specs = CASES[case]
    x = _data(specs)
    m = build(kxla)
    _randomize(m)
    m.save_weights(tmp_path / "m.weights.h5")
    m.save(tmp_path / "m.keras")
    km = build(keras)
    km.load_weights(tmp_path / "m.weights.h5")
    expected = _out(m, x)
    _close(_out(km, x), expected)
    _close(_out(keras.saving.load_model(tmp_path / "m.keras"), x), expected)


def test_keras_option_kxla_lacks_is_named_on_loading(tmp_path):
    """A Keras 3.15 option kxla does not implement (MultiHeadAttention's sliding window) is a clear error."""
    q = keras.Input((4, 6))
    km = keras.Model(q, keras.layers.MultiHeadAttention(2, 3, sliding_window=2)(q, q))
    km.save(tmp_path / "window.keras")
    with pytest.raises(ValueError, match="sliding_window=2"):
        kxla.models.load_model(tmp_path / "window.keras")
