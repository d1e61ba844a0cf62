"""The IR core's linked structures: node list edits, ordered-set users, tuple inputs, clone, topological order."""
import pytest

from kxla.ir import Graph, Node, TensorType, Value, VerificationError, parse
from kxla.ir.nodelist import NodeList

T = TensorType((2,))
TEXT = """graph @g(%x: f32[2]) {
  %0 = relu(%x) : f32[2]  // a
  %1 = multiply(%0, %0) : f32[2]  // b
  %2 = add(%1, %x) : f32[2]  // c
  return %2
}"""


def _ops(g):
    return [n.op for n in g.nodes]


def test_node_list_edits_in_place():
    g = parse(TEXT)
    relu, mul, add = g.nodes
    neg = Node("negative", [g.inputs[0]], {}, [T])
    g.nodes.insert_before(mul, neg)
    assert _ops(g) == ["relu", "negative", "multiply", "add"] and len(g.nodes) == 4
    ex = Node("exp", [g.inputs[0]], {}, [T])
    g.nodes.insert_after(add, ex)
    g.nodes.remove(neg)
    assert _ops(g) == ["relu", "multiply", "add", "exp"] and neg not in g.nodes and ex in g.nodes
    g.nodes.move_before(ex, relu)
    assert _ops(g) == ["exp", "relu", "multiply", "add"]
    assert g.nodes.first is ex and g.nodes.last is add and list(reversed(g.nodes))[0] is add
    assert g.nodes.comes_before(ex, add) and not g.nodes.comes_before(add, relu)
    with pytest.raises(ValueError, match="already in a graph"):
        g.nodes.append(relu)
    with pytest.raises(ValueError, match="not in this graph"):
        g.nodes.remove(neg)


def test_order_queries_stay_right_after_many_inserts_at_one_place():
    nodes = NodeList()
    x = Value(T, "x", kind="input")
    first, last = Node("relu", [x], {}, [T]), Node("relu", [x], {}, [T])
    nodes.append(first)
    nodes.append(last)
    made = []
    for _ in range(40):                    # each lands right after `first`: the gap runs out, then renumbers
        n = Node("exp", [x], {}, [T])
        nodes.insert_after(first, n)
        made.append(n)
    assert all(nodes.comes_before(a, b) for a, b in zip(made[1:], made))
    assert nodes.comes_before(first, made[-1]) and nodes.comes_before(made[0], last)


def test_iteration_survives_erasing_the_visited_node():
    g = parse(TEXT)
    seen = []
    for node in g.nodes:
        seen.append(node.op)
        if node.op == "multiply":
            g.nodes.remove(node)
            g.nodes.remove(g.nodes[-1])             # the next one too
    assert seen == ["relu", "multiply"] and _ops(g) == ["relu"]


def test_users_is_an_ordered_set():
    g = parse(TEXT)
    relu, mul, add = g.nodes
    x, r = g.inputs[0], relu.result
    assert list(r.users) == [mul]                    # multiply(%0, %0) reads %0 twice, listed once
    assert list(x.users) == [relu, add]              # in order of first use
    mul.replace_input(r, x)                          # both slots
    assert mul.inputs == (x, x) and not r.users and list(x.users) == [relu, add, mul]
    mul.inputs = [x, r]
    assert list(x.users) == [relu, add, mul] and list(r.users) == [mul]
    add.drop()
    assert list(x.users) == [relu, mul]


def test_inputs_are_a_tuple_read_without_copying():
    g = parse(TEXT)
    mul = g.nodes[1]
    assert isinstance(mul.inputs, tuple) and mul.inputs is mul.inputs
    with pytest.raises(TypeError):
        mul.inputs[0] = g.inputs[0]


def test_clone_keeps_meta_layers_and_attributes_and_is_independent():
    g = parse(TEXT)
    g.nodes[1].meta["cost"] = {"flops": 2}
    c = g.clone()
    assert str(c) == str(g) and c is not g
    assert c.nodes[1].meta["cost"] == {"flops": 2} and c.nodes[1].meta is not g.nodes[1].meta
    assert c.nodes[0].meta["loc"] == (2, 3)             # the parsed location travels too
    assert [n.layer for n in c.nodes] == ["a", "b", "c"]
    assert all(a is not b for a, b in zip(c.nodes, g.nodes)) and c.inputs[0] is not g.inputs[0]
    assert list(c.inputs[0].users) == list(c.nodes)[0::2]
    c.nodes[1].meta["cost"] = None
    assert g.nodes[1].meta["cost"] == {"flops": 2}


def test_verifier_rejects_out_of_order_ir_and_nothing_reorders_it():
    g = parse(TEXT)
    relu, mul, add = g.nodes
    g.nodes.move_before(add, relu)
    with pytest.raises(VerificationError, match=r"node add \(layer 'c'\) #0: input 0 .* used before it is defined"):
        g.verify()
    assert _ops(g) == ["add", "relu", "multiply"]                  # left as it was
    assert [n.op for n in g.topological_order()] == ["relu", "multiply", "add"]


def test_verifier_rejects_stale_users():
    g = parse(TEXT)
    relu = g.nodes[0]
    del g.inputs[0].users[relu]
    with pytest.raises(VerificationError, match="does not list the node among its users"):
        g.verify()


def test_topological_order_follows_inputs_left_to_right_then_the_rest():
    x = Value(T, "x", kind="input")
    a = Node("relu", [x], {}, [T])
    b = Node("exp", [x], {}, [T])
    c = Node("add", [b.result, a.result], {}, [T])
    dead = Node("negative", [x], {}, [T])
    g = Graph("g", inputs=[x], nodes=[dead, a, b, c], outputs=[c.result])
    assert g.topological_order() == [b, a, c, dead]
    assert g.topological_order(everything=False) == [b, a, c]
