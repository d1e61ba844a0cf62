"""Custom layers written the Keras-tutorial way: add_variable + Python operators on tensors."""
import numpy as np
import pytest

import kxla
from kxla import layers, ops


@kxla.saving.register_serializable(package="tests_custom")
class MyDense(layers.Layer):
    def __init__(self, units=32, **kwargs):
        super().__init__(**kwargs)
        self.units = units

    def build(self, input_shape):
        self.w = self.add_variable(shape=(input_shape[-1], self.units), initializer="random_normal")
        self.b = self.add_variable(shape=(self.units,), initializer="zeros")

    def call(self, inputs):
        return inputs @ self.w + self.b

    def get_config(self):
        return {**super().get_config(), "units": self.units}


def _data(n=128, d=4, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, d)).astype("float32")
    y = (x @ rng.normal(size=(d, 1)) + 0.5).astype("float32")
    return x, y


def _model(units=1):
    inp = kxla.Input((4,))
    return kxla.Model(inp, MyDense(units, name="my_dense")(inp))


def test_ir_nodes_attributed_to_layer():
    model = _model()
    graph = model.to_ir()
    ops_ = [n.op for n in graph.nodes]
    assert ops_ == ["matmul", "add"], ops_
    assert all(n.layer is not None and n.layer.endswith("my_dense") for n in graph.nodes)
    assert "my_dense" in str(graph)
    assert sorted(w.path for w in model.weights) == ["my_dense/variable_0", "my_dense/variable_1"]


def test_eager_matches_numpy():
    layer = MyDense(3)
    x = np.random.default_rng(1).normal(size=(2, 4)).astype("float32")
    out = np.asarray(layer(x))
    w, b = layer.get_weights()
    np.testing.assert_allclose(out, x @ w + b, rtol=1e-5, atol=1e-6)


def test_trains():
    model = _model()
    x, y = _data()
    model.compile(kxla.optimizers.SGD(0.1), "mse")
    hist = model.fit(x, y, epochs=10, batch_size=32, verbose=0)
    assert hist.history["loss"][-1] < 0.1 * hist.history["loss"][0]


def test_config_round_trip():
    layer = MyDense(7, name="d7")
    cfg = layer.get_config()
    assert cfg["units"] == 7 and cfg["name"] == "d7"
    clone = MyDense.from_config(cfg)
    assert clone.units == 7 and clone.name == "d7"
    clone.build((None, 3))
    assert [w.shape for w in clone.weights] == [(3, 7), (7,)]


def test_save_load_registered(tmp_path):
    model = _model(2)
    x, _ = _data(8)
    model.compile("adam", "mse")
    before = model.predict(x, verbose=0)
    path = tmp_path / "custom.kxla"
    model.save(path)
    loaded = kxla.saving.load_model(path)
    assert type(loaded.get_layer("my_dense")) is MyDense
    np.testing.assert_allclose(loaded.predict(x, verbose=0), before, rtol=1e-6)


class OpsLayer(layers.Layer):
    """A custom layer written with kxla.ops functions (no weights)."""

    def call(self, x):
        return ops.multiply(ops.tanh(x), ops.sigmoid(x))


def test_ops_layer_in_sequential():
    model = kxla.Sequential([layers.Input((4,)), OpsLayer(name="gate"), layers.Dense(1)])
    x = np.random.default_rng(0).normal(size=(3, 4)).astype("float32")
    k, b = model.layers[-1].get_weights()
    np.testing.assert_allclose(model.predict(x, verbose=0), (np.tanh(x) / (1 + np.exp(-x))) @ k + b,
                               rtol=1e-5, atol=1e-6)
    assert any(n.layer and n.layer.endswith("gate") for n in model.to_ir().nodes)
