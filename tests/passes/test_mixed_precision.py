"""mixed-precision: casts around matmul/conv nodes, float32 elsewhere; options only/skip; numerics."""
import numpy as np
import pytest

import kxla
from kxla.passes import PassManager, parse_pipeline
from kxla.testing import assert_ir_equal, assert_semantics_preserved, graph_from_text, run_pass
from kxla.testing.numerics import evaluate, random_arguments

DENSE = """
graph @mlp(%x: f32[?,4]) params(%d.kernel: f32[4,8], %d.bias: f32[8], %h.kernel: f32[8,2]) {
  %0 = matmul(%x, %d.kernel) : f32[?,8]  // d
  %1 = bias_add(%0, %d.bias) {axis=-1} : f32[?,8]  // d
  %2 = relu(%1) : f32[?,8]  // d
  %3 = matmul(%2, %h.kernel) : f32[?,2]  // h
  %4 = softmax(%3) {axis=-1} : f32[?,2]  // h
  return %4
}
"""


def test_casts_inputs_to_bf16_and_results_back_to_f32():
    out, stats = run_pass("mixed-precision{policy=mixed_bfloat16}", graph_from_text(DENSE))
    assert_ir_equal(out, """
    graph @mlp(%x: f32[?,4]) params(%d.kernel: f32[4,8], %d.bias: f32[8], %h.kernel: f32[8,2]) {
      %0 = cast(%x) {dtype="bfloat16"} : bf16[?,4]  // d
      %1 = cast(%d.kernel) {dtype="bfloat16"} : bf16[4,8]  // d
      %2 = matmul(%0, %1) : bf16[?,8]  // d
      %3 = cast(%2) {dtype="float32"} : f32[?,8]  // d
      %4 = bias_add(%3, %d.bias) {axis=-1} : f32[?,8]  // d
      %5 = relu(%4) : f32[?,8]  // d
      %6 = cast(%5) {dtype="bfloat16"} : bf16[?,8]  // h
      %7 = cast(%h.kernel) {dtype="bfloat16"} : bf16[8,2]  // h
      %8 = matmul(%6, %7) : bf16[?,2]  // h
      %9 = cast(%8) {dtype="float32"} : f32[?,2]  // h
      %10 = softmax(%9) {axis=-1} : f32[?,2]  // h
      return %10
    }
    """)
    assert stats["nodes_converted"] == 2 and stats["casts_inserted"] == 6 and stats["replaced"] == 2


def test_skip_and_only_select_layers_and_options_round_trip():
    g = graph_from_text(DENSE)
    skipped, _ = run_pass("mixed-precision{policy=mixed_float16,skip=[h]}", g)
    only, _ = run_pass("mixed-precision{policy=mixed_float16,only=[h]}", g)
    text_skip, text_only = str(skipped), str(only)
    assert "%h.kernel) : f32[?,2]" in text_skip                 # h stays float32
    assert text_skip.count('dtype="float16"') == 2 and text_only.count('dtype="float16"') == 2
    assert "matmul(%x, %d.kernel) : f32[?,8]" in text_only
    (p,) = parse_pipeline("mixed-precision{policy=mixed_float16,skip=[a,b]}")
    assert p.skip == ("a", "b") and str(p) == "mixed-precision{policy=mixed_float16,skip=[a,b]}"


def test_fused_conv_and_shared_inputs_are_cast_once():
    g = graph_from_text("""
    graph @c(%x: f32[?,8,8,3]) params(%k1: f32[3,3,3,4], %k2: f32[3,3,3,4], %b: f32[4]) {
      %0 = fused_conv2d(%x, %k1, %b) {activation="relu"} : f32[?,6,6,4]
      %1 = conv2d(%x, %k2) : f32[?,6,6,4]
      %2 = add(%0, %1) : f32[?,6,6,4]
      return %2
    }""", infer=True)
    out, stats = run_pass("mixed-precision", g)
    text = str(out)
    assert text.count("cast(%x)") == 1                  # one cast of the shared input
    assert "conv(" in text and "bf16[?,6,6,4]" in text
    assert stats["nodes_converted"] == 2 and stats["casts_inserted"] == 1 + 3 + 2
    out.verify()


def test_leaves_integer_and_already_low_precision_nodes_alone():
    g = graph_from_text("""
    graph @g(%x: bf16[?,4], %i: i32[?,4]) params(%k: bf16[4,2], %ki: i32[4,2]) {
      %0 = matmul(%x, %k) : bf16[?,2]
      %1 = matmul(%i, %ki) : i32[?,2]
      return %0, %1
    }""")
    out, stats = run_pass("mixed-precision", g)
    assert not stats.changed
    assert_ir_equal(out, g)


@pytest.mark.parametrize("policy,tol", [("mixed_bfloat16", 3e-2), ("mixed_float16", 3e-3)])
def test_numerics_close_to_float32(policy, tol):
    g = graph_from_text(DENSE)
    low = PassManager(f"mixed-precision{{policy={policy}}}").run(g)
    args = random_arguments(g, batch=16, seed=0)
    (ref,), _ = evaluate(g, *args)
    (new,), _ = evaluate(low, *args)
    assert new.dtype == np.float32
    np.testing.assert_allclose(new, ref, atol=tol, rtol=tol)
    # outputs and parameter gradients (float32, through the casts) agree within the 16-bit tolerance
    assert_semantics_preserved(f"mixed-precision{{policy={policy}}}", g, n=1, rtol=tol, atol=tol, batch=8)


def test_listed_in_available_passes():
    assert "mixed-precision" in kxla.passes.available()
