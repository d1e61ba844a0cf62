"""The verifier's invariants, one failing graph each."""
import pytest

import kxla  # noqa: F401
from kxla.ir import Graph, Node, TensorType, Value, VerificationError, parse

GOOD = """graph @g(%x: f32[?,4]) params(%k: f32[4,2] {init="zeros"}) {
  %0 = matmul(%x, %k) : f32[?,2]  // dense
  %1 = softmax(%0) {axis=-1} : f32[?,2]  // dense
  return %1
}"""


def test_good_graph_verifies():
    parse(GOOD).verify()


@pytest.mark.parametrize("text, message", [
    (GOOD.replace("softmax(%0) {axis=-1}", "softmx(%0) {axis=-1}"), "unknown op 'softmx'; did you mean 'softmax'"),
    (GOOD.replace("{axis=-1}", "{axis=-1, bogus=2}"), "unknown attribute(s) ['bogus']"),
    (GOOD.replace("{axis=-1}", '{axis="last"}'), "attribute 'axis' expects int"),
    (GOOD.replace(": f32[?,2]  // dense\n  %1", ": f32[?,3]  // dense\n  %1"), "disagree with the shape rule"),
    (GOOD.replace("params(%k: f32[4,2]", "params(%k: f32[5,2]"), "shape rule rejects inputs"),
])
def test_verifier_names_the_node(text, message):
    g = parse(text.replace("f32[?,3]  // dense\n  %1 = softmax(%0) {axis=-1} : f32[?,2]",
                           "f32[?,3]  // dense\n  %1 = softmax(%0) {axis=-1} : f32[?,3]"))
    with pytest.raises(VerificationError) as e:
        g.verify()
    assert message in str(e.value)
    assert "node" in str(e.value) or "op" in str(e.value)


def test_use_before_definition():
    x = Value(TensorType((2,)), "x", kind="input")
    a = Node("relu", [x], {}, [TensorType((2,))])
    b = Node("relu", [a.result], {}, [TensorType((2,))], layer="late")
    g = Graph("g", inputs=[x], nodes=[b, a], outputs=[a.result])
    with pytest.raises(VerificationError, match="node relu \\(layer 'late'\\) #0: input 0 .* used before"):
        g.verify()


def test_undefined_output_and_missing_attribute():
    x = Value(TensorType((2,)), "x", kind="input")
    stray = Node("relu", [x], {}, [TensorType((2,))])
    g = Graph("g", inputs=[x], nodes=[], outputs=[stray.result])
    with pytest.raises(VerificationError, match="output 0 .* not defined"):
        g.verify()
    n = Node("softmax", [x], {}, [TensorType((2,))])
    with pytest.raises(VerificationError, match="attributes missing \\['axis'\\]"):
        Graph("g", inputs=[x], nodes=[n], outputs=[n.result]).verify()


def test_update_rules():
    text = """graph @g(%x: f32[4]) state(%s: f32[4] {init="zeros"}) {
  %0 = relu(%x) : f32[4]
  return %0
  update %s = %0
}"""
    parse(text).verify()
    bad = parse(text.replace("state(%s: f32[4]", "state(%s: f32[5]"))
    with pytest.raises(VerificationError, match="new value type f32\\[4\\] != state type f32\\[5\\]"):
        bad.verify()
