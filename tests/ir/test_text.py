"""IR text: printing, parsing, exact round trips and syntax errors."""
import pytest

import kxla  # noqa: F401  (registers ops)
from kxla.ir import Graph, IRSyntaxError, Node, TensorType, Value, VerificationError, parse, print_graph

BN = """graph @bn(%x: f32[?,4]) params(%k: f32[4,4] {init="glorot_uniform", trainable=false}) state(%bn.mean: f32[4] {init="zeros"}) {
  %0 = matmul(%x, %k) : f32[?,4]  // dense
  %1 = mean(%0) {axis=[0], keepdims=false} : f32[4]  // bn
  %2 = constant() {value=0.5, shape=[], dtype="float32"} : f32[]
  %3 = multiply(%1, %2) : f32[4]
  return %0, %3
  update %bn.mean = %3
}"""


def test_print_builds_the_design_text():
    x = Value(TensorType((None, 4)), "x", kind="input")
    k = Value(TensorType((4, 2)), "dense.kernel", kind="param", attrs={"init": "glorot_uniform"})
    n = Node("matmul", [x, k], {}, [TensorType((None, 2))], layer="dense")
    r = Node("relu", [n.result], {}, [TensorType((None, 2))], layer="dense")
    g = Graph("mlp", inputs=[x], params=[k], nodes=[n, r], outputs=[r.result])
    assert print_graph(g) == (
        'graph @mlp(%x: f32[?,4]) params(%dense.kernel: f32[4,2] {init="glorot_uniform"}) {\n'
        "  %0 = matmul(%x, %dense.kernel) : f32[?,2]  // dense\n"
        "  %1 = relu(%0) : f32[?,2]  // dense\n"
        "  return %1\n"
        "}")


@pytest.mark.parametrize("text", [BN])
def test_round_trip_is_exact(text):
    g = parse(text)
    assert str(g) == text
    assert str(parse(str(g))) == str(g)


def test_parse_recovers_structure():
    g = parse(BN)
    assert [v.name for v in g.inputs] == ["x"]
    assert g.params[0].attrs == {"init": "glorot_uniform", "trainable": False}
    assert not g.params[0].trainable
    assert g.state[0].kind == "state"
    assert [n.op for n in g.nodes] == ["matmul", "mean", "constant", "multiply"]
    assert g.nodes[1].attrs == {"axis": [0], "keepdims": False}
    assert g.nodes[0].layer == "dense" and g.nodes[2].layer is None
    assert g.updates[0][0] is g.state[0] and g.updates[0][1] is g.nodes[3].result
    assert g.outputs[1] is g.nodes[3].result
    assert list(g.nodes[0].result.users) == [g.nodes[1]]


def test_attribute_values_round_trip():
    from kxla.ir import format_attr
    from kxla.ir.parser import _Parser
    for value in [1, -3, 0.5, 1e-07, float("inf"), True, False, None, "a \"q\"", [1, [2.5, "x"]], []]:
        text = format_attr(value)
        assert _Parser(text).attr_value() == value, text


@pytest.mark.parametrize("bad, message", [
    ("graph @g(%x: f32[?,4]) {\n  return %y\n}", "undefined value %y"),
    ("graph @g(%x: f33[4]) {\n  return %x\n}", "expected a dtype"),
    ("graph @g(%x: f32[4]) {\n  %0 = relu(%x) : f32[4]\n  %0 = relu(%x) : f32[4]\n  return %0\n}",
     "defined twice"),
    ("graph @g(%x: f32[4]) {\n  %0 = relu(%x) : f32[4], f32[4]\n  return %0\n}", "1 result(s) but 2 type(s)"),
    ("graph g(%x: f32[4]) {\n  return %x\n}", "expected a graph name"),
])
def test_syntax_errors_name_the_line(bad, message):
    with pytest.raises(IRSyntaxError, match="line") as e:
        parse(bad)
    assert message in str(e.value)


def test_clone_is_independent():
    g = parse(BN)
    c = g.clone()
    assert str(c) == str(g)
    c.nodes[0].attrs["x"] = 1
    assert "x" not in g.nodes[0].attrs


def test_to_dot_mentions_every_node():
    g = parse(BN)
    dot = g.to_dot()
    assert dot.startswith('digraph "bn"')
    for op in ("matmul", "mean", "multiply"):
        assert op in dot


def test_omitted_attributes_with_defaults_take_them_and_required_ones_stay_missing():
    import kxla.ops  # noqa: F401  (registers the ops)
    older = """graph @g(%x: f32[2]) {
      %0 = random_normal() {shape=[2], mean=0.0, stddev=1.0, dtype="float32", seed=1} : f32[2]
      return %0
    }"""
    g = parse(older)                       # IR printed before random_normal gained like_axes
    g.verify()
    assert "seed=1, like_axes=none}" in print_graph(g)
    required = """graph @g(%x: f32[2,3]) {
      %0 = transpose(%x) : f32[3,2]
      return %0
    }"""
    with pytest.raises(VerificationError, match="missing required attribute 'perm'"):
        parse(required).verify()
