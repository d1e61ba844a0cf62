"""Passes treat ``scan`` (an op with a region) as opaque: never merged, folded or moved; removed when dead.

The body is not rewritten by any pass; the node keeps its meaning through every pipeline.
"""
import jax.numpy as jnp
import numpy as np

from kxla.debug import Hook, Interpreter
from kxla.ir import parse
from kxla.lowering import lower
from kxla.testing import assert_semantics_preserved, run_pass

BODY = """
    region @body(%x0: f32[?,3], %state0: f32[?,3]) {
      %0 = OP(%state0, %x0) : f32[?,3]
      return %0, %0
    }"""


def _scan(op, results):
    head = f"  {results} = scan(%x, %c) {{num_xs=1, num_carries=1, axis=1, reverse=false, body=@body}} : "
    return head + "f32[?,3], f32[?,?,3]" + BODY.replace("OP", op)


G = "graph @g(%x: f32[?,?,3], %c: f32[?,3]) {\n" + _scan("add", "%0, %1") + "\n" + \
    _scan("multiply", "%2, %3") + "\n" + _scan("add", "%4, %5") + """
  %6 = add(%0, %2) : f32[?,3]
  return %6, %3
}"""


def test_cse_never_merges_scans_and_dce_removes_a_dead_one():
    out, stats = run_pass("cse", G)
    assert [n.op for n in out.nodes].count("scan") == 3          # same operands and attributes, other bodies
    out, stats = run_pass("dce", G)
    assert [n.op for n in out.nodes].count("scan") == 2 and stats.removed == 1
    assert [n.attrs["body"].nodes[0].op for n in out.nodes if n.op == "scan"] == ["add", "multiply"]


def test_pipelines_preserve_meaning_of_a_graph_with_scans():
    for pipeline in ("canonicalize,constant-folding,cse,dce", "shape-inference,specialize{batch=2}",
                     "convert-layout{to=channels_first},cancel-transposes"):
        out = assert_semantics_preserved(pipeline, G)          # values and gradients on random inputs
        assert [n.op for n in out.nodes].count("scan") == (2 if "dce" in pipeline else 3)
        assert str(parse(str(out))) == str(out)


def test_constant_operands_are_not_folded_into_the_loop():
    text = """graph @g() {
  %0 = constant() {value=[[[1.0,2.0,3.0],[1.0,1.0,1.0]]], shape=[1,2,3], dtype="float32"} : f32[1,2,3]
  %1 = constant() {value=[[0.0,0.0,0.0]], shape=[1,3], dtype="float32"} : f32[1,3]
  %2, %3 = scan(%0, %1) {num_xs=1, num_carries=1, axis=1, reverse=false, body=@body} : f32[1,3], f32[1,2,3]
    region @body(%x0: f32[1,3], %state0: f32[1,3]) {
      %0 = add(%state0, %x0) : f32[1,3]
      return %0, %0
    }
  return %2
}"""
    out, _ = run_pass("constant-folding", text)
    assert [n.op for n in out.nodes].count("scan") == 1
    (final,), _ = lower(out)({}, {}, [])
    np.testing.assert_allclose(np.asarray(final), [[2.0, 3.0, 4.0]])


def test_debug_interpreter_runs_a_scan_with_its_hooks_around_the_node():
    seen = []

    class Record(Hook):
        def after_node(self, node, inputs, outputs):
            seen.append(node.op)

    g = parse(G)
    x, c = np.ones((2, 4, 3), "float32"), np.ones((2, 3), "float32")
    outputs, _ = Interpreter(g, hooks=[Record()]).run({}, {}, [x, c])
    expected, _ = lower(g)({}, {}, [jnp.asarray(x), jnp.asarray(c)])
    for a, b in zip(outputs, expected):
        np.testing.assert_allclose(np.asarray(a), np.asarray(b))
    assert seen == ["scan", "scan", "scan", "add"]                 # the body's nodes run inside lax.scan


def test_mixed_precision_runs_inside_regions_through_the_generic_hook():
    text = """graph @g(%x: f32[?,?,3], %c: f32[?,3], %k: f32[3,3]) {
  %0, %1 = scan(%x, %c, %k) {num_xs=1, num_carries=1, axis=1, reverse=false, body=@body} : f32[?,3], f32[?,?,3]
    region @body(%x0: f32[?,3], %state0: f32[?,3], %k: f32[3,3]) {
      %0 = matmul(%x0, %k) : f32[?,3]  // rnn/cell
      %1 = add(%state0, %0) : f32[?,3]  // rnn/cell
      return %1, %0
    }
  return %0
}"""
    out = assert_semantics_preserved("mixed-precision", text, rtol=2e-2, atol=2e-2)
    body = out.nodes[0].attrs["body"]
    assert [n.op for n in body.nodes] == ["cast", "cast", "matmul", "cast", "add"]
    assert [str(r.type) for r in body.nodes[2].results] == ["bf16[?,3]"]
    assert [str(v.type) for v in body.inputs + body.outputs] == ["f32[?,3]", "f32[?,3]", "f32[3,3]", "f32[?,3]",
                                                                  "f32[?,3]"]
    assert "cast" not in [n.op for n in run_pass("cse", text)[0].nodes[0].attrs["body"].nodes]   # others: opaque
