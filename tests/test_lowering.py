"""kxla.lowering: ``lower`` and the one graph evaluator with per-node hooks."""
import jax
import numpy as np
import pytest

import kxla  # noqa: F401  (registers the ops)
from kxla.debug import Interpreter
from kxla.ir import parse
from kxla.lowering import Evaluator, LoweringError, lower

TEXT = """graph @g(%x: f32[2,3]) params(%k: f32[3,2] {init="zeros"}) state(%s: f32[2] {init="zeros"}) {
  %0 = matmul(%x, %k) : f32[2,2]  // dense
  %1 = relu(%0) : f32[2,2]  // dense
  %2 = sum(%1) {axis=[0], keepdims=false} : f32[2]  // stat
  return %1
  update %s = %2
}"""
X = np.arange(6, dtype=np.float32).reshape(2, 3) - 2.5
K = np.array([[1, -1], [0.5, 2], [-1, 1]], np.float32)
PARAMS, STATE = {"k": K}, {"s": np.zeros(2, np.float32)}


class Record:
    def __init__(self):
        self.seen = []

    def before_node(self, node, inputs):
        self.seen.append(("before", node.op, len(inputs)))

    def after_node(self, node, inputs, outputs):
        self.seen.append(("after", node.op, tuple(np.shape(o) for o in outputs)))


class NegateRelu:
    def after_node(self, node, inputs, outputs):
        return [-outputs[0]] if node.op == "relu" else None


def test_lower_computes_outputs_and_state_updates_under_jit():
    graph = parse(TEXT)
    outs, new_state = jax.jit(lower(graph))(PARAMS, STATE, [X])
    want = np.maximum(X @ K, 0)
    np.testing.assert_allclose(outs[0], want, rtol=1e-6)
    np.testing.assert_allclose(new_state["s"], want.sum(0), rtol=1e-6)


def test_hooks_see_every_node_in_order_and_replace_values_downstream():
    graph = parse(TEXT)
    rec = Record()
    outs, new_state = Evaluator(graph, hooks=[rec, NegateRelu()]).run(PARAMS, STATE, [X])
    assert rec.seen == [("before", "matmul", 2), ("after", "matmul", ((2, 2),)),
                        ("before", "relu", 1), ("after", "relu", ((2, 2),)),
                        ("before", "sum", 1), ("after", "sum", ((2,),))]
    want = -np.maximum(X @ K, 0)
    np.testing.assert_allclose(outs[0], want, rtol=1e-6)
    np.testing.assert_allclose(new_state["s"], want.sum(0), rtol=1e-6)     # the sum read the replacement


def test_before_hook_replaces_inputs_and_counts_are_checked():
    graph = parse(TEXT)

    class ZeroKernel:
        def before_node(self, node, inputs):
            return [inputs[0], np.zeros_like(inputs[1])] if node.op == "matmul" else None

    outs, _ = Evaluator(graph, hooks=[ZeroKernel()]).run(PARAMS, STATE, [X])
    assert np.all(np.asarray(outs[0]) == 0)

    class Wrong:
        def after_node(self, node, inputs, outputs):
            return [outputs[0], outputs[0]]

    with pytest.raises(ValueError, match="after_node hook returned 2 outputs for matmul"):
        Evaluator(graph, hooks=[Wrong()]).run(PARAMS, STATE, [X])


def test_arguments_are_checked_by_name_and_count():
    ev = Evaluator(parse(TEXT))
    with pytest.raises(LoweringError, match="parameter 'k' missing from params"):
        ev.run({}, STATE, [X])
    with pytest.raises(LoweringError, match="takes 1 input"):
        ev.run(PARAMS, STATE, [X, X])
    outs, _ = ev.run(PARAMS, STATE, {"x": X}, keep_values=True)
    assert len(ev.values) == 3 + 3                          # x, k, s and three results


def test_the_debug_interpreter_is_the_same_evaluator():
    graph = parse(TEXT)
    assert issubclass(Interpreter, Evaluator)
    a, _ = Interpreter(graph).run(PARAMS, STATE, [X])
    b, _ = lower(graph)(PARAMS, STATE, [X])
    np.testing.assert_array_equal(np.asarray(a[0]), np.asarray(b[0]))
