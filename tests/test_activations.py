"""Every keras.activations name against Keras 3: eager and traced values, lookup, serialization, Dense."""
import numpy as np
import pytest

from kxla import activations
from tests.ops.op_check import check_op

X = np.linspace(-7.0, 7.0, 24, dtype=np.float32).reshape(4, 6)
X[0, :3] = [-1.0, 1.0, 0.5]                 # the breakpoints of the piecewise activations

KERAS_NAMES = ["celu", "elu", "exponential", "gelu", "glu", "hard_shrink", "hard_sigmoid", "hard_silu",
               "hard_swish", "hard_tanh", "leaky_relu", "linear", "log_sigmoid", "log_softmax", "mish",
               "relu", "relu6", "selu", "sigmoid", "silu", "soft_shrink", "softmax", "softplus", "softsign",
               "sparse_plus", "sparse_sigmoid", "sparsemax", "squareplus", "swish", "tanh", "tanh_shrink"]
KWARG_CASES = [("relu", {"negative_slope": 0.1}), ("relu", {"max_value": 6.0}), ("relu", {"threshold": 1.5}),
               ("relu", {"negative_slope": 0.3, "max_value": 2.0, "threshold": 0.5}),
               ("relu", {"negative_slope": 0.3, "max_value": 4.0}), ("leaky_relu", {"negative_slope": 0.05}),
               ("celu", {"alpha": 2.0}), ("elu", {"alpha": 0.5}), ("squareplus", {"b": 1}),
               ("soft_shrink", {"threshold": 1.0}), ("hard_shrink", {"threshold": 2.0}),
               ("threshold", {"threshold": 0.5, "default_value": -1.0}), ("gelu", {"approximate": True}),
               ("sparsemax", {"axis": 0}), ("softmax", {"axis": 0})]


@pytest.mark.parametrize("name,kwargs", [(n, {}) for n in KERAS_NAMES] + KWARG_CASES)
def test_values_match_keras(keras, name, kwargs):
    ours = activations.get(name)
    got = check_op(lambda x: ours(x, **kwargs), X)
    want = np.asarray(getattr(keras.activations, name)(X, **kwargs))
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-6)


def test_every_keras_name_resolves(keras):
    public = {n for n in dir(keras.activations) if not n.startswith("_")}
    functions = public - {"get", "serialize", "deserialize"}
    assert functions <= set(dir(activations))
    for name in functions:
        fn = activations.get(name)
        assert activations.serialize(fn) == keras.activations.serialize(getattr(keras.activations, name))
        assert activations.deserialize(activations.serialize(fn)) is fn


def test_get_errors_and_dicts():
    assert activations.get(None) is activations.linear
    assert activations.get({"class_name": "function", "config": "mish"}) is activations.mish
    assert activations.get("swish") is activations.silu and activations.get("hard_swish") is activations.hard_silu
    with pytest.raises(ValueError, match="relu6"):
        activations.get("relu7")
    with pytest.raises(ValueError, match="Could not interpret"):
        activations.get(3)


@pytest.mark.parametrize("name", ["leaky_relu", "relu6", "mish", "hard_sigmoid", "softsign"])
def test_dense_resolves_activation_by_name(keras, name):
    import kxla
    x = np.random.default_rng(0).normal(size=(3, 5)).astype(np.float32)
    layer = kxla.layers.Dense(4, activation=name)
    got = np.asarray(layer(x))
    kernel, bias = layer.get_weights()
    want = np.asarray(getattr(keras.activations, name)(x @ kernel + bias))
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
    assert layer.get_config()["activation"] == name
