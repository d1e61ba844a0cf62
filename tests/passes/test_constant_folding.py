"""constant-folding: folds constant-only subgraphs with numpy; parameters are never constants."""
import numpy as np

from kxla.testing import assert_ir_equal, assert_semantics_preserved, check_ir, run_pass

SRC = """
graph @g(%x: f32[?,2]) params(%w: f32[2]) {
  %0 = constant() {value=[1.0,4.0], shape=[2], dtype="float32"} : f32[2]
  %1 = sqrt(%0) : f32[2]
  %2 = constant() {value=3.0, shape=[], dtype="float32"} : f32[]
  %3 = multiply(%1, %2) : f32[2]
  %4 = add(%x, %3) : f32[?,2]
  %5 = multiply(%w, %2) : f32[2]
  %6 = add(%4, %5) : f32[?,2]
  return %6
}
"""


def test_folds_constant_chains_but_not_parameters():
    out, stats = run_pass("constant-folding", SRC)
    assert_ir_equal(out, """
        graph @g(%x: f32[?,2]) params(%w: f32[2]) {
          %0 = constant() {value=3.0, shape=[], dtype="float32"} : f32[]
          %1 = constant() {value=[3.0,6.0], shape=[2], dtype="float32"} : f32[2]
          %2 = add(%x, %1) : f32[?,2]
          %3 = multiply(%w, %0) : f32[2]
          %4 = add(%2, %3) : f32[?,2]
          return %4
        }""")
    assert stats["folded"] == 2 and (stats.inserted, stats.replaced, stats.removed) == (2, 2, 2)
    assert_semantics_preserved("constant-folding", SRC, n=2)


def test_does_not_fold_random_large_or_unknown_ops():
    src = """
        graph @g(%x: f32[2]) {
          %0 = random_normal() {shape=[2], mean=0.0, stddev=1.0, dtype="float32", seed=1, like_axes=none} : f32[2]
          %1 = exp(%0) : f32[2]
          %2 = constant() {value=[[[[1.0]]]], shape=[1,1,1,1], dtype="float32"} : f32[1,1,1,1]
          %3 = resize(%2) {size=[2,2], interpolation="bilinear", antialias=false, data_format="channels_last"} : f32[1,2,2,1]
          return %1, %3
        }"""
    out, stats = run_pass("constant-folding", src)      # resize has no numpy reference
    assert not stats.changed
    big = """
        graph @g() {
          %0 = constant() {value=[1.0,2.0,3.0], shape=[3], dtype="float32"} : f32[3]
          %1 = exp(%0) : f32[3]
          return %1
        }"""
    _, stats = run_pass("constant-folding{max_elements=2}", big)
    assert not stats.changed


def test_folded_values_match_numpy_dtypes():
    src = """
        graph @g() {
          %0 = constant() {value=[[1,2],[3,4]], shape=[2,2], dtype="int32"} : i32[2,2]
          %1 = transpose(%0) {perm=[1,0]} : i32[2,2]
          %2 = sum(%1) {axis=[0], keepdims=false} : i32[2]
          %3 = cast(%2) {dtype="float32"} : f32[2]
          return %3
        }"""
    out, stats = run_pass("constant-folding", src)
    check_ir(out, 'CHECK: constant() {value=[3.0,7.0], shape=[2], dtype="float32"}\nCHECK-NEXT: return')
    assert stats["folded"] == 3
    assert_semantics_preserved("constant-folding", src, n=1, grads=False)
    assert np.float32(out.nodes[0].attrs["value"][1]) == 7
