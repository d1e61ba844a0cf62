"""The Keras guide "Working with RNNs", section by section.

Our own code following the guide's steps with the same API calls (small synthetic data in place of
MNIST, small sizes), asserting shapes, states, statefulness, equivalences the guide states
(``RNN(LSTMCell(n))`` computes ``LSTM(n)``), and a nested-structure custom cell.
"""
import numpy as np
import pytest

import kxla as keras
from kxla import layers, ops

RNG = np.random.default_rng(0)


def _summary(model):
    lines = []
    model.summary(print_fn=lambda line, *a, **k: lines.append(line))
    return "\n".join(lines)


def test_built_in_rnn_layers_and_return_sequences():
    model = keras.Sequential([layers.Embedding(input_dim=100, output_dim=8), layers.LSTM(16), layers.Dense(10)])
    assert tuple(model(RNG.integers(0, 100, (2, 7))).shape) == (2, 10)
    seq = keras.Sequential([layers.Embedding(input_dim=100, output_dim=8), layers.GRU(12, return_sequences=True),
                            layers.SimpleRNN(6), layers.Dense(10)])
    ids = RNG.integers(0, 100, (2, 7))
    assert tuple(seq.layers[1](seq.layers[0](ids)).shape) == (2, 7, 12)
    assert tuple(seq(ids).shape) == (2, 10)


def test_return_state_and_initial_state_encoder_decoder():
    encoder_input = layers.Input(shape=(None,))
    encoder_embedded = layers.Embedding(input_dim=50, output_dim=8)(encoder_input)
    output, state_h, state_c = layers.LSTM(8, return_state=True, name="encoder")(encoder_embedded)
    decoder_input = layers.Input(shape=(None,))
    decoder_embedded = layers.Embedding(input_dim=60, output_dim=8)(decoder_input)
    decoder_output = layers.LSTM(8, name="decoder")(decoder_embedded, initial_state=[state_h, state_c])
    model = keras.Model([encoder_input, decoder_input], layers.Dense(10)(decoder_output))
    assert "encoder" in _summary(model) and "decoder" in _summary(model)
    a, b = RNG.integers(0, 50, (3, 5)), RNG.integers(0, 60, (3, 4))
    assert tuple(model.predict([a, b], verbose=0).shape) == (3, 10)
    # the decoder really starts from the encoder's state: another encoder input changes the result
    other = model.predict([RNG.integers(0, 50, (3, 5)), b], verbose=0)
    assert not np.allclose(other, model.predict([a, b], verbose=0))


def test_cross_batch_statefulness_and_state_reuse():
    paragraphs = [RNG.random((4, 5, 3)).astype("float32") for _ in range(3)]
    lstm_layer = layers.LSTM(6, stateful=True)
    outputs = [np.asarray(lstm_layer(p)) for p in paragraphs]
    # one long sequence, processed in one go, ends in the same state
    whole = layers.LSTM(6)
    whole(paragraphs[0])
    whole.set_weights(lstm_layer.get_weights())
    np.testing.assert_allclose(np.asarray(whole(np.concatenate(paragraphs, axis=1))), outputs[-1], rtol=1e-5,
                               atol=1e-6)
    existing_state = lstm_layer.states
    new_lstm_layer = layers.LSTM(6)
    new_lstm_layer(paragraphs[0])
    new_lstm_layer.set_weights(lstm_layer.get_weights())
    resumed = new_lstm_layer(paragraphs[0], initial_state=existing_state)
    lstm_layer.reset_states()
    assert all(np.all(np.asarray(s) == 0) for s in lstm_layer.states)
    continued = lstm_layer(paragraphs[0])          # from zeros again: the first output
    np.testing.assert_allclose(np.asarray(continued), outputs[0], rtol=1e-5, atol=1e-6)
    assert tuple(resumed.shape) == (4, 6)


def test_bidirectional():
    model = keras.Sequential()
    model.add(layers.Bidirectional(layers.LSTM(8, return_sequences=True), input_shape=(5, 10)))
    model.add(layers.Bidirectional(layers.LSTM(4)))
    model.add(layers.Dense(10))
    assert "(None, 5, 16)" in _summary(model) and "(None, 8)" in _summary(model)


