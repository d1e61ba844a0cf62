"""Rewriter counts and ordering; the pattern-rewrite helper."""
import pytest

from kxla.ir import VerificationError
from kxla.passes import Rewriter
from kxla.passes.pattern import C, P, V, apply_rules, match
from kxla.testing import assert_ir_equal, graph_from_text

G = """
graph @g(%x: f32[?,3], %y: f32[?,3]) {
  %0 = constant() {value=1.0, shape=[], dtype="float32"} : f32[]
  %1 = multiply(%0, %x) : f32[?,3]
  %2 = add(%1, %y) : f32[?,3]
  %3 = relu(%2) : f32[?,3]
  return %3
}
"""


def test_insert_replace_erase_are_counted_and_edit_the_list_in_place():
    g = graph_from_text(G)
    rw = Rewriter(g)
    add, relu = g.nodes[2], g.nodes[3]
    neg = rw.insert("negative", [g.inputs[0]], before=add)
    rw.set_input(add, 1, neg.results[0])
    rw.replace_node(g.nodes[1], [g.inputs[0]])
    rw.erase_if_dead(g.nodes[0])
    rw.count("custom", 2)
    assert (rw.inserted, rw.replaced, rw.removed, rw.modified) == (1, 1, 1, 1)
    assert rw.counters["custom"] == 2
    g.verify()
    assert [n.op for n in g.nodes] == ["negative", "add", "relu"] and g.nodes[-1] is relu
    assert_ir_equal(g, """
        graph @g(%x: f32[?,3], %y: f32[?,3]) {
          %0 = negative(%x) : f32[?,3]
          %1 = add(%x, %0) : f32[?,3]
          %2 = relu(%1) : f32[?,3]
          return %2
        }""")


def test_a_node_placed_after_its_reader_is_rejected_not_reordered():
    g = graph_from_text(G)
    rw = Rewriter(g)
    neg = rw.insert("negative", [g.inputs[0]])              # at the end, after the add that will read it
    rw.set_input(g.nodes[2], 1, neg.results[0])
    assert [n.op for n in g.nodes] == ["constant", "multiply", "add", "relu", "negative"]
    with pytest.raises(VerificationError, match=r"node add #2: input 1 .* used before it is defined"):
        g.verify()
    rw.move_before(neg, g.nodes[2])                           # the pass fixes its own order explicitly
    g.verify()
    assert [n.op for n in g.nodes] == ["constant", "multiply", "negative", "add", "relu"]


def test_hoist_moves_a_late_static_chain_before_the_anchor_or_declines():
    g = graph_from_text("""
        graph @g(%x: f32[3]) params(%p: f32[3]) {
          %0 = add(%x, %x) : f32[3]
          %1 = negative(%p) : f32[3]
          %2 = exp(%1) : f32[3]
          %3 = multiply(%0, %2) : f32[3]
          return %3
        }""")
    rw = Rewriter(g)
    first, late = g.nodes[0], g.nodes[2].results[0]
    assert rw.hoist([late], before=first)
    assert [n.op for n in g.nodes] == ["negative", "exp", "add", "multiply"]
    g.verify()
    assert not rw.hoist([g.nodes[3].results[0]], before=g.nodes[2])   # multiply reads add itself
    assert [n.op for n in g.nodes] == ["negative", "exp", "add", "multiply"]


def test_erase_refuses_a_used_node():
    g = graph_from_text(G)
    with pytest.raises(ValueError, match="still used"):
        Rewriter(g).erase(g.nodes[2])


def test_replace_value_checks_types():
    g = graph_from_text(G)
    with pytest.raises(ValueError, match="cannot replace"):
        Rewriter(g).replace_value(g.nodes[2].results[0], g.nodes[0].results[0])


def test_builder_emits_before_the_anchor():
    g = graph_from_text(G)
    rw = Rewriter(g)
    add, relu = g.nodes[2], g.nodes[3]
    b = rw.builder(before=relu)
    s = b.sigmoid(b.add(add.results[0], b.constant(2.0)))
    rw.set_input(relu, 0, s)
    g.verify()
    assert [n.op for n in g.nodes] == ["constant", "multiply", "add", "constant", "add", "sigmoid", "relu"]
    assert g.nodes[3].attrs["value"] == 2.0


def test_pattern_matches_commutative_ops_and_constants():
    g = graph_from_text(G)
    rw = Rewriter(g)
    m = match(P("multiply", V("x"), C(1)), g.nodes[1], rw)      # constant on the left, pattern on the right
    assert m is not None and m.x is g.inputs[0] and m.nodes[0].op == "constant"
    assert match(P("multiply", V("x"), C(2)), g.nodes[1], rw) is None
    assert match(P("add", P("multiply", V("a"), V("b")), V("a")), g.nodes[2], rw) is None   # a bound twice


def test_one_use_and_rule_declines_on_type_change():
    g = graph_from_text("""
        graph @g(%x: f32[3]) {
          %0 = constant() {value=[[1.0,1.0,1.0],[1.0,1.0,1.0]], shape=[2,3], dtype="float32"} : f32[2,3]
          %1 = multiply(%x, %0) : f32[2,3]
          return %1
        }""")
    rw = Rewriter(g)
    assert apply_rules(rw, [(P("multiply", V("x"), C(1)), lambda x: x)]) == 0   # x*1 broadcasts: kept
    assert rw.inserted == rw.removed == rw.replaced == 0


def test_apply_rules_reaches_a_fixpoint_with_chained_rewrites():
    g = graph_from_text("""
        graph @g(%x: f32[3]) {
          %0 = negative(%x) : f32[3]
          %1 = negative(%0) : f32[3]
          %2 = negative(%1) : f32[3]
          %3 = negative(%2) : f32[3]
          return %3
        }""")
    rw = Rewriter(g)
    n = apply_rules(rw, [(P("negative", P("negative", V("x"))), lambda x: x)])
    assert n == 2 and len(g.nodes) == 0 and g.outputs[0] is g.inputs[0]
    assert_ir_equal(g, "graph @g(%x: f32[3]) {\n return %x\n}")
