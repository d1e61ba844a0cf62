"""Interpreter: node-by-node evaluation equals kxla.lower (eager and jitted); hooks see and replace values."""
import jax
import jax.numpy as jnp
import numpy as np
import pytest

import kxla
import kxla.debug
from kxla import layers
from kxla.debug import Hook, Interpreter, InterpreterError


def _cnn():
    return kxla.Sequential([
        layers.Input((8, 8, 2)),
        layers.Conv2D(4, 3, activation="relu", name="conv"),
        layers.BatchNormalization(name="bn"),
        layers.MaxPooling2D(2, name="pool"),
        layers.Flatten(name="flat"),
        layers.Dense(5, activation="softmax", name="head"),
    ], name="cnn")


def _mlp(dropout=False):
    return kxla.Sequential([layers.Input((6,)), layers.Dense(8, activation="tanh", name="d1")] +
                           ([layers.Dropout(0.5, name="drop")] if dropout else []) +
                           [layers.Dense(3, name="d2")], name="mlp")


def _args(model, training, optimized, n=4):
    graph = model.to_ir(training=training, optimized=optimized)
    values = {v.ir_name: v.value for v in model.trace(training).variables}
    params = {v.name: values[v.name] for v in graph.params}
    state = {v.name: values[v.name] for v in graph.state}
    shape = (n,) + tuple(graph.inputs[0].type.shape[1:])
    x = np.random.default_rng(1).normal(size=shape).astype("float32")
    return graph, params, state, [x]


@pytest.mark.parametrize("make, training, optimized", [
    (_cnn, True, False),            # BatchNorm batch statistics and state updates
    (_cnn, False, True),            # the inference pipeline's fused ops
    (_mlp, True, True),
    (_mlp, False, False),
])
def test_equals_lowering(make, training, optimized):
    graph, params, state, xs = _args(make(), training, optimized)
    rng = jax.random.key(3)
    outs, new_state = Interpreter(graph).run(params, state, xs, rng=rng, training=training)
    fn = kxla.lower(graph)
    eager_outs, eager_state = fn(params, state, xs, rng=rng, training=training)
    jit_outs, jit_state = jax.jit(fn, static_argnames="training")(params, state, xs, rng=rng, training=training)
    assert len(outs) == len(graph.outputs) and set(new_state) == set(state)
    for a, b, c in zip(outs, eager_outs, jit_outs):
        np.testing.assert_array_equal(a, b)                          # the very same op-by-op computation
        np.testing.assert_allclose(a, c, rtol=1e-5, atol=1e-6)       # XLA may fuse and reorder
    for k in state:
        np.testing.assert_array_equal(new_state[k], eager_state[k])
        np.testing.assert_allclose(new_state[k], jit_state[k], rtol=1e-5, atol=1e-6)


def test_random_ops_draw_the_same_numbers():
    # each node's key is fold_in(rng, node index), as in the lowered function: the same Dropout mask
    graph, params, state, xs = _args(_mlp(dropout=True), True, False, n=16)
    rng = jax.random.key(7)
    outs, _ = Interpreter(graph).run(params, state, xs, rng=rng, training=True)
    want, _ = kxla.lower(graph)(params, state, xs, rng=rng, training=True)
    np.testing.assert_array_equal(outs[0], want[0])
    assert any(n.op == "dropout" for n in graph.nodes)
    other, _ = Interpreter(graph).run(params, state, xs, rng=jax.random.key(8), training=True)
    assert not np.array_equal(outs[0], other[0])


class Recorder(Hook):
    def __init__(self):
        self.before, self.after = [], []

    def before_node(self, node, inputs):
        self.before.append((node, [np.shape(a) for a in inputs]))

    def after_node(self, node, inputs, outputs):
        self.after.append((node, len(inputs), [np.shape(o) for o in outputs]))


def test_hooks_see_every_node_in_order():
    graph, params, state, xs = _args(_cnn(), True, False)
    rec = Recorder()
    Interpreter(graph, hooks=[rec]).run(params, state, xs, rng=jax.random.key(0), training=True)
    assert [n for n, _ in rec.before] == graph.nodes and [n for n, _, _ in rec.after] == graph.nodes
    for (node, in_shapes), (_, n_in, out_shapes) in zip(rec.before, rec.after):
        assert n_in == len(node.inputs) == len(in_shapes)
        assert len(out_shapes) == len(node.results)
        for shape, r in zip(out_shapes, node.results):
            assert shape[1:] == tuple(r.type.shape[1:]) if r.type.shape and r.type.shape[0] is None \
                else shape == tuple(r.type.shape)
        for shape, v in zip(in_shapes, node.inputs):
            assert len(shape) == len(v.type.shape)


def test_hooks_replace_outputs_and_inputs():
    model = _mlp()
    graph, params, state, xs = _args(model, False, False)

    class ZeroD1(Hook):
        def after_node(self, node, inputs, outputs):
            if node.layer == "d1" and node.op == "tanh":
                return [jnp.zeros_like(outputs[0])]

    outs, _ = Interpreter(graph, hooks=[ZeroD1()]).run(params, state, xs)
    bias = model.get_layer("d2").get_weights()[1]
    np.testing.assert_allclose(outs[0], np.broadcast_to(bias, (4, 3)))

    class DoubleInput(Hook):
        def before_node(self, node, inputs):
            if node.inputs[0] is graph.inputs[0]:
                return [inputs[0] * 2] + inputs[1:]

    outs, _ = Interpreter(graph, hooks=[DoubleInput()]).run(params, state, xs)
    want, _ = kxla.lower(graph)(params, state, [xs[0] * 2])
    np.testing.assert_allclose(outs[0], want[0], rtol=1e-6)

    class Bad(Hook):
        def after_node(self, node, inputs, outputs):
            return outputs * 2

    with pytest.raises(ValueError, match="after_node hook returned 2 outputs"):
        Interpreter(graph, hooks=[Bad()]).run(params, state, xs)


def test_failures_name_the_node_and_values_are_kept():
    graph, params, state, xs = _args(_mlp(), False, False)
    interp = Interpreter(graph)
    with pytest.raises(InterpreterError, match=r"matmul, layer 'd1'.*\n.*%0 = matmul"):
        interp.run(params, state, [np.ones((2, 5), "float32")])
    outs, _ = interp.run(params, state, xs, keep_values=True)
    np.testing.assert_array_equal(interp.value(graph.outputs[0]), outs[0])
    assert interp.ir_line(graph.nodes[0]).startswith(f"%0 = matmul(%{graph.inputs[0].name}, %d1.kernel)")
    with pytest.raises(ValueError, match="missing graph inputs"):
        interp.run(params, state, {"nope": xs[0]})
