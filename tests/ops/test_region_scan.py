"""``keras.ops.scan`` on symbolic tensors records one ``scan`` node (kxla.ops.region_scan), as Keras's JAX
backend runs ``lax.scan``: in a layer's call (a graph being built) and in functional construction."""
import numpy as np
import pytest

import kxla
from kxla import ops

keras = pytest.importorskip("keras")
RNG = np.random.default_rng(0)


def decayed_sum_layer(k):
    """A layer written once against ``k`` (kxla or Keras 3): a learned decay scanned over time."""

    class DecayedSum(k.layers.Layer):
        def build(self, input_shape):
            self.decay = self.add_weight(shape=(input_shape[-1],), initializer="ones", name="decay")

        def call(self, x):
            xs = k.ops.transpose(x, (1, 0, 2))                           # time first

            def step(carry, x_t):
                total, count = carry
                total = total * k.ops.sigmoid(self.decay) + x_t["value"]
                return (total, count + 1.0), {"total": total}

            (last, count), ys = k.ops.scan(step, (k.ops.zeros_like(xs[0]), 0.0), {"value": xs}, reverse=True)
            return k.ops.transpose(ys["total"], (1, 0, 2)), last * count

    return DecayedSum


def test_scan_in_a_layer_over_an_unknown_length_matches_keras():
    x = RNG.normal(size=(2, 5, 3)).astype("float32")
    inp = kxla.Input((None, 3))
    ours = decayed_sum_layer(kxla)()
    model = kxla.Model(inp, ours(inp))
    assert [n.op for n in model.trace(False).graph.nodes].count("scan") == 1
    model.set_weights([np.asarray([0.5, -1.0, 2.0], "float32")])
    twin = decayed_sum_layer(keras)()
    twin(x)
    twin.set_weights(model.get_weights())
    for a, b in zip(model.predict(x, verbose=0), twin(x)):
        np.testing.assert_allclose(a, np.asarray(b), rtol=1e-5, atol=1e-6)
    model.compile(optimizer="sgd", loss="mse")              # gradients flow through the scan to `decay`
    before = model.get_weights()[0]
    model.fit(x, [x, x[:, 0]], verbose=0)
    assert not np.allclose(model.get_weights()[0], before)


def test_scan_in_functional_construction_and_errors():
    inp = kxla.Input((4,))
    carry, ys = ops.scan(lambda c, x: (c + x, c * x), ops.zeros_like(inp[0]), inp)     # over the batch axis
    model = kxla.Model(inp, [carry, ys])
    x = RNG.normal(size=(3, 4)).astype("float32")
    expected = keras.ops.scan(lambda c, x: (c + x, c * x), np.zeros(4, "float32"), x)
    for a, b in zip(model(x), expected):                  # (the carry has no batch axis: not predict)
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-6)
    with pytest.raises(ValueError, match="needs `xs`"):
        ops.scan(lambda c, x: (c, c), inp, None, length=3)
    with pytest.raises(ValueError, match="carry of structure"):
        ops.scan(lambda c, x: ((c, c), x), inp[0], inp)
    with pytest.raises(ValueError, match="carry 0 enters the region as i32\\[\\] but leaves it as f32\\[\\]"):
        ops.scan(lambda c, x: (c + 0.5, x), 0, inp)


def test_cost_is_the_body_cost_times_the_length():
    from kxla.debug.flops import node_cost
    from kxla.ir import parse
    text = """graph @g(%x: f32[?,LEN,3], %c: f32[?,4], %k: f32[3,4]) {
  %0, %1 = scan(%x, %c, %k) {num_xs=1, num_carries=1, axis=1, reverse=false, unroll=1, body=@body} : f32[?,4], f32[?,LEN,4]
    region @body(%x0: f32[?,3], %state0: f32[?,4], %k: f32[3,4]) {
      %0 = matmul(%x0, %k) : f32[?,4]
      %1 = add(%state0, %0) : f32[?,4]
      return %1, %0
    }
  return %0
}"""
    per_step = 2 * 8 * 4 * 3 + 8 * 4                      # batch 8: matmul multiply-adds, then the add
    assert node_cost(parse(text.replace("LEN", "5")).nodes[0], batch_size=8)["flops"] == 5 * per_step
    assert node_cost(parse(text.replace("LEN", "?")).nodes[0], batch_size=8)["flops"] == per_step
