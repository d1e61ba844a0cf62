"""convert-layout: one data_format, transposes only at the edges and at barriers; Keras's flatten order."""
import pytest

from kxla.testing import assert_ir_equal, assert_semantics_preserved, check_ir, run_pass

CONV = '{strides=[1,1], padding="same", data_format="%s", dilation_rate=[1,1], groups=1}'
CF, CL = CONV % "channels_first", CONV % "channels_last"

CNN_CF = f"""
graph @cnn(%x: f32[?,2,6,4]) params(%k: f32[3,3,2,3], %b: f32[3], %g: f32[3], %be: f32[3], %d: f32[18,5]) state(%m: f32[3], %v: f32[3]) {{
  %0 = conv2d(%x, %k) {CF} : f32[?,3,6,4]
  %1 = bias_add(%0, %b) {{axis=1}} : f32[?,3,6,4]
  %2 = batch_norm(%1, %m, %v, %g, %be) {{axis=1, epsilon=0.001}} : f32[?,3,6,4]
  %3 = relu(%2) : f32[?,3,6,4]
  %4 = max_pool2d(%3) {{pool_size=[2,2], strides=[2,2], padding="valid", data_format="channels_first"}} : f32[?,3,3,2]
  %5 = flatten(%4) {{data_format="channels_first"}} : f32[?,18]
  %6 = matmul(%5, %d) : f32[?,5]
  %7 = softmax(%6) {{axis=-1}} : f32[?,5]
  return %7
}}
"""


def test_channels_first_cnn_to_channels_last_needs_one_input_transpose():
    out, stats = run_pass("convert-layout{to=channels_last}", CNN_CF)
    assert_ir_equal(out, f"""
        graph @cnn(%x: f32[?,2,6,4]) params(%k: f32[3,3,2,3], %b: f32[3], %g: f32[3], %be: f32[3], %d: f32[18,5]) state(%m: f32[3], %v: f32[3]) {{
          %0 = transpose(%x) {{perm=[0,2,3,1]}} : f32[?,6,4,2]
          %1 = conv2d(%0, %k) {CL} : f32[?,6,4,3]
          %2 = bias_add(%1, %b) {{axis=3}} : f32[?,6,4,3]
          %3 = batch_norm(%2, %m, %v, %g, %be) {{axis=3, epsilon=0.001}} : f32[?,6,4,3]
          %4 = relu(%3) : f32[?,6,4,3]
          %5 = max_pool2d(%4) {{pool_size=[2,2], strides=[2,2], padding="valid", data_format="channels_last"}} : f32[?,3,2,3]
          %6 = flatten(%5) {{data_format="channels_last"}} : f32[?,18]
          %7 = matmul(%6, %d) : f32[?,5]
          %8 = softmax(%7) {{axis=-1}} : f32[?,5]
          return %8
        }}""")
    assert stats["transposes_inserted"] == 1 and stats["transposes_remaining"] == 1
    assert stats["ops_converted"] == 2 and stats.inserted == 1
    assert_semantics_preserved("convert-layout{to=channels_last}", CNN_CF, n=2, rtol=1e-4)


def test_round_trip_and_channels_last_to_channels_first():
    cl, _ = run_pass("convert-layout{to=channels_last}", CNN_CF)
    cf, stats = run_pass("convert-layout{to=channels_first}", cl)
    # the explicit input transpose is absorbed: back to the original graph, no transpose left
    assert_ir_equal(cf, CNN_CF)
    assert stats["transposes_cancelled"] == 1 and stats["transposes_remaining"] == 0


def test_does_not_fire_when_already_in_the_target_layout():
    out, stats = run_pass("convert-layout{to=channels_first}", CNN_CF)
    assert not stats.changed and stats["transposes_inserted"] == 0
    assert_ir_equal(out, CNN_CF)


