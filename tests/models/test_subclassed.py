"""Subclassed models: tracing call() with Python control flow on static values."""
import numpy as np

import kxla
from kxla import layers, ops


class TwoLayer(kxla.Model):
    def __init__(self, units=8, **kwargs):
        super().__init__(**kwargs)
        self.hidden = layers.Dense(units, activation="relu")
        self.out = layers.Dense(3)
        self.drop = layers.Dropout(0.5)

    def call(self, inputs, training=False):
        h = self.hidden(inputs)
        if training:                      # static Python control flow picks the graph
            h = self.drop(h, training=training)
        return ops.softmax(self.out(h))


def test_trace_builds_distinct_training_graph():
    model = TwoLayer()
    model.build((None, 5))
    assert "dropout" not in [n.op for n in model.to_ir(training=False).nodes]
    assert "dropout" in [n.op for n in model.to_ir(training=True).nodes]
    assert [w.path.split("/")[1] for w in model.weights] == ["kernel", "bias", "kernel", "bias"]


def test_call_on_data_builds_and_matches_numpy():
    model = TwoLayer()
    x = np.random.default_rng(0).normal(size=(4, 5)).astype("float32")
    out = np.asarray(model(x))
    k, b, k1, b1 = model.get_weights()
    logits = np.maximum(x @ k + b, 0) @ k1 + b1
    np.testing.assert_allclose(out, np.exp(logits) / np.exp(logits).sum(-1, keepdims=True), rtol=1e-5)
    np.testing.assert_allclose(model.predict(x, verbose=0), out, rtol=1e-5)


def test_fit_and_summary(capsys):
    model = TwoLayer(name="two")
    rng = np.random.default_rng(0)
    x = rng.normal(size=(96, 5)).astype("float32")
    y = (x[:, 0] > 0).astype("int32")
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(x, y, epochs=3, batch_size=32, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    model.summary()
    assert 'Model: "two"' in capsys.readouterr().out
