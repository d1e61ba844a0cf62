"""cse: merges duplicates (commutative inputs in any order), never random ops."""
from kxla.testing import assert_ir_equal, assert_semantics_preserved, check_ir, run_pass

G = """
graph @g(%x: f32[?,3], %y: f32[?,3]) {
  %0 = add(%x, %y) : f32[?,3]
  %1 = add(%y, %x) : f32[?,3]
  %2 = multiply(%0, %1) : f32[?,3]
  %3 = subtract(%x, %y) : f32[?,3]
  %4 = subtract(%y, %x) : f32[?,3]
  %5 = softmax(%2) {axis=-1} : f32[?,3]
  %6 = softmax(%2) {axis=0} : f32[?,3]
  %7 = multiply(%0, %1) : f32[?,3]
  return %3, %4, %5, %6, %7
}
"""


def test_cse_merges_equal_nodes():
    out, stats = run_pass("cse", G)
    assert_ir_equal(out, """
        graph @g(%x: f32[?,3], %y: f32[?,3]) {
          %0 = add(%x, %y) : f32[?,3]
          %1 = multiply(%0, %0) : f32[?,3]
          %2 = subtract(%x, %y) : f32[?,3]
          %3 = subtract(%y, %x) : f32[?,3]
          %4 = softmax(%1) {axis=-1} : f32[?,3]
          %5 = softmax(%1) {axis=0} : f32[?,3]
          return %2, %3, %4, %5, %1
        }""")
    assert (stats.replaced, stats.removed, stats.inserted) == (2, 0, 0)   # add(y,x) then the second multiply


def test_cse_never_merges_random_ops():
    g = """
        graph @g(%x: f32[4]) {
          %0 = dropout(%x) {rate=0.5, noise_shape=none, seed=none} : f32[4]
          %1 = dropout(%x) {rate=0.5, noise_shape=none, seed=none} : f32[4]
          %2 = constant() {value=2.0, shape=[], dtype="float32"} : f32[]
          %3 = constant() {value=2.0, shape=[], dtype="float32"} : f32[]
          %4 = constant() {value=2, shape=[], dtype="int32"} : i32[]
          return %0, %1, %2, %3, %4
        }"""
    out, stats = run_pass("cse", g)
    check_ir(out, "CHECK-COUNT-2: dropout\nCHECK-COUNT-2: constant")
    assert stats.replaced == 1


def test_cse_semantics():
    assert_semantics_preserved("cse", G, n=2)
