"""Default pipelines: data in kxla.passes, run end to end on an inference CNN and a training graph."""
import kxla.passes as kp
from kxla.testing import assert_semantics_preserved, check_ir, run_pass

CNN = """
graph @cnn(%x: f32[?,2,6,4]) params(%k: f32[3,3,2,3], %b: f32[3], %g: f32[3], %be: f32[3], %d: f32[18,5], %db: f32[5]) state(%m: f32[3], %v: f32[3]) {
  %0 = conv2d(%x, %k) {strides=[1,1], padding="same", data_format="channels_first", dilation_rate=[1,1], groups=1} : f32[?,3,6,4]  // conv
  %1 = bias_add(%0, %b) {axis=1} : f32[?,3,6,4]  // conv
  %2 = batch_norm(%1, %m, %v, %g, %be) {axis=1, epsilon=0.001} : f32[?,3,6,4]  // bn
  %3 = relu(%2) : f32[?,3,6,4]  // relu
  %4 = max_pool2d(%3) {pool_size=[2,2], strides=[2,2], padding="valid", data_format="channels_first"} : f32[?,3,3,2]  // pool
  %5 = flatten(%4) {data_format="channels_first"} : f32[?,18]  // flatten
  %6 = matmul(%5, %d) : f32[?,5]  // dense
  %7 = bias_add(%6, %db) {axis=-1} : f32[?,5]  // dense
  %8 = softmax(%7) {axis=-1} : f32[?,5]  // dense
  return %8
}
"""

TRAINING = """
graph @train(%x: f32[?,3]) params(%k: f32[3,2], %g: f32[2], %be: f32[2]) state(%m: f32[2], %v: f32[2]) {
  %0 = matmul(%x, %k) : f32[?,2]
  %1, %2 = moments(%0) {axes=[0], keepdims=false} : f32[2], f32[2]
  %3 = batch_norm(%0, %1, %2, %g, %be) {axis=-1, epsilon=0.001} : f32[?,2]
  %4 = constant() {value=1.0, shape=[], dtype="float32"} : f32[]
  %5 = multiply(%3, %4) : f32[?,2]
  %6 = relu(%5) : f32[?,2]
  %7 = tanh(%3) : f32[?,2]
  %8 = constant() {value=0.9, shape=[], dtype="float32"} : f32[]
  %9 = multiply(%m, %8) : f32[2]
  %10 = multiply(%v, %8) : f32[2]
  return %6
  update %m = %9
  update %v = %10
}
"""


def test_pipelines_are_pipeline_text():
    assert kp.TRAINING_PIPELINE == "convert-layout{to=channels_last},cancel-transposes,canonicalize,cse,dce"
    assert "fold-batchnorm" not in kp.TRAINING_PIPELINE
    passes = [p.name for p in kp.PassManager(kp.INFERENCE_PIPELINE).passes]
    assert passes.index("fold-batchnorm") < passes.index("convert-layout") < passes.index("fuse-bias-activation")
    assert passes[-2:] == ["cse", "dce"]
    for platform in ("cpu", "gpu", "tpu", None):
        assert kp.preferred_layout(platform) == "channels_last"
        assert "convert-layout{to=channels_last}" in kp.inference_pipeline(platform)


def test_inference_pipeline_on_a_channels_first_cnn():
    out, _ = run_pass(kp.INFERENCE_PIPELINE, CNN)
    check_ir(out, """
        CHECK-NOT: batch_norm
        CHECK: transpose(%x) {perm=[0,2,3,1]}
        CHECK: conv(
        CHECK-SAME: data_format="channels_last"
        CHECK-SAME: activation="relu"
        CHECK-NEXT: max_pool(
        CHECK-SAME: data_format="channels_last"
        CHECK-NEXT: flatten({{%[0-9]+}}) {data_format="channels_last"}
        CHECK-NEXT: dense
        CHECK-SAME: activation="linear"
        CHECK-NEXT: softmax
        CHECK-COUNT-1: transpose""")
    assert [v.name for v in out.params] == ["k", "b", "g", "be", "d", "db"]
    assert_semantics_preserved(kp.INFERENCE_PIPELINE, CNN, n=2, rtol=1e-4, atol=1e-5)


def test_training_pipeline_keeps_batch_statistics_and_updates():
    out, _ = run_pass(kp.TRAINING_PIPELINE, TRAINING)
    check_ir(out, """
        CHECK: moments
        CHECK-NEXT: batch_norm
        CHECK-NEXT: relu(%3)
        CHECK-NOT: tanh
        CHECK: update %m
        CHECK-NEXT: update %v""")
    assert_semantics_preserved(kp.TRAINING_PIPELINE, TRAINING, n=2, training=True)
    _, stats = run_pass("fold-batchnorm", TRAINING)
    assert not stats.changed                         # batch statistics are not inference statistics


def _cf_cnn():
    import kxla
    from kxla import layers
    kxla.utils.set_random_seed(3)
    return kxla.Sequential([
        layers.Input((3, 8, 8)),
        layers.Conv2D(4, 3, padding="same", data_format="channels_first", name="c1"),
        layers.BatchNormalization(axis=1, name="bn"), layers.Activation("relu"),
        layers.MaxPooling2D(2, data_format="channels_first"),
        layers.Conv2D(5, 3, data_format="channels_first", activation="relu", name="c2"),
        layers.Flatten(data_format="channels_first"), layers.Dense(3, activation="softmax", name="out")])


def test_training_pipeline_converts_layout_with_equal_predictions_and_gradients():
    import jax
    import numpy as np
    assert kp.TRAINING_PIPELINE.startswith("convert-layout{to=channels_last}")
    converted, plain = _cf_cnn(), _cf_cnn()
    plain.set_weights(converted.get_weights())
    converted.compile("sgd", "mse")
    plain.compile("sgd", "mse", passes=None)
    runs = []
    for model in (converted, plain):
        traced, fn, graph = model._lowered(True)
        params = {v.ir_name: v.value for v in traced.variables if v.kind == "param"}
        state = {v.ir_name: v.value for v in traced.variables if v.kind == "state"}
        x = np.random.default_rng(0).normal(size=(4, 3, 8, 8)).astype("float32")

        def objective(p):
            outs, new_state = fn(p, state, [x], rng=jax.random.key(0), training=True)
            return (outs[0] * np.arange(1, 4, dtype="float32")).sum(), (outs[0], new_state)
        (_, (pred, new_state)), grads = jax.value_and_grad(objective, has_aux=True)(params)
        runs.append((graph, pred, new_state, grads))
    (graph, *got), (_, *want) = runs
    assert [n.op for n in graph.nodes].count("transpose") == 1          # at the input only
    assert all(n.attrs["data_format"] == "channels_last" for n in graph.nodes if "data_format" in n.attrs)
    for g, w in zip(jax.tree_util.tree_leaves(got), jax.tree_util.tree_leaves(want)):
        np.testing.assert_allclose(np.asarray(g), np.asarray(w), rtol=2e-5, atol=2e-6)
    assert set(runs[0][3]) == {v.ir_name for v in converted._lowered(True).traced.variables if v.kind == "param"}
