"""fold-batchnorm: conv/matmul (+ bias) + inference batch_norm -> rescaled conv, computed in the graph."""
import pytest

from kxla.testing import assert_ir_equal, assert_semantics_preserved, check_ir, run_pass

CONV_BIAS_BN = """
graph @g(%x: f32[?,5,4,2]) params(%k: f32[3,3,2,3], %b: f32[3], %gamma: f32[3], %beta: f32[3]) state(%mean: f32[3], %var: f32[3]) {
  %0 = conv2d(%x, %k) {strides=[1,1], padding="same", data_format="channels_last", dilation_rate=[1,1], groups=1} : f32[?,5,4,3]  // conv
  %1 = bias_add(%0, %b) {axis=-1} : f32[?,5,4,3]  // conv
  %2 = batch_norm(%1, %mean, %var, %gamma, %beta) {axis=-1, epsilon=0.001} : f32[?,5,4,3]  // bn
  %3 = relu(%2) : f32[?,5,4,3]
  return %3
}
"""


def test_conv_bias_bn_folds_into_kernel_and_bias_nodes():
    out, stats = run_pass("fold-batchnorm", CONV_BIAS_BN)
    assert_ir_equal(out, """
        graph @g(%x: f32[?,5,4,2]) params(%k: f32[3,3,2,3], %b: f32[3], %gamma: f32[3], %beta: f32[3]) state(%mean: f32[3], %var: f32[3]) {
          %0 = constant() {value=0.001, shape=[], dtype="float32"} : f32[]
          %1 = add(%var, %0) : f32[3]
          %2 = rsqrt(%1) : f32[3]
          %3 = multiply(%2, %gamma) : f32[3]
          %4 = multiply(%k, %3) : f32[3,3,2,3]
          %5 = conv2d(%x, %4) {strides=[1,1], padding="same", data_format="channels_last", dilation_rate=[1,1], groups=1} : f32[?,5,4,3]
          %6 = subtract(%b, %mean) : f32[3]
          %7 = multiply(%6, %3) : f32[3]
          %8 = add(%7, %beta) : f32[3]
          %9 = bias_add(%5, %8) {axis=-1} : f32[?,5,4,3]
          %10 = relu(%9) : f32[?,5,4,3]
          return %10
        }""")
    assert (stats.inserted, stats.replaced, stats.removed, stats.modified) == (8, 1, 0, 2)
    assert stats["folded"] == 1
    assert [v.name for v in out.params] == ["k", "b", "gamma", "beta"]      # weights untouched, unfolded
    assert_semantics_preserved("fold-batchnorm", CONV_BIAS_BN, n=2, rtol=1e-4, atol=1e-5)


CHANNELS_FIRST_NO_BIAS = """
graph @g(%x: f32[?,2,5,4]) params(%k: f32[1,1,2,3], %gamma: f32[3], %beta: f32[3]) state(%mean: f32[3], %var: f32[3]) {
  %0 = conv2d(%x, %k) {strides=[1,1], padding="valid", data_format="channels_first", dilation_rate=[1,1], groups=1} : f32[?,3,5,4]
  %1 = batch_norm(%0, %mean, %var, %gamma, %beta) {axis=1, epsilon=0.001} : f32[?,3,5,4]
  return %1
}
"""


def test_channels_first_conv_without_bias_gets_a_bias_add():
    out, stats = run_pass("fold-batchnorm", CHANNELS_FIRST_NO_BIAS)
    check_ir(out, """
        CHECK: multiply(%k, %3) : f32[1,1,2,3]
        CHECK-NEXT: multiply(%mean, %3)
        CHECK-NEXT: subtract(%beta, %5)
        CHECK-NEXT: conv(%x, %4)
        CHECK-SAME: data_format="channels_first"
        CHECK-NEXT: bias_add(%7, %6) {axis=1}
        CHECK-NOT: batch_norm
        CHECK: return %8""")
    assert (stats.inserted, stats.replaced, stats.modified) == (8, 1, 1)
    assert_semantics_preserved("fold-batchnorm", CHANNELS_FIRST_NO_BIAS, n=2, rtol=1e-4)


