"""RNN(custom cell) over a time axis of unknown length: one ``scan`` node (kxla.layers.rnn.rnn_scan).

Values against the same layer over a known time axis (the unrolled path) and against Keras 3 (its
``lax.scan`` path) on the same weights; gradients against finite differences and the unrolled path;
nested inputs and states, masks, go_backwards, return_sequences/return_state, initial states, dropout
inside the cell, and the clear errors for what is not supported.
"""
import jax
import jax.numpy as jnp
import numpy as np
import pytest

import kxla
from kxla import ops
from kxla.ir import TensorType, parse
from kxla.lowering import lower
from kxla.ops import Builder

RNG = np.random.default_rng(0)


def make_cell_class(keras, ops_):
    """A minimal custom cell written once against ``keras`` (kxla or Keras 3): h = tanh(x W + h U) + b."""

    class MinimalCell(keras.layers.Layer):
        def __init__(self, units, **kwargs):
            super().__init__(**kwargs)
            self.units, self.state_size = units, units

        def build(self, input_shape):
            self.kernel = self.add_weight(shape=(input_shape[-1], self.units), initializer="glorot_uniform",
                                          name="kernel")
            self.recurrent_kernel = self.add_weight(shape=(self.units, self.units), initializer="orthogonal",
                                                    name="recurrent_kernel")
            self.bias = self.add_weight(shape=(self.units,), initializer="zeros", name="bias")

        def call(self, inputs, states):
            prev = states[0]
            h = ops_.tanh(ops_.matmul(inputs, self.kernel) + ops_.matmul(prev, self.recurrent_kernel)) + self.bias
            return h, [h]

        def get_config(self):
            return {**super().get_config(), "units": self.units}

    return MinimalCell


Cell = kxla.saving.register_keras_serializable(package="rnn_scan_tests")(make_cell_class(kxla, ops))


def trace(fn, arrays, time_known, training=False, timed=None):
    """Graph of ``fn(symbolic inputs)``: batch unknown; the time axis (axis 1 of the first ``timed`` arrays,
    default all) known or not."""
    timed = len(arrays) if timed is None else timed
    with Builder("t", training=training) as b:
        syms = [b.input(TensorType((None, a.shape[1] if time_known or i >= timed else None) + a.shape[2:],
                                   str(a.dtype)), f"x{i}") for i, a in enumerate(arrays)]
        out = fn(*syms)
        outs = list(out) if isinstance(out, (list, tuple)) else [out]
        b.graph.outputs = [b.value_of(o) for o in jax.tree_util.tree_leaves(
            outs, is_leaf=lambda t: isinstance(t, kxla.KerasTensor))]
    b.graph.verify()
    return b.graph, b.variables()


def run(graph, variables, arrays, training=False, seed=0):
    params = {v.ir_name: jnp.asarray(v.value) for v in variables if v.kind == "param"}
    state = {v.ir_name: jnp.asarray(v.value) for v in variables if v.kind == "state"}
    outs, _ = lower(graph)(params, state, arrays, rng=jax.random.key(seed), training=training)
    return [np.asarray(o) for o in outs]


def scan_nodes(graph):
    return [n for n in graph.nodes if n.op == "scan"]


@pytest.mark.parametrize("return_sequences, go_backwards, masked", [
    (False, False, False), (True, True, False), (True, False, True), (False, True, True)])
