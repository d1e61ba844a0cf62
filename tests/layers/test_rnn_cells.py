"""RNN with cells, StackedRNNCells and stateful recurrent layers against Keras 3."""
import jax
import numpy as np
import pytest

import kxla
from kxla import layers as L
from layer_check import check_config, rand, run_traced, run_traced_masked

X = rand(2, 5, 3, seed=3)
SLOW = pytest.mark.slow
MASK = np.array([[1, 1, 1, 0, 0], [1, 1, 1, 1, 1]], bool)


def _pair(keras, make, **kwargs):
    """Our RNN and Keras's built alike on X, Keras holding our weights."""
    ours = L.RNN(make(L), **kwargs)
    ours(X)
    twin = keras.layers.RNN(make(keras.layers), **kwargs)
    twin(X)
    assert [w.name for w in ours.weights] == [w.name for w in twin.weights]
    assert [tuple(w.shape) for w in ours.weights] == [tuple(w.shape) for w in twin.weights]
    twin.set_weights(ours.get_weights())
    return ours, twin


CELLS = [
    pytest.param("simple", lambda m: m.SimpleRNNCell(4, bias_initializer="random_normal"),
                 {"return_sequences": True}, marks=SLOW),
    ("lstm", lambda m: m.LSTMCell(4, bias_initializer="random_normal"), {"return_state": True}),
    pytest.param("gru", lambda m: m.GRUCell(4, bias_initializer="random_normal"), {"go_backwards": True},
                 marks=SLOW),
    pytest.param("gru_reset_before", lambda m: m.GRUCell(3, reset_after=False, activation="relu"),
                 {"return_sequences": True}, marks=SLOW),
    pytest.param("stacked", lambda m: [m.LSTMCell(4), m.GRUCell(3), m.SimpleRNNCell(2)], {"return_state": True},
                 marks=SLOW),
    pytest.param("stacked_backwards", lambda m: m.StackedRNNCells([m.SimpleRNNCell(3), m.GRUCell(2)]),
                 {"return_sequences": True, "go_backwards": True}, marks=SLOW),
]


@pytest.mark.parametrize("name,make,kwargs", CELLS)
def test_rnn_with_cells_matches_keras(keras, name, make, kwargs):
    ours, twin = _pair(keras, make, **kwargs)
    got = ours(X)
    ref = twin(X)
    for a, b in zip(jax.tree_util.tree_leaves(got), jax.tree_util.tree_leaves(ref)):
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-5, atol=1e-5)
    if not kwargs.get("return_state"):
        traced, out_mask = run_traced_masked(ours, X, MASK)
        np.testing.assert_allclose(traced, np.asarray(twin(X, mask=MASK)), rtol=1e-5, atol=1e-5)
        assert (out_mask is not None) == bool(kwargs.get("return_sequences"))
    config = ours.get_config()
    assert config["cell"]["class_name"] == twin.get_config()["cell"]["class_name"]
    assert L.RNN.from_config(config).get_config() == config


def test_lone_builtin_cell_is_one_fused_node_and_custom_cell_unrolls(keras):
    _, _, graph = run_traced(L.RNN(L.LSTMCell(4)), X)
    assert [n.op for n in graph.nodes] == ["lstm"]

    class MinimalCell(L.Layer):                 # the custom cell of Keras's RNN guide
        def __init__(self, units, **kwargs):
            super().__init__(**kwargs)
            self.units, self.state_size = units, units

        def build(self, input_shape):
            self.kernel = self.add_weight(shape=(input_shape[-1], self.units), name="kernel")
            self.recurrent_kernel = self.add_weight(shape=(self.units, self.units), name="recurrent_kernel")

        def call(self, inputs, states):
            output = inputs @ self.kernel + states[0] @ self.recurrent_kernel
            return output, [output]

    layer = L.RNN(MinimalCell(3), return_sequences=True)
    out, _, graph = run_traced(layer, X)
    k, r = (w.numpy() for w in layer.weights)
    h, expected = np.zeros((2, 3), np.float32), []
    for t in range(5):
        h = X[:, t] @ k + h @ r
        expected.append(h)
    np.testing.assert_allclose(out, np.stack(expected, 1), rtol=1e-5, atol=1e-5)
    assert [n.op for n in graph.nodes].count("matmul") == 10


@pytest.mark.parametrize("cell_name", [pytest.param("SimpleRNNCell", marks=SLOW), "LSTMCell",
                                       pytest.param("GRUCell", marks=SLOW)])
