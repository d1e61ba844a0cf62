"""Callbacks are called in Keras 3's order with Keras 3's logs keys (Keras on the JAX backend is the oracle)."""
import numpy as np
import pytest

import kxla

HOOKS = ["on_train_begin", "on_train_end", "on_epoch_begin", "on_epoch_end", "on_train_batch_begin",
         "on_train_batch_end", "on_test_begin", "on_test_end", "on_test_batch_begin", "on_test_batch_end",
         "on_predict_begin", "on_predict_end", "on_predict_batch_begin", "on_predict_batch_end"]


def recorder(base):
    """A callback class deriving from ``base`` that records (hook, index, sorted logs keys)."""
    def make(hook):
        def method(self, *args, logs=None):
            index = [a for a in args if isinstance(a, int)]
            logs = next((a for a in args if isinstance(a, dict)), logs)
            self.seq.append((hook, index[0] if index else None, tuple(sorted(logs or {}))))
        return method
    attrs = {h: make(h) for h in HOOKS}
    attrs["__init__"] = lambda self: (base.__init__(self), setattr(self, "seq", []))[1]
    return type("Recorder", (base,), attrs)


def run(lib, fit_kwargs, steps_per_execution=1):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(10, 3)).astype("float32")
    y = rng.normal(size=(10, 1)).astype("float32")
    model = lib.Sequential([lib.Input((3,)), lib.layers.Dense(1)])
    model.compile("sgd", "mse", metrics=["mae"], steps_per_execution=steps_per_execution)
    rec = recorder(lib.callbacks.Callback)()
    kwargs = dict(batch_size=4, epochs=3, verbose=0, callbacks=[rec], shuffle=False)
    kwargs.update(fit_kwargs)
    if kwargs.pop("validation_data", None):
        kwargs["validation_data"] = (x[:6], y[:6])
    model.fit(x, y, **kwargs)
    model.evaluate(x, y, batch_size=4, callbacks=[rec], verbose=0)
    model.predict(x, batch_size=4, callbacks=[rec], verbose=0)
    return rec.seq


@pytest.mark.parametrize("fit_kwargs,spe", [
    ({"validation_data": True}, 1),
    ({"validation_split": 0.3, "validation_freq": 2}, 1),
    ({}, 2),
])
def test_hook_sequence_matches_keras(keras, fit_kwargs, spe):
    expected = run(keras, fit_kwargs, spe)
    got = run(kxla, fit_kwargs, spe)
    assert got == expected


def test_epoch_and_test_end_logs_hold_values(keras):
    """on_test_end during fit's validation gets the validation metrics; on_epoch_end gets val_ keys."""
    seen = {}

    class Grab(kxla.callbacks.Callback):
        def on_test_end(self, logs=None):
            seen.setdefault("test_end", []).append(dict(logs))

        def on_epoch_end(self, epoch, logs=None):
            seen.setdefault("epoch_end", []).append(dict(logs))

    x = np.arange(30, dtype="float32").reshape(10, 3) / 30
    y = x.sum(1, keepdims=True)
    model = kxla.Sequential([kxla.Input((3,)), kxla.layers.Dense(1)])
    model.compile("sgd", "mse")
    model.fit(x, y, batch_size=4, epochs=2, validation_data=(x, y), callbacks=[Grab()], verbose=0)
    for test, epoch in zip(seen["test_end"], seen["epoch_end"]):
        assert epoch["val_loss"] == test["loss"]
