"""cancel-transposes: pairs, chains, identity transposes, sinking through unary elementwise ops."""
from kxla.testing import assert_ir_equal, assert_semantics_preserved, check_ir, run_pass

SRC = """
graph @g(%x: f32[2,3,4]) {
  %0 = transpose(%x) {perm=[1,2,0]} : f32[3,4,2]
  %1 = relu(%0) : f32[3,4,2]
  %2 = transpose(%1) {perm=[2,0,1]} : f32[2,3,4]
  %3 = transpose(%x) {perm=[0,1,2]} : f32[2,3,4]
  %4 = transpose(%3) {perm=[2,1,0]} : f32[4,3,2]
  %5 = transpose(%4) {perm=[1,0,2]} : f32[3,4,2]
  return %2, %5
}
"""


def test_pairs_chains_and_sinking():
    out, stats = run_pass("cancel-transposes", SRC)
    assert_ir_equal(out, """
        graph @g(%x: f32[2,3,4]) {
          %0 = relu(%x) : f32[2,3,4]
          %1 = transpose(%x) {perm=[1,2,0]} : f32[3,4,2]
          return %0, %1
        }""")
    assert stats["transposes_cancelled"] == 4 and stats["transposes_remaining"] == 1
    assert_semantics_preserved("cancel-transposes", SRC, n=1)


def test_does_not_sink_through_a_shared_value():
    src = """
        graph @g(%x: f32[2,3]) {
          %0 = transpose(%x) {perm=[1,0]} : f32[3,2]
          %1 = relu(%0) : f32[3,2]
          %2 = transpose(%1) {perm=[1,0]} : f32[2,3]
          return %2, %1
        }"""
    out, stats = run_pass("cancel-transposes", src)
    assert not stats.changed
    assert_ir_equal(out, src)
    check_ir(out, "CHECK-COUNT-2: transpose")
