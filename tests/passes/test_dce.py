"""dce: removes unread nodes, keeps graph arguments, outputs, state updates."""
from kxla.testing import assert_ir_equal, assert_semantics_preserved, run_pass

G = """
graph @g(%x: f32[?,3]) params(%k: f32[3,3], %unused: f32[7]) state(%m: f32[3]) {
  %0 = matmul(%x, %k) : f32[?,3]
  %1 = tanh(%0) : f32[?,3]
  %2 = sigmoid(%1) : f32[?,3]
  %3 = relu(%0) : f32[?,3]
  %4 = dropout(%1) {rate=0.5, noise_shape=none, seed=none} : f32[?,3]
  %5 = mean(%3) {axis=[0], keepdims=false} : f32[3]
  %6 = dropout(%0) {rate=0.5, noise_shape=none, seed=3} : f32[?,3]
  return %6
  update %m = %5
}
"""


def test_dce_removes_unused_nodes_and_unused_random_nodes():
    out, stats = run_pass("dce", G)
    assert_ir_equal(out, """
        graph @g(%x: f32[?,3]) params(%k: f32[3,3], %unused: f32[7]) state(%m: f32[3]) {
          %0 = matmul(%x, %k) : f32[?,3]
          %1 = relu(%0) : f32[?,3]
          %2 = mean(%1) {axis=[0], keepdims=false} : f32[3]
          %3 = dropout(%0) {rate=0.5, noise_shape=none, seed=3} : f32[?,3]
          return %3
          update %m = %2
        }""")
    assert (stats.removed, stats.inserted, stats.replaced) == (3, 0, 0)
    assert [v.name for v in out.params] == ["k", "unused"]            # graph arguments stay


def test_dce_does_not_fire_on_a_live_graph():
    out, stats = run_pass("dce", run_pass("dce", G)[0])
    assert stats.removed == 0 and not stats.changed


def test_dce_semantics():
    assert_semantics_preserved("dce", G, n=2)
