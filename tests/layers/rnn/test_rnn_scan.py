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

    return MinimalCell


Cell = make_cell_class(kxla, ops)


def trace(fn, arrays, time_known, training=False):
    """Graph of ``fn(symbolic inputs)`` (batch unknown; the time axis known or not)."""
    with Builder("t", training=training) as b:
        syms = [b.input(TensorType((None, a.shape[1] if time_known else None) + a.shape[2:], str(a.dtype)),
                        f"x{i}") for i, a in enumerate(arrays)]
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


@pytest.mark.parametrize("return_sequences", [False, True])
@pytest.mark.parametrize("go_backwards", [False, True])
@pytest.mark.parametrize("masked", [False, True])
def test_unknown_time_matches_known_time_and_keras(keras, return_sequences, go_backwards, masked):
    x = RNG.normal(size=(3, 5, 4)).astype("float32")
    mask = np.array([[1, 1, 1, 1, 1], [1, 1, 1, 0, 0], [0, 1, 1, 1, 0]], bool)
    kwargs = dict(return_sequences=return_sequences, go_backwards=go_backwards, return_state=True)
    ours = kxla.layers.RNN(Cell(6), **kwargs)
    ours(x)
    arrays = [x, mask] if masked else [x]
    fn = (lambda s, m: ours(s, mask=m)) if masked else ours
    graph, variables = trace(fn, arrays, time_known=False)
    assert len(scan_nodes(graph)) == 1
    got = run(graph, variables, arrays)
    twin = keras.layers.RNN(make_cell_class(keras, keras.ops)(6), **kwargs)
    twin(x)
    twin.set_weights(ours.get_weights())
    expected = [np.asarray(t) for t in twin(x, mask=mask if masked else None)]
    assert len(got) == len(expected) == 2
    for g, e in zip(got, expected):
        np.testing.assert_allclose(g, e, rtol=1e-5, atol=1e-5)
    if not masked:      # the unrolled path (time known) agrees
        known, kvars = trace(ours, [x], time_known=True)
        assert not scan_nodes(known)
        for g, k in zip(got, run(known, kvars, [x])):
            np.testing.assert_allclose(g, k, rtol=1e-5, atol=1e-6)