def test_cells_step_and_config_match_keras(keras, cell_name):
    ours = getattr(L, cell_name)(3, dropout=0.1, recurrent_dropout=0.2, bias_initializer="random_normal")
    twin = getattr(keras.layers, cell_name)(3, dropout=0.1, recurrent_dropout=0.2, bias_initializer="random_normal")
    states = [rand(2, 3, seed=5)] + ([rand(2, 3, seed=6)] if cell_name == "LSTMCell" else [])
    ours.build((2, 4))
    twin.build((2, 4))
    twin.set_weights(ours.get_weights())
    got, got_states = ours(X[:, 0, :].repeat(2, -1)[:, :4], states)
    ref, ref_states = twin(X[:, 0, :].repeat(2, -1)[:, :4], states)
    np.testing.assert_allclose(np.asarray(got), np.asarray(ref), rtol=1e-5, atol=1e-5)
    for a, b in zip(got_states, ref_states):
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-5, atol=1e-5)
    check_config(keras, ours, cell_name, {"units": 3, "dropout": 0.1, "recurrent_dropout": 0.2,
                                          "bias_initializer": "random_normal"}, twin)


@pytest.mark.parametrize("make", [lambda: L.LSTM(4, stateful=True, return_sequences=True),
                                  pytest.param(lambda: L.RNN(L.GRUCell(4), stateful=True, return_sequences=True),
                                               marks=SLOW),
                                  lambda: L.RNN([L.SimpleRNNCell(3), L.LSTMCell(4)], stateful=True,
                                                return_sequences=True)],
                         ids=["lstm", "rnn_gru_cell", "rnn_stacked"])
def test_stateful_layers_carry_states_between_batches(make):
    x = rand(2, 6, 3, seed=9)
    layer = make()
    model = kxla.Sequential([kxla.Input((3, 3), batch_size=2), layer])
    whole = kxla.Sequential([kxla.Input((6, 3), batch_size=2), L.RNN(layer.cell, return_sequences=True)
                             if isinstance(layer, L.RNN) else
                             type(layer).from_config({**layer.get_config(), "stateful": False})])
    whole.set_weights(model.get_weights())
    expected = np.asarray(whole(x))
    assert len(model.weights) == len(whole.weights)                  # states are not weights, as in Keras
    first, second = np.asarray(model(x[:, :3])), np.asarray(model(x[:, 3:]))
    np.testing.assert_allclose(np.concatenate([first, second], 1), expected, rtol=1e-5, atol=1e-5)
    layer.reset_states()
    np.testing.assert_allclose(np.asarray(model(x[:, :3])), first, rtol=1e-5, atol=1e-5)
    with pytest.raises(ValueError, match="batch size"):
        model(x[:1, :3])


def test_stateful_lstm_trains_and_keeps_state(keras):
    layer = L.LSTM(4, stateful=True)
    model = kxla.Sequential([kxla.Input((3, 2), batch_size=4), layer, L.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    x, y = rand(8, 3, 2), rand(8, 1)
    model.fit(x, y, batch_size=4, epochs=1, verbose=0, shuffle=False)
    assert np.abs(layer.states[0].numpy()).sum() > 0
    layer.reset_states()
    assert np.abs(layer.states[0].numpy()).sum() == 0


@pytest.mark.parametrize("name,kwargs,shape", [
    pytest.param("ConvLSTM2D", dict(filters=2, kernel_size=3, padding="same", return_sequences=True),
                 (2, 3, 5, 4, 3), marks=SLOW),
    ("ConvLSTM1D", dict(filters=3, kernel_size=2, strides=2, return_sequences=True), (2, 3, 6, 2)),
    pytest.param("ConvLSTM3D", dict(filters=2, kernel_size=2, data_format="channels_first"), (2, 2, 3, 3, 3, 3),
                 marks=SLOW),
])
def test_conv_lstm_matches_keras(keras, name, kwargs, shape):
    x = rand(*shape, seed=11)
    ours = getattr(L, name)(**kwargs, bias_initializer="random_normal")
    got = ours(x)
    twin = getattr(keras.layers, name)(**kwargs, bias_initializer="random_normal")
    twin(x)
    assert [w.path for w in ours.weights] == [w.path for w in twin.weights]
    assert [w.shape for w in ours.weights] == [tuple(w.shape) for w in twin.weights]
    twin.set_weights(ours.get_weights())
    for a, b in zip(jax.tree_util.tree_leaves(got), jax.tree_util.tree_leaves(twin(x))):
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-5, atol=1e-5)
    if not kwargs.get("return_state"):
        np.testing.assert_allclose(run_traced(ours, x)[0], np.asarray(got), rtol=1e-5, atol=1e-5)
    check_config(keras, ours, name, {**kwargs, "bias_initializer": "random_normal"}, twin)
    assert getattr(L, name).from_config(ours.get_config()).get_config() == ours.get_config()