def test_unknown_time_matches_known_time_and_keras(keras, return_sequences, go_backwards, masked):
    """Masked cases also start from a given initial state: a masked first step outputs it (Keras's rule)."""
    x = RNG.normal(size=(3, 5, 4)).astype("float32")
    mask = np.array([[1, 1, 1, 1, 1], [1, 1, 1, 0, 0], [0, 1, 1, 1, 0]], bool)
    h0 = RNG.normal(size=(3, 6)).astype("float32")
    kwargs = dict(return_sequences=return_sequences, go_backwards=go_backwards, return_state=True)
    ours = kxla.layers.RNN(Cell(6), **kwargs)
    ours(x)
    arrays = [x, mask, h0] if masked else [x]
    fn = (lambda s, m, h: ours(s, mask=m, initial_state=[h])) if masked else ours
    graph, variables = trace(fn, arrays, time_known=False, timed=2)
    assert len(scan_nodes(graph)) == 1
    got = run(graph, variables, arrays)
    twin = keras.layers.RNN(make_cell_class(keras, keras.ops)(6), **kwargs)
    twin(x)
    twin.set_weights(ours.get_weights())
    expected = [np.asarray(t) for t in (twin(x, mask=mask, initial_state=[h0]) if masked else twin(x))]
    assert len(got) == len(expected) == 2
    for g, e in zip(got, expected):
        np.testing.assert_allclose(g, e, rtol=1e-5, atol=1e-5)
    known, kvars = trace(fn, arrays, time_known=True, timed=2)        # the unrolled path agrees (Keras's rule
    assert not scan_nodes(known)                                       # for masked steps included)
    for g, k in zip(got, run(known, kvars, arrays)):
        np.testing.assert_allclose(g, k, rtol=1e-5, atol=1e-6)


def test_initial_state_and_stacked_cells_unknown_time_equal_known_time():
    """StackedRNNCells([LSTMCell, GRUCell]) (never fused) from given initial states: the scan equals the
    unrolled path (which tests/layers/test_rnn_cells.py checks against Keras)."""
    x = RNG.normal(size=(2, 4, 3)).astype("float32")
    h0 = [RNG.normal(size=(2, 5)).astype("float32") for _ in range(2)] + [RNG.normal(size=(2, 4)).astype("float32")]
    layer = kxla.layers.RNN([kxla.layers.LSTMCell(5), kxla.layers.GRUCell(4)], return_sequences=True,
                            return_state=True)
    layer(x, initial_state=[h0[:2], h0[2]])
    results = []
    for known in (False, True):
        graph, variables = trace(lambda s, a, b, c: layer(s, initial_state=[[a, b], c]), [x] + h0, known, timed=1)
        assert len(scan_nodes(graph)) == (0 if known else 1)
        results.append(run(graph, variables, [x] + h0))
    assert len(results[0]) == 4
    for a, b in zip(*results):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