def test_flatten_keeps_keras_element_order_for_a_channels_last_model_run_channels_first():
    src = f"""
        graph @g(%x: f32[?,6,4,2]) params(%k: f32[3,3,2,3], %d: f32[72,2]) {{
          %0 = conv2d(%x, %k) {CL} : f32[?,6,4,3]
          %1 = flatten(%0) {{data_format="channels_last"}} : f32[?,72]
          %2 = matmul(%1, %d) : f32[?,2]
          return %2
        }}"""
    out, stats = run_pass("convert-layout{to=channels_first}", src)
    check_ir(out, """
        CHECK: transpose(%x) {perm=[0,3,1,2]}
        CHECK-NEXT: conv(
        CHECK-SAME: data_format="channels_first"
        CHECK-NEXT: flatten(%1) {data_format="channels_first"}""")
    assert stats["transposes_remaining"] == 1
    assert_semantics_preserved("convert-layout{to=channels_first}", src, n=1, rtol=1e-4)


MIXED = f"""
graph @g(%x: f32[?,2,6,4]) params(%k: f32[1,1,2,3], %k2: f32[1,1,2,3]) {{
  %0 = conv2d(%x, %k) {CF} : f32[?,3,6,4]
  %1 = conv2d(%x, %k2) {CF} : f32[?,3,6,4]
  %2 = concatenate(%0, %1) {{axis=1}} : f32[?,6,6,4]
  %3 = softmax(%2) {{axis=1}} : f32[?,6,6,4]
  %4 = constant() {{value=[[[0.5]],[[1.0]],[[1.5]],[[2.0]],[[2.5]],[[3.0]]], shape=[6,1,1], dtype="float32"}} : f32[6,1,1]
  %5 = multiply(%3, %4) : f32[?,6,6,4]
  %6 = mean(%5) {{axis=[2,3], keepdims=false}} : f32[?,6]
  %7 = sum(%5) {{axis=[1], keepdims=true}} : f32[?,1,6,4]
  %8 = reshape(%7) {{shape=[-1,24]}} : f32[?,24]
  %9 = dropout(%5) {{rate=0.0, noise_shape=none, seed=1}} : f32[?,6,6,4]
  return %6, %8, %9
}}
"""


def test_axis_ops_are_remapped_and_barriers_get_logical_layout_back():
    out, stats = run_pass("convert-layout{to=channels_last}", MIXED)
    check_ir(out, """
        CHECK: %0 = transpose(%x) {perm=[0,2,3,1]}
        CHECK: concatenate(%1, %2) {axis=3}
        CHECK-NEXT: softmax(%3) {axis=3}
        CHECK: reshape(%5) {shape=[1,1,1,6]} : f32[1,1,1,6]
        CHECK-NEXT: multiply(%4, %6)
        CHECK: mean({{%[0-9]+}}) {axis=[1,2], keepdims=false} : f32[?,6]
        CHECK: sum({{%[0-9]+}}) {axis=[3], keepdims=true} : f32[?,6,4,1]
        CHECK-NEXT: transpose
        CHECK-NEXT: reshape
        CHECK: transpose
        CHECK-NEXT: dropout""")
    assert stats["ops_converted"] == 2
    assert_semantics_preserved("convert-layout{to=channels_last}", MIXED, n=2, rtol=1e-4)


@pytest.mark.parametrize("to", ["channels_last", "channels_first"])
def test_explicit_transpose_pairs_are_absorbed(to):
    src = f"""
        graph @g(%x: f32[?,2,6,4]) params(%k: f32[3,3,2,3]) {{
          %0 = transpose(%x) {{perm=[0,2,3,1]}} : f32[?,6,4,2]
          %1 = conv2d(%0, %k) {CL} : f32[?,6,4,3]
          %2 = transpose(%1) {{perm=[0,3,1,2]}} : f32[?,3,6,4]
          %3 = relu(%2) : f32[?,3,6,4]
          return %3
        }}"""
    out, stats = run_pass(f"convert-layout{{to={to}}}", src)
    if to == "channels_first":                 # the conv absorbs both transposes
        check_ir(out, "CHECK-NOT: transpose")
        assert stats["transposes_cancelled"] == 2 and stats["transposes_remaining"] == 0
    else:
        assert stats["transposes_remaining"] == 2
    assert_semantics_preserved(f"convert-layout{{to={to}}}", src, n=1, rtol=1e-4, grads=False)
