"""fuse-bias-activation: matmul/conv + bias_add + activation -> dense / conv with bias and activation."""
import pytest

from kxla.testing import assert_ir_equal, assert_semantics_preserved, check_ir, run_pass

DENSE = """
graph @g(%x: f32[?,4]) params(%k: f32[4,3], %b: f32[3], %k2: f32[3,2]) {
  %0 = matmul(%x, %k) : f32[?,3]  // d1
  %1 = bias_add(%0, %b) {axis=-1} : f32[?,3]  // d1
  %2 = gelu(%1) {approximate=false} : f32[?,3]  // d1
  %3 = matmul(%2, %k2) : f32[?,2]  // d2
  %4 = tanh(%3) : f32[?,2]  // d2
  return %4
}
"""


def test_dense_chains_fuse():
    out, stats = run_pass("fuse-bias-activation", DENSE)
    assert_ir_equal(out, """
        graph @g(%x: f32[?,4]) params(%k: f32[4,3], %b: f32[3], %k2: f32[3,2]) {
          %0 = dense(%x, %k, %b) {activation="gelu_exact"} : f32[?,3]
          %1 = dense(%0, %k2) {activation="tanh"} : f32[?,2]
          return %1
        }""")
    assert out.nodes[0].layer == "d1"
    assert (stats.inserted, stats.replaced, stats.removed, stats["fused"]) == (2, 2, 3, 2)
    assert_semantics_preserved("fuse-bias-activation", DENSE, n=2)


CONV = """
graph @g(%x: f32[?,2,5,4]) params(%k: f32[3,3,2,3], %b: f32[3], %k2: f32[1,1,3,2], %b2: f32[2]) {
  %0 = conv2d(%x, %k) {strides=[1,1], padding="same", data_format="channels_first", dilation_rate=[1,1], groups=1} : f32[?,3,5,4]
  %1 = bias_add(%0, %b) {axis=1} : f32[?,3,5,4]
  %2 = relu(%1) : f32[?,3,5,4]
  %3 = conv2d(%2, %k2) {strides=[1,1], padding="valid", data_format="channels_first", dilation_rate=[1,1], groups=1} : f32[?,2,5,4]
  %4 = bias_add(%3, %b2) {axis=-3} : f32[?,2,5,4]
  return %4
}
"""


def test_conv_bias_activation_fuse_keeping_conv_attributes():
    out, stats = run_pass("fuse-bias-activation", CONV)
    check_ir(out, """
        CHECK: conv(%x, %k, %b) {strides=[1,1], padding="same", data_format="channels_first", dilation_rate=[1,1], groups=1, activation="relu"}
        CHECK-NEXT: conv(%0, %k2, %b2)
        CHECK-SAME: activation="linear"
        CHECK-NEXT: return""")
    assert stats["fused"] == 2
    assert_semantics_preserved("fuse-bias-activation", CONV, n=2, rtol=1e-4)


DONT = {
    "intermediate read elsewhere": """
        graph @g(%x: f32[?,4]) params(%k: f32[4,3], %b: f32[3]) {
          %0 = matmul(%x, %k) : f32[?,3]
          %1 = bias_add(%0, %b) {axis=-1} : f32[?,3]
          %2 = relu(%1) : f32[?,3]
          return %2, %0
        }""",
    "bias on another axis": """
        graph @g(%x: f32[?,4]) params(%k: f32[4,3], %b: f32[2]) {
          %0 = matmul(%x, %k) : f32[2,3]
          %1 = bias_add(%0, %b) {axis=0} : f32[2,3]
          return %1
        }""",
    "activation that has no fused form": """
        graph @g(%x: f32[?,4]) params(%k: f32[4,3]) {
          %0 = matmul(%x, %k) : f32[?,3]
          %1 = elu(%0) {alpha=0.5} : f32[?,3]
          %2 = softmax(%1) {axis=-1} : f32[?,3]
          return %2
        }""",
    "batched 3-D kernel": """
        graph @g(%x: f32[2,3,4]) params(%k: f32[2,4,3]) {
          %0 = matmul(%x, %k) : f32[2,3,3]
          %1 = relu(%0) : f32[2,3,3]
          return %1
        }""",
}


@pytest.mark.parametrize("name", list(DONT))
def test_does_not_fire(name):
    src = DONT[name].replace("f32[2,3] {", "f32[2,3] {") if name != "bias on another axis" else \
        DONT[name].replace("%x: f32[?,4]", "%x: f32[2,4]")
    out, stats = run_pass("fuse-bias-activation", src)
    assert not stats.changed
    assert_ir_equal(out, src)


def test_fused_node_keeps_every_source_layer_in_ir_and_stablehlo_locations():
    import jax

    import kxla
    from kxla import layers
    model = kxla.Sequential([layers.Input((6, 6, 3)), layers.Conv2D(4, 3, name="conv2d"),
                             layers.Activation("relu", name="activation")])
    traced, fn, graph = model._lowered(False)
    (node,) = graph.nodes
    assert node.op == "conv" and node.layers == ["conv2d", "activation"]
    assert str(graph).splitlines()[1].endswith("// conv2d, activation")
    assert kxla.ir.parse(str(graph)).nodes[0].layer == "conv2d, activation"    # round-trips
    params = {v.ir_name: jax.ShapeDtypeStruct(v.shape, v.dtype) for v in traced.variables if v.kind == "param"}
    x = jax.ShapeDtypeStruct((2, 6, 6, 3), "float32")
    text = jax.jit(lambda p, x: fn(p, {}, [x])[0]).lower(params, x).as_text(debug_info=True)
    locs = [line for line in text.splitlines() if "conv_general_dilated" in line and "loc(" in line]
    assert locs and all("/conv2d+activation/" in line for line in locs)


def test_fused_dense_keeps_both_layers_and_the_old_name_loads_as_dense():
    import kxla
    from kxla import layers
    model = kxla.Sequential([layers.Input((5,)), layers.Dense(4, name="dense"),
                             layers.Activation("tanh", name="activation")])
    _, _, graph = model._lowered(False)
    (node,) = graph.nodes
    assert node.op == "dense" and node.attrs == {"activation": "tanh"} and len(node.inputs) == 3
    assert str(graph).splitlines()[1].endswith("// dense, activation")
    old = kxla.ir.parse(str(graph).replace("= dense(", "= fused_dense("))
    assert str(old) == str(graph)
    assert "fused_dense" not in str(graph)