class DictCell(kxla.layers.Layer):
    """A cell over dict inputs (the guide's handwriting example: location and pressure) and two states."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.state_size = [2, 1]
        self.output_size = 3

    def build(self, input_shape):
        assert set(input_shape) == {"location", "pressure"}
        self.w = self.add_weight(shape=(3, 3), initializer="glorot_uniform", name="w")

    def call(self, inputs, states):
        pos = states[0] + inputs["location"]
        force = states[1] * 0.5 + inputs["pressure"]
        out = ops.tanh(ops.matmul(ops.concatenate([pos, force], axis=-1), self.w))
        return out, (pos, force)


def test_dict_inputs_and_states_unknown_time_equal_known_time():
    loc, pressure = RNG.normal(size=(2, 5, 2)).astype("float32"), RNG.normal(size=(2, 5, 1)).astype("float32")
    layer = kxla.layers.RNN(DictCell(), return_sequences=True, return_state=True)

    def fn(a, b):
        out, *states = layer({"location": a, "pressure": b})
        return [out] + states

    results = []
    for known in (False, True):
        graph, variables = trace(fn, [loc, pressure], time_known=known)
        assert len(scan_nodes(graph)) == (0 if known else 1)
        results.append(run(graph, variables, [loc, pressure]))
    for a, b in zip(*results):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(results[0][1], np.cumsum(loc, axis=1)[:, -1], rtol=1e-5)     # the first state


def _loss_and_grads(graph, variables, arrays, probe):
    fn = lower(graph)
    params = {v.ir_name: jnp.asarray(v.value) for v in variables if v.kind == "param"}

    def loss(p):
        return jnp.sum(jnp.tanh(fn(p, {}, arrays)[0][0]) * probe)
    return loss, params, jax.jit(jax.value_and_grad(loss))(params)


def test_gradients_through_the_scan_match_unrolled_and_finite_differences():
    x = RNG.normal(size=(2, 6, 3)).astype("float32")
    layer = kxla.layers.RNN(Cell(4), return_sequences=True)
    layer(x)
    probe = jnp.asarray(RNG.normal(size=(2, 6, 4)).astype("float32"))
    loss, params, (value, grads) = _loss_and_grads(*trace(layer, [x], time_known=False), [x], probe)
    _, _, (known_value, known_grads) = _loss_and_grads(*trace(layer, [x], time_known=True), [x], probe)
    np.testing.assert_allclose(float(value), float(known_value), rtol=1e-5)
    for name in params:
        np.testing.assert_allclose(np.asarray(grads[name]), np.asarray(known_grads[name]), rtol=1e-4, atol=1e-5)
        direction = RNG.normal(size=params[name].shape).astype("float32")
        direction /= np.linalg.norm(direction)
        eps = 1e-2
        up = loss(dict(params, **{name: params[name] + eps * direction}))
        down = loss(dict(params, **{name: params[name] - eps * direction}))
        np.testing.assert_allclose(float(jnp.sum(grads[name] * direction)), float(up - down) / (2 * eps),
                                   rtol=3e-2, atol=2e-3)


class NoisyCell(kxla.layers.Layer):
    """A cell with a Dropout sublayer: training-mode dependent, drawing in every step."""

    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.units, self.state_size = units, units
        self.drop = kxla.layers.Dropout(0.5)

    def build(self, input_shape):
        self.kernel = self.add_weight(shape=(input_shape[-1], self.units), initializer="ones", name="kernel")

    def call(self, inputs, states, training=False):
        h = states[0] + self.drop(ops.matmul(inputs, self.kernel), training=training)
        return h, [h]


def test_dropout_in_the_cell_draws_per_step_in_training_only():
    x = np.ones((64, 5, 1), "float32")
    layer = kxla.layers.RNN(NoisyCell(8), return_sequences=True)
    graph, variables = trace(layer, [x], time_known=False, training=True)
    (ys,) = run(graph, variables, [x], training=True, seed=1)
    steps = np.diff(np.concatenate([np.zeros_like(ys[:, :1]), ys], axis=1), axis=1)      # per-step increments
    assert set(np.unique(steps)) == {0.0, 2.0}                          # dropped, or kept and scaled by 1/0.5
    assert not np.array_equal(steps[:, 0], steps[:, 1])                 # a new draw at every step
    np.testing.assert_array_equal(run(graph, variables, [x], training=True, seed=1)[0], ys)   # keyed by rng
    assert not np.array_equal(run(graph, variables, [x], training=True, seed=2)[0], ys)
    graph, variables = trace(layer, [x], time_known=False, training=False)
    np.testing.assert_allclose(run(graph, variables, [x])[0], np.cumsum(np.ones((64, 5, 8)), axis=1))


def test_builtin_cell_dropout_masks_are_drawn_once_per_sequence():
    """Stacked built-in cells (never fused): in training their masks are drawn before the loop (as Keras's
    ``_maybe_config_dropout_masks``) and enter the scan as operands."""
    x = RNG.normal(size=(4, 3, 6)).astype("float32")
    cells = [kxla.layers.LSTMCell(5, dropout=0.5, recurrent_dropout=0.5), kxla.layers.SimpleRNNCell(3, dropout=0.5)]
    layer = kxla.layers.RNN(cells)
    layer(x)
    graph, variables = trace(layer, [x], time_known=False, training=True)
    (scan,) = scan_nodes(graph)
    body_ops = [n.op for n in scan.attrs["body"].nodes]
    assert "dropout" not in body_ops                                    # masks drawn before the loop
    assert [n.op for n in graph.nodes].count("dropout") == 3
    (out,) = run(graph, variables, [x], training=True)
    assert out.shape == (4, 3) and np.all(np.isfinite(out))
    assert all(c._dropout_mask is None for c in cells)                  # reset after the call


def test_unsupported_uses_raise_clear_errors():
    x = np.ones((2, 3, 4), "float32")
    with pytest.raises(ValueError, match="Cannot unroll a RNN if the time dimension is undefined"):
        trace(kxla.layers.RNN(Cell(3), unroll=True), [x], time_known=False)

    class Counting(Cell):
        def build(self, input_shape):
            super().build(input_shape)
            self.count = self.add_weight(shape=(), initializer="zeros", name="count", trainable=False)

        def call(self, inputs, states):
            self.count.assign(self.count + 1.0)
            return super().call(inputs, states)

    with pytest.raises(ValueError, match="is assigned inside the cell of RNN layer .* loop body"):
        trace(kxla.layers.RNN(Counting(3)), [x], time_known=False)

    class Pair(Cell):
        def call(self, inputs, states):
            h, new = super().call(inputs, states)
            return (h, h), new

    with pytest.raises(ValueError, match="a mask with a cell returning a nested output .* is not supported"):
        trace(lambda s, m: kxla.layers.RNN(Pair(3))(s, mask=m), [x, np.ones((2, 3), bool)], time_known=False)


def test_scan_graph_round_trips_and_passes_preserve_meaning():
    from kxla.passes import PassManager, inference_pipeline, training_pipeline
    x = RNG.normal(size=(2, 5, 3)).astype("float32")
    layer = kxla.layers.RNN(Cell(4), return_sequences=True, go_backwards=True)
    layer(x)
    graph, variables = trace(lambda s: ops.relu(layer(s)), [x], time_known=False)
    assert str(parse(str(graph))) == str(graph)
    expected = run(graph, variables, [x])
    for pipeline in (training_pipeline(), inference_pipeline(), "specialize{batch=2},constant-folding,cse,dce"):
        optimized = PassManager(pipeline, verify=True).run(graph)
        assert len(scan_nodes(optimized)) == 1
        np.testing.assert_allclose(run(optimized, variables, [x])[0], expected[0], rtol=1e-5, atol=1e-6)


def test_bidirectional_stateful_and_mixed_precision_agree_with_known_time():
    x = RNG.normal(size=(3, 6, 4)).astype("float32")
    results = []
    for steps in (None, 6):
        inp = kxla.Input((steps, 4))
        bi = kxla.layers.Bidirectional(kxla.layers.RNN(Cell(5), return_sequences=True))
        mixed = kxla.layers.RNN(Cell(2, dtype="mixed_bfloat16"))        # the body's matmuls in bfloat16 too
        model = kxla.Model(inp, [bi(inp), mixed(inp)])
        inp = kxla.Input((steps, 4), batch_size=3)
        stateful = kxla.layers.RNN(Cell(3), stateful=True)
        calls = kxla.Model(inp, stateful(inp))
        if results:
            model.set_weights(weights[0])
            calls.set_weights(weights[1])
        weights = model.get_weights(), calls.get_weights()
        assert [n.op for n in model.trace(False).graph.nodes].count("scan") == (3 if steps is None else 0)
        first = np.asarray(calls(x))                       # a call advances the stateful layer's states
        results.append(model.predict(x, verbose=0) + [first, np.asarray(calls(x)), np.asarray(stateful.states[0])])
    for a, b in zip(*results):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    assert not np.allclose(results[0][2], results[0][3])   # the second call started from the carried states


@pytest.mark.slow
def test_conv_lstm_over_an_unknown_time_axis_equals_known_time():
    x = RNG.normal(size=(2, 2, 4, 4, 1)).astype("float32")
    layer = kxla.layers.ConvLSTM1D(2, 3, padding="same", return_sequences=True, dropout=0.3,
                                   recurrent_dropout=0.3)
    x = x[..., 0]
    layer(x)
    results = []
    for known in (False, True):
        graph, variables = trace(layer, [x], time_known=known)
        assert len(scan_nodes(graph)) == (0 if known else 1)
        results.append(run(graph, variables, [x])[0])
    np.testing.assert_allclose(results[0], results[1], rtol=1e-5, atol=1e-5)
    graph, variables = trace(layer, [x], time_known=False, training=True)      # masks drawn before the loop
    (out,) = run(graph, variables, [x], training=True)
    assert out.shape == (2, 2, 4, 2) and np.all(np.isfinite(out))
