"""canonicalize: one case per identity, the cases where it must not fire, counts, semantics."""
import pytest

from kxla.testing import assert_ir_equal, assert_semantics_preserved, check_ir, run_pass

HEAD = "graph @g(%x: f32[2,3], %y: f32[2,3]) {\n"
ONE = '  %c = constant() {value=1.0, shape=[], dtype="float32"} : f32[]\n'
ZERO = '  %c = constant() {value=0.0, shape=[], dtype="float32"} : f32[]\n'
MINUS = '  %c = constant() {value=-1.0, shape=[], dtype="float32"} : f32[]\n'


def graph(body, ret="%r", const=""):
    return HEAD + const + body + f"\n  return {ret}\n}}"


CASES = [  # (name, constant, body, expected body, expected return)
    ("x*1", ONE, "%r = multiply(%x, %c) : f32[2,3]", "", "%x"),
    ("1*x", ONE, "%r = multiply(%c, %x) : f32[2,3]", "", "%x"),
    ("x/1", ONE, "%r = divide(%x, %c) : f32[2,3]", "", "%x"),
    ("x+0", ZERO, "%r = add(%x, %c) : f32[2,3]", "", "%x"),
    ("0+x", ZERO, "%r = add(%c, %x) : f32[2,3]", "", "%x"),
    ("x-0", ZERO, "%r = subtract(%x, %c) : f32[2,3]", "", "%x"),
    ("x**1", ONE, "%r = power(%x, %c) : f32[2,3]", "", "%x"),
    ("0-x", ZERO, "%r = subtract(%c, %x) : f32[2,3]", "%r = negative(%x) : f32[2,3]", "%r"),
    ("x*-1", MINUS, "%r = multiply(%x, %c) : f32[2,3]", "%r = negative(%x) : f32[2,3]", "%r"),
    ("--x", "", "%n = negative(%x) : f32[2,3]\n  %r = negative(%n) : f32[2,3]", "", "%x"),
    ("x+-y", "", "%n = negative(%y) : f32[2,3]\n  %r = add(%x, %n) : f32[2,3]",
     "%r = subtract(%x, %y) : f32[2,3]", "%r"),
    ("x--y", "", "%n = negative(%y) : f32[2,3]\n  %r = subtract(%x, %n) : f32[2,3]",
     "%r = add(%x, %y) : f32[2,3]", "%r"),
    ("relu(relu)", "", "%n = relu(%x) : f32[2,3]\n  %r = relu(%n) : f32[2,3]", "%r = relu(%x) : f32[2,3]", "%r"),
    ("abs(abs)", "", "%n = abs(%x) : f32[2,3]\n  %r = abs(%n) : f32[2,3]", "%r = abs(%x) : f32[2,3]", "%r"),
    ("abs(-x)", "", "%n = negative(%x) : f32[2,3]\n  %r = abs(%n) : f32[2,3]", "%r = abs(%x) : f32[2,3]", "%r"),
    ("cast same dtype", "", '%r = cast(%x) {dtype="float32"} : f32[2,3]', "", "%x"),
    ("reshape same shape", "", "%r = reshape(%x) {shape=[2,3]} : f32[2,3]", "", "%x"),
    ("reshape of reshape", "", "%n = reshape(%x) {shape=[6]} : f32[6]\n  %r = reshape(%n) {shape=[3,2]} : f32[3,2]",
     "%r = reshape(%x) {shape=[3,2]} : f32[3,2]", "%r"),
    ("reshape round trip", "", "%n = reshape(%x) {shape=[6]} : f32[6]\n  %r = reshape(%n) {shape=[2,3]} : f32[2,3]",
     "", "%x"),
    ("transpose identity", "", "%r = transpose(%x) {perm=[0,1]} : f32[2,3]", "", "%x"),
    ("transpose pair", "", "%n = transpose(%x) {perm=[1,0]} : f32[3,2]\n  %r = transpose(%n) {perm=[1,0]} : f32[2,3]",
     "", "%x"),
]


@pytest.mark.parametrize("name,const,body,expected,ret", CASES, ids=[c[0] for c in CASES])
def test_identity(name, const, body, expected, ret):
    src = graph("  " + body, const=const)
    out, stats = run_pass("canonicalize", src)
    assert_ir_equal(out, graph("  " + expected if expected else "", ret=ret))
    assert stats.replaced == 1 and stats["rewrites"] == 1
    assert_semantics_preserved(["canonicalize"], src, n=1, grads=False, transformed=out)


def test_transpose_chain_composes():
    src = """
        graph @g(%x: f32[2,3,4]) {
          %0 = transpose(%x) {perm=[1,2,0]} : f32[3,4,2]
          %1 = transpose(%0) {perm=[0,2,1]} : f32[3,2,4]
          return %1
        }"""
    out, _ = run_pass("canonicalize", src)
    check_ir(out, "CHECK: transpose(%x) {perm=[1,0,2]} : f32[3,2,4]\nCHECK-NEXT: return")
    assert_semantics_preserved("canonicalize", src, n=1)


DONT = [
    ("x*1 broadcasting to a bigger shape", """
        graph @g(%x: f32[3]) {
          %0 = constant() {value=[[1.0,1.0,1.0],[1.0,1.0,1.0]], shape=[2,3], dtype="float32"} : f32[2,3]
          %1 = multiply(%x, %0) : f32[2,3]
          return %1
        }"""),
    ("x*1 promoting the dtype", """
        graph @g(%x: f16[3]) {
          %0 = constant() {value=1.0, shape=[], dtype="float32"} : f32[]
          %1 = multiply(%x, %0) : f32[3]
          return %1
        }"""),
    ("x*0 is not x-independent for inf/nan", """
        graph @g(%x: f32[3]) {
          %0 = constant() {value=0.0, shape=[], dtype="float32"} : f32[]
          %1 = multiply(%x, %0) : f32[3]
          %2 = subtract(%x, %x) : f32[3]
          return %1, %2
        }"""),
    ("x*c for c not splat 1", """
        graph @g(%x: f32[2]) {
          %0 = constant() {value=[1.0,2.0], shape=[2], dtype="float32"} : f32[2]
          %1 = multiply(%x, %0) : f32[2]
          %2 = cast(%x) {dtype="float16"} : f16[2]
          return %1, %2
        }"""),
]


@pytest.mark.parametrize("name,src", DONT, ids=[d[0] for d in DONT])
def test_does_not_fire(name, src):
    out, stats = run_pass("canonicalize", src)
    assert not stats.changed and stats.replaced == stats.removed == stats.inserted == 0
    assert_ir_equal(out, src)


def test_shared_interior_node_is_kept():
    src = """
        graph @g(%x: f32[3]) {
          %0 = negative(%x) : f32[3]
          %1 = negative(%0) : f32[3]
          %2 = exp(%0) : f32[3]
          return %1, %2
        }"""
    out, stats = run_pass("canonicalize", src)
    assert (stats.replaced, stats.removed) == (1, 0)
    check_ir(out, "CHECK: negative(%x)\nCHECK-NEXT: exp\nCHECK-NEXT: return %x, %1")
