"""layer.input / layer.output as Keras 3 (first functional call; models; errors) and
Variable.assign_add / assign_sub eagerly and as graph state updates."""
import jax
import numpy as np
import pytest

import kxla
from kxla.ir import TensorType
from kxla.lowering import lower
from kxla.ops import Builder


def test_input_output_of_layers_and_models():
    i = kxla.Input((3,))
    dense, add = kxla.layers.Dense(2), kxla.layers.Add()
    y = dense(i)
    z = add([i, i])
    assert dense.input is i and dense.output is y and add.input[0] is i and add.output is z
    dense(kxla.Input((3,)))                                  # a second call: Keras reports the first
    assert dense.output is y
    model = kxla.Model(i, y)
    assert model.input is i and model.output is y and model.layers[0].input is model.layers[0].output
    with pytest.raises(AttributeError, match="never been called and thus has no defined input"):
        kxla.layers.Dense(2).input
    with pytest.raises(AttributeError, match="no defined output"):
        kxla.layers.Dense(2).output


def test_variable_assign_add_sub_eager_and_traced():
    v = kxla.Variable(np.zeros(3, np.float32), name="v", path="t/v")
    assert v.assign_add(np.ones(3, np.float32)) is v
    v.assign_sub(np.full(3, 0.25, np.float32))
    np.testing.assert_allclose(v.numpy(), 0.75)

    class Counter(kxla.layers.Layer):
        def build(self, input_shape):
            self.total = self.add_weight(shape=(input_shape[-1],), initializer="zeros", trainable=False,
                                         name="total")

        def call(self, x):
            self.total.assign_add(kxla.ops.sum(x, axis=0))
            self.total.assign_sub(kxla.ops.ones_like(self.total))
            return x

    layer = Counter()
    x = np.arange(6, dtype=np.float32).reshape(2, 3)
    with Builder("t") as b:
        out = layer(b.input(TensorType((None, 3), "float32"), "x"))
        b.graph.outputs = [b.value_of(out)]
    state = {var.ir_name: var.value for var in b.variables() if var.kind == "state"}
    _, new_state = lower(b.graph)({}, state, [x], rng=jax.random.key(0))
    np.testing.assert_allclose(next(iter(new_state.values())), x.sum(0) - 1)
