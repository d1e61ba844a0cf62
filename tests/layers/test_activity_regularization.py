"""ActivityRegularization: the identity, plus (l1 * sum|x| + l2 * sum x**2) / batch as a graph loss (Keras 3)."""
import jax
import numpy as np

from kxla.ir import TensorType
from kxla.layers import ActivityRegularization
from kxla.lowering import lower
from kxla.ops import Builder
from layer_check import check_against_keras, rand


def test_identity_and_penalty():
    x = rand(3, 4, seed=1)
    with Builder("t") as b:
        sym = b.input(TensorType((None, 4), "float32"), "x")
        out = ActivityRegularization(l1=0.1, l2=0.01)(sym)
        assert out is sym
        assert len(b.losses) == 1
        b.graph.outputs = [b.value_of(out), b.value_of(b.losses[0])]
    b.graph.verify()
    (y, penalty), _ = lower(b.graph)({}, {}, [x], rng=jax.random.key(0))
    np.testing.assert_array_equal(np.asarray(y), x)
    expected = (0.1 * np.abs(x).sum() + 0.01 * np.square(x).sum()) / len(x)     # divided by the batch size
    np.testing.assert_allclose(float(penalty), expected, rtol=1e-5)


def test_matches_keras_and_config(keras):
    x = rand(2, 5)
    layer = ActivityRegularization(l1=0.5, name="ar")
    check_against_keras(keras, layer, "ActivityRegularization", dict(l1=0.5), x)
    config = layer.get_config()
    ref = keras.layers.ActivityRegularization(l1=0.5, name="ar").get_config()
    assert "activity_regularizer" not in config
    assert {k: config[k] for k in ("l1", "l2", "name")} == {k: ref[k] for k in ("l1", "l2", "name")}
    again = ActivityRegularization.from_config(config)
    assert again.get_config() == config and again.activity_regularizer.l1 == 0.5