DENSE_AND_CONV1D = """
graph @g(%x: f32[?,6,2], %h: f32[?,4]) params(%k1: f32[3,2,3], %kd: f32[4,2], %bd: f32[2], %g1: f32[3], %b1: f32[3], %g2: f32[2], %b2: f32[2]) state(%m1: f32[3], %v1: f32[3], %m2: f32[2], %v2: f32[2]) {
  %0 = conv1d(%x, %k1) {strides=[1], padding="same", data_format="channels_last", dilation_rate=[1], groups=1} : f32[?,6,3]
  %1 = batch_norm(%0, %m1, %v1, %g1, %b1) {axis=2, epsilon=0.001} : f32[?,6,3]
  %2 = matmul(%h, %kd) : f32[?,2]
  %3 = bias_add(%2, %bd) {axis=-1} : f32[?,2]
  %4 = batch_norm(%3, %m2, %v2, %g2, %b2) {axis=-1, epsilon=1e-05} : f32[?,2]
  return %1, %4
}
"""


def test_conv1d_and_dense_fold():
    out, stats = run_pass("fold-batchnorm", DENSE_AND_CONV1D)
    assert stats["folded"] == 2
    check_ir(out, "CHECK-NOT: batch_norm\nCHECK: multiply(%kd, {{%[0-9]+}}) : f32[4,2]")
    assert_semantics_preserved("fold-batchnorm", DENSE_AND_CONV1D, n=2, rtol=1e-4)


DONT = {
    "conv output read twice": """
        graph @g(%x: f32[?,3]) params(%k: f32[3,2], %gamma: f32[2], %beta: f32[2]) state(%m: f32[2], %v: f32[2]) {
          %0 = matmul(%x, %k) : f32[?,2]
          %1 = batch_norm(%0, %m, %v, %gamma, %beta) {axis=-1, epsilon=0.001} : f32[?,2]
          return %1, %0
        }""",
    "training batch statistics": """
        graph @g(%x: f32[?,3]) params(%k: f32[3,2], %gamma: f32[2], %beta: f32[2]) {
          %0 = matmul(%x, %k) : f32[?,2]
          %1, %2 = moments(%0) {axes=[0], keepdims=false} : f32[2], f32[2]
          %3 = batch_norm(%0, %1, %2, %gamma, %beta) {axis=-1, epsilon=0.001} : f32[?,2]
          return %3
        }""",
    "normalizing a non-channel axis": """
        graph @g(%x: f32[?,2,5,4]) params(%k: f32[1,1,2,3], %gamma: f32[5], %beta: f32[5]) state(%m: f32[5], %v: f32[5]) {
          %0 = conv2d(%x, %k) {strides=[1,1], padding="valid", data_format="channels_first", dilation_rate=[1,1], groups=1} : f32[?,3,5,4]
          %1 = batch_norm(%0, %m, %v, %gamma, %beta) {axis=2, epsilon=0.001} : f32[?,3,5,4]
          return %1
        }""",
    "batch_norm after an activation": """
        graph @g(%x: f32[?,3]) params(%k: f32[3,2], %gamma: f32[2], %beta: f32[2]) state(%m: f32[2], %v: f32[2]) {
          %0 = matmul(%x, %k) : f32[?,2]
          %1 = relu(%0) : f32[?,2]
          %2 = batch_norm(%1, %m, %v, %gamma, %beta) {axis=-1, epsilon=0.001} : f32[?,2]
          return %2
        }""",
    "mixed dtypes": """
        graph @g(%x: f16[?,3]) params(%k: f16[3,2], %gamma: f32[2], %beta: f32[2]) state(%m: f32[2], %v: f32[2]) {
          %0 = matmul(%x, %k) : f16[?,2]
          %1 = batch_norm(%0, %m, %v, %gamma, %beta) {axis=-1, epsilon=0.001} : f32[?,2]
          return %1
        }""",
}


@pytest.mark.parametrize("name", list(DONT))
def test_does_not_fire(name):
    out, stats = run_pass("fold-batchnorm", DONT[name])
    assert not stats.changed and stats.inserted == 0
    assert_ir_equal(out, DONT[name])


def test_gradients_are_preserved_through_the_folded_graph():
    # the fold is computed from the parameters, so gradients w.r.t. kernel/gamma/beta still match
    assert_semantics_preserved("fold-batchnorm", DENSE_AND_CONV1D, n=1, grads=True, rtol=1e-4, atol=1e-4)
