"""shape-inference and specialize: types from the op rules, defaults filled, errors name node and layer."""
import pytest

from kxla.passes import PassError
from kxla.testing import assert_ir_equal, assert_semantics_preserved, graph_from_text, run_pass

# result types are placeholders and bias_add's default axis is left out
LOOSE = """
graph @g(%x: f32[?,4]) params(%k: f32[4,3], %b: f32[3]) {
  %0 = matmul(%x, %k) : f32[1]
  %1 = bias_add(%0, %b) : f32[1]
  %2 = relu(%1) : f32[1]
  %3 = mean(%2) {axis=[1]} : f32[1]
  return %3
}
"""
EXPECTED = """
graph @g(%x: f32[?,4]) params(%k: f32[4,3], %b: f32[3]) {
  %0 = matmul(%x, %k) : f32[?,3]
  %1 = bias_add(%0, %b) {axis=-1} : f32[?,3]
  %2 = relu(%1) : f32[?,3]
  %3 = mean(%2) {axis=[1], keepdims=false} : f32[?]
  return %3
}
"""


def test_shape_inference_fills_types_and_default_attributes():
    out, stats = run_pass("shape-inference", graph_from_text(LOOSE, verify=False))
    assert_ir_equal(out, EXPECTED)
    assert stats.modified == 4 and stats.inserted == stats.removed == stats.replaced == 0


def test_shape_inference_leaves_a_typed_graph_alone():
    _, stats = run_pass("shape-inference", EXPECTED)
    assert not stats.changed and stats.modified == 0


def test_batch_option_and_specialize_fix_the_batch_dimension():
    out, stats = run_pass("shape-inference{batch=8}", EXPECTED)
    assert str(out.inputs[0].type) == "f32[8,4]" and str(out.outputs[0].type) == "f32[8]"
    assert stats.modified == 5                       # the input and the four nodes
    out2, _ = run_pass("specialize{batch=8}", EXPECTED)
    assert_ir_equal(out, out2)
    assert_semantics_preserved("specialize{batch=2}", EXPECTED, n=1, batch=2)


def test_shape_errors_name_the_node_and_layer():
    bad = """
        graph @g(%x: f32[?,5]) params(%k: f32[4,3]) {
          %0 = relu(%x) : f32[?,5]
          %1 = matmul(%0, %k) : f32[?,3]  // block/dense
          return %1
        }"""
    with pytest.raises(PassError, match=r"node matmul \(layer 'block/dense'\) #1.*contraction mismatch"):
        run_pass("shape-inference", graph_from_text(bad, verify=False))


def test_shape_inference_semantics():
    assert_semantics_preserved("shape-inference", EXPECTED, n=1)
