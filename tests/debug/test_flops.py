"""Analytic FLOPs per node (kxla.debug.flops), checked by hand and against XLA's cost analysis."""
import jax
import pytest

import kxla
import kxla.ops.fused  # noqa: F401
from kxla import layers
from kxla.debug.flops import graph_flops, layer_flops, model_flops, node_flops
from kxla.ir import parse


def test_rules_by_family():
    g = parse("""graph @g(%x: f32[?,8], %img: f32[?,6,6,3]) params(%k: f32[8,4], %b: f32[4], %ck: f32[3,3,3,5], %dk: f32[3,3,3,2]) {
  %0 = matmul(%x, %k) : f32[?,4]
  %1 = bias_add(%0, %b) {axis=-1} : f32[?,4]
  %2 = relu(%1) : f32[?,4]
  %3 = softmax(%2) {axis=-1} : f32[?,4]
  %4 = reshape(%3) {shape=[-1,2,2]} : f32[?,2,2]
  %5 = conv2d(%img, %ck) {strides=[1,1], padding="valid", data_format="channels_last"} : f32[?,4,4,5]
  %6 = conv2d(%img, %ck) {strides=[1,1], padding="same", data_format="channels_last"} : f32[?,6,6,5]
  %7 = max_pool2d(%5) {pool_size=[2,2], strides=[2,2], padding="valid", data_format="channels_last"} : f32[?,2,2,5]
  %8 = avg_pool2d(%5) {pool_size=[2,2], strides=[2,2], padding="valid", data_format="channels_last"} : f32[?,2,2,5]
  %9 = sum(%x) {axis=[1], keepdims=false} : f32[?]
  %10 = mean(%x) {axis=[1], keepdims=false} : f32[?]
  %11 = dense(%x, %k, %b) {activation="relu"} : f32[?,4]
  %12 = depthwise_conv2d(%img, %dk) {strides=[1,1], padding="valid", data_format="channels_last"} : f32[?,4,4,6]
  return %2, %3, %4, %6, %7, %8, %9, %10, %11, %12
}""")
    flops = [node_flops(n, 2) for n in g.nodes]
    assert flops[0] == 2 * 2 * 4 * 8                 # batch 2: 2 * N(out) * K
    assert flops[1] == flops[2] == 2 * 4              # elementwise: 1 per element
    assert flops[3] == 5 * 2 * 4                      # softmax: 5 per element
    assert flops[4] == 0                              # data movement
    assert flops[5] == 2 * (2 * 4 * 4 * 5) * 9 * 3    # valid conv: 2 * N(out) * window * in
    # same padding: only taps inside the input count (per axis 6*3 - 2 = 16 of 18)
    assert flops[6] == 2 * 2 * (16 * 16) * 3 * 5
    assert flops[7] == 2 * 2 * 2 * 5 * 3 and flops[8] == flops[7] + 2 * 2 * 2 * 5   # window - 1, as XLA
    assert flops[9] == 2 * 8 - 2 and flops[10] == 2 * 8                            # N(in) - N(out) (+ divide)
    assert flops[11] == flops[0] + 2 * (2 * 4)        # + bias + activation
    assert flops[12] == 2 * (2 * 4 * 4) * 9 * 6       # depthwise: 2 * N(out) * window
    report = graph_flops(g, batch_size=2)
    assert report.total == sum(flops) and report.unknown_ops == []


def test_per_layer_grouping_and_per_sample_default():
    model = kxla.Sequential([layers.Input((10,)), layers.Dense(20, activation="relu", name="h"),
                             layers.Dense(5, name="o")])
    per_layer = layer_flops(model.to_ir())
    assert per_layer == {"h": 2 * 10 * 20 + 20 + 20, "o": 2 * 20 * 5 + 5}
    assert model_flops(model, batch_size=3).total == 3 * sum(per_layer.values())


def _xla_flops(model, batch):
    traced, fn, graph = model._lowered(False)
    p = {v.ir_name: jax.ShapeDtypeStruct(v.shape, v.dtype) for v in traced.variables if v.kind == "param"}
    st = {v.ir_name: jax.ShapeDtypeStruct(v.shape, v.dtype) for v in traced.variables if v.kind == "state"}
    x = jax.ShapeDtypeStruct((batch,) + model._input_types[0].shape[1:], "float32")
    cost = jax.jit(lambda p, st, x: fn(p, st, [x])[0]).lower(p, st, x).compile().cost_analysis()
    cost = cost[0] if isinstance(cost, list) else cost
    return cost["flops"], graph


@pytest.mark.parametrize("kind", ["dense", "conv"])
def test_agrees_with_xla_cost_analysis(kind):
    """Within 5% of XLA's count on the graph XLA compiles (matmul/conv-dominated nets)."""
    if kind == "dense":
        model = kxla.Sequential([layers.Input((64,)), layers.Dense(256, activation="relu"),
                                 layers.Dense(128, activation="relu"), layers.Dense(10, activation="softmax")])
    else:
        model = kxla.Sequential([layers.Input((16, 16, 3)), layers.Conv2D(16, 3, activation="relu"),
                                 layers.BatchNormalization(), layers.MaxPooling2D(),
                                 layers.Conv2D(32, 3, padding="same", activation="relu"),
                                 layers.GlobalAveragePooling2D(), layers.Dense(10)])
    xla, graph = _xla_flops(model, batch=8)
    ours = graph_flops(graph, batch_size=8).total
    assert ours == pytest.approx(xla, rel=0.05)


def test_summary_flops_column():
    model = kxla.Sequential([layers.Input((10,)), layers.Dense(20, activation="relu", name="h"),
                             layers.Dense(5, name="o")], name="tiny")
    lines = []
    model.summary(print_fn=lines.append, show_flops=True)
    text = "\n".join(lines)
    assert "FLOPs" in text.splitlines()[2]
    assert "│ h (Dense)" in text and "440 │" in text and "205 │" in text
    assert " Total FLOPs: 645 per sample" in text
    lines.clear()
    model.summary(print_fn=lines.append)
    assert "FLOPs" not in "\n".join(lines)