def _build_model(use_layer):
    """The guide's ``build_model(allow_cudnn_kernel)``: LSTM(units) or RNN(LSTMCell(units))."""
    lstm = (layers.LSTM(8, input_shape=(None, 6)) if use_layer
            else layers.RNN(layers.LSTMCell(8), input_shape=(None, 6)))
    return keras.Sequential([lstm, layers.BatchNormalization(), layers.Dense(10)])


def test_lstm_layer_equals_rnn_of_lstm_cell():
    x, y = RNG.random((32, 6, 6)).astype("float32"), RNG.integers(0, 10, 32)
    model = _build_model(True)
    model.compile(loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True), optimizer="sgd",
                  metrics=["accuracy"])
    model.fit(x, y, validation_data=(x, y), batch_size=8, epochs=1, verbose=0)
    cell_model = _build_model(False)
    cell_model.set_weights(model.get_weights())
    np.testing.assert_allclose(cell_model.predict(x, verbose=0), model.predict(x, verbose=0), rtol=1e-4, atol=1e-5)
    result = ops.argmax(cell_model.predict_on_batch(ops.expand_dims(x[0], 0)), axis=1)
    assert tuple(result.shape) == (1,)


def nested_cell_class(keras_, ops_):
    """The guide's ``NestedCell`` (a cell over a (vector, matrix) pair of inputs and states), written once
    against ``keras_`` (kxla, or Keras 3 for the reference twin)."""

    class NestedCell(keras_.layers.Layer):
        def __init__(self, unit_1, unit_2, unit_3, **kwargs):
            self.unit_1, self.unit_2, self.unit_3 = unit_1, unit_2, unit_3
            self.state_size = [(unit_1,), (unit_2, unit_3)]
            self.output_size = [(unit_1,), (unit_2, unit_3)]
            super().__init__(**kwargs)

        def build(self, input_shapes):
            i1, (i2, i3) = input_shapes[0][1], input_shapes[1][1:]
            self.kernel_1 = self.add_weight(shape=(i1, self.unit_1), initializer="uniform", name="kernel_1")
            self.kernel_2_3 = self.add_weight(shape=(i2, i3, self.unit_2, self.unit_3), initializer="uniform",
                                              name="kernel_2_3")

        def call(self, inputs, states):
            input_1, input_2 = inputs
            s1, s2 = states
            output_1 = ops_.matmul(input_1, self.kernel_1)
            output_2_3 = ops_.einsum("bij,ijkl->bkl", input_2, self.kernel_2_3)
            return (output_1, output_2_3), (s1 + output_1, s2 + output_2_3)

        def get_config(self):
            return {"unit_1": self.unit_1, "unit_2": self.unit_2, "unit_3": self.unit_3}

    return NestedCell


NestedCell = keras.saving.register_keras_serializable(package="guide_tests")(nested_cell_class(keras, ops))


def test_rnn_with_nested_inputs_and_outputs():
    u1, u2, u3, i1, i2, i3, n, t = 3, 2, 4, 5, 3, 2, 16, 6
    rnn = keras.layers.RNN(NestedCell(u1, u2, u3))
    # kxla unrolls a custom cell over a time axis it must know (an unknown one is a clear error, tested below)
    input_1, input_2 = keras.Input((t, i1)), keras.Input((t, i2, i3))
    model = keras.models.Model([input_1, input_2], rnn((input_1, input_2)))
    model.compile(optimizer="adam", loss="mse")
    x = [RNG.random((n, t, i1)).astype("float32"), RNG.random((n, t, i2, i3)).astype("float32")]
    target = [RNG.random((n, u1)).astype("float32"), RNG.random((n, u2, u3)).astype("float32")]
    history = model.fit(x, target, batch_size=8, verbose=0)
    assert np.isfinite(history.history["loss"][0])
    out_1, out_2 = model.predict(x, verbose=0)
    k1 = np.asarray(rnn.cell.kernel_1)
    np.testing.assert_allclose(out_1, x[0][:, -1] @ k1, rtol=1e-4, atol=1e-5)   # the last step's output
    assert out_2.shape == (n, u2, u3)


