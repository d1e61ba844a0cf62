"""fuse-parallel-matmul: matmuls sharing an input -> one matmul on concatenated kernels + split."""
from kxla.testing import assert_ir_equal, assert_semantics_preserved, run_pass

QKV = """
graph @g(%x: f32[?,5,6]) params(%q: f32[6,4], %k: f32[6,4], %v: f32[6,3], %o: f32[3,2]) {
  %0 = matmul(%x, %q) : f32[?,5,4]  // q
  %1 = matmul(%x, %k) : f32[?,5,4]  // k
  %2 = matmul(%x, %v) : f32[?,5,3]  // v
  %3 = multiply(%0, %1) : f32[?,5,4]
  %4 = matmul(%2, %o) : f32[?,5,2]
  return %3, %4
}
"""


def test_three_projections_become_one_matmul_and_a_split():
    out, stats = run_pass("fuse-parallel-matmul", QKV)
    assert_ir_equal(out, """
        graph @g(%x: f32[?,5,6]) params(%q: f32[6,4], %k: f32[6,4], %v: f32[6,3], %o: f32[3,2]) {
          %0 = concatenate(%q, %k, %v) {axis=1} : f32[6,11]
          %1 = matmul(%x, %0) : f32[?,5,11]
          %2, %3, %4 = split(%1) {indices=[4,8], axis=2} : f32[?,5,4], f32[?,5,4], f32[?,5,3]
          %5 = multiply(%2, %3) : f32[?,5,4]
          %6 = matmul(%4, %o) : f32[?,5,2]
          return %5, %6
        }""")
    assert (stats.inserted, stats.replaced, stats.removed) == (3, 3, 0)
    assert stats["groups"] == 1 and stats["matmuls_fused"] == 3
    assert_semantics_preserved("fuse-parallel-matmul", QKV, n=2)


def test_does_not_fire_on_single_or_incompatible_or_data_dependent_kernels():
    src = """
        graph @g(%x: f32[?,6], %y: f32[6,4]) params(%q: f32[6,4], %k: f32[4,4], %w: f16[6,2]) {
          %0 = matmul(%x, %q) : f32[?,4]
          %1 = matmul(%x, %y) : f32[?,4]
          %2 = matmul(%y, %k) : f32[6,4]
          %3 = matmul(%x, %w) : f32[?,2]
          return %0, %1, %2, %3
        }"""
    out, stats = run_pass("fuse-parallel-matmul", src)
    assert not stats.changed and stats["groups"] == 0
    assert_ir_equal(out, src)
    _, stats = run_pass("fuse-parallel-matmul{min_group=4}", QKV)
    assert not stats.changed