def _keras_reference(keras3, cell, x, target):
    """Keras 3's own computation of the guide's model: its ``RNN`` layer rejects nested sequences (3.15:
    ``'tuple' object has no attribute 'shape'``; in a functional model ``output_size must be an integer``), so
    the reference runs what that layer runs inside, ``keras.backend``'s ``rnn`` (``lax.scan``) stepping the
    Keras cell, and applies Keras's Adam to JAX's gradients of Keras's summed "mse" losses.
    Returns (outputs, loss, weights after one Adam step)."""
    import jax
    from keras.src import backend

    variables = cell.trainable_variables

    def forward(values, x):
        def step(inputs, states):
            output, new_states = cell.stateless_call(values, [], inputs, list(states))[0]
            return output, list(new_states)
        batch = x[0].shape[0]
        zeros = [np.zeros((batch, cell.unit_1), "float32"), np.zeros((batch, cell.unit_2, cell.unit_3), "float32")]
        _, outputs, _ = backend.rnn(step, tuple(x), zeros)    # its last_output is outputs[-1]: a nested output's
        return [o[:, -1] for o in outputs]                     # last leaf, so the last step is taken here

    def loss(values):
        out = forward(values, x)
        return sum(keras3.losses.mean_squared_error(t, o).mean() for o, t in zip(out, target))

    values = [v.value for v in variables]
    value, grads = jax.value_and_grad(loss)(values)
    optimizer = keras3.optimizers.Adam()
    optimizer.build(variables)
    optimizer.apply(grads, variables)
    return [np.asarray(o) for o in forward(values, x)], float(value), [np.asarray(v.value) for v in variables]


def test_nested_cell_over_an_unknown_time_axis_matches_keras():
    """The guide's nested-input section as written (``keras.Input((None, i1))``: one scan node, small sizes),
    against Keras 3 on the same weights: predictions, one training step's loss and weights, then the
    guide's own ``fit``."""
    keras3 = pytest.importorskip("keras")
    unit_1, unit_2, unit_3, i1, i2, i3 = 3, 2, 4, 5, 3, 2
    batch_size, num_batches, timestep = 8, 2, 6

    cell = NestedCell(unit_1, unit_2, unit_3)
    rnn = keras.layers.RNN(cell)
    input_1 = keras.Input((None, i1))
    input_2 = keras.Input((None, i2, i3))
    outputs = rnn((input_1, input_2))
    model = keras.models.Model([input_1, input_2], outputs)
    # the guide adds metrics=["accuracy"]: one list entry for two outputs, which Keras 3 refuses as kxla does
    model.compile(optimizer="adam", loss="mse")

    rng = np.random.default_rng(1)
    input_1_data = rng.random((batch_size * num_batches, timestep, i1)).astype("float32")
    input_2_data = rng.random((batch_size * num_batches, timestep, i2, i3)).astype("float32")
    target_1_data = rng.random((batch_size * num_batches, unit_1)).astype("float32")
    target_2_data = rng.random((batch_size * num_batches, unit_2, unit_3)).astype("float32")
    input_data = [input_1_data, input_2_data]
    target_data = [target_1_data, target_2_data]

    assert [n.op for n in model.trace(False).graph.nodes].count("scan") == 1
    twin = nested_cell_class(keras3, keras3.ops)(unit_1, unit_2, unit_3)
    twin.build([(None, i1), (None, i2, i3)])
    twin.set_weights(model.get_weights())
    first = [a[:batch_size] for a in input_data]
    target = [a[:batch_size] for a in target_data]
    expected, expected_loss, expected_weights = _keras_reference(keras3, twin, first, target)
    for ours, theirs in zip(model.predict(first, verbose=0), expected):
        np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-5)
    history = model.fit(first, target, batch_size=batch_size, shuffle=False, verbose=0)
    np.testing.assert_allclose(history.history["loss"][0], expected_loss, rtol=1e-5)
    for ours, theirs in zip(model.get_weights(), expected_weights):
        np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-6)

    history = model.fit(input_data, target_data, batch_size=batch_size, verbose=0)     # the guide's call
    assert np.isfinite(history.history["loss"][0])
