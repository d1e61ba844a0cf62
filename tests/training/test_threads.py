"""fit in one thread, predict / evaluate in another: documented safe behaviour (the state lock).

predict reads the weights as of some completed step and never sees a donated buffer; neither
thread deadlocks.
"""
import threading

import numpy as np

import kxla
from kxla import layers


def _model():
    kxla.utils.set_random_seed(0)
    m = kxla.Sequential([layers.Input((8,)), layers.Dense(32, activation="relu"), layers.Dense(1)])
    m.compile(kxla.optimizers.Adam(1e-3), "mse", metrics=["mae"])
    return m


def test_fit_and_predict_in_two_threads():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(256, 8)).astype("float32")
    y = x.sum(1, keepdims=True)
    model = _model()
    model.predict(x[:1], verbose=0)
    errors, stop, calls = [], threading.Event(), [0]

    def reader():
        while not stop.is_set():
            try:
                for out in (model.predict(x[:1], verbose=0), model.predict(x, batch_size=64, verbose=0),
                            np.asarray(model.evaluate(x, y, verbose=0))):
                    assert np.isfinite(out).all()
                calls[0] += 1
            except Exception as e:          # noqa: BLE001 - reported below
                errors.append(e)
                return

    thread = threading.Thread(target=reader, daemon=True)
    thread.start()
    try:
        model.fit(x, y, batch_size=16, epochs=8, verbose=0,
                  callbacks=[kxla.callbacks.LambdaCallback(on_train_batch_end=lambda b, logs: None)])
        model.fit(x, y, batch_size=16, epochs=8, verbose=0)
    finally:
        stop.set()
        thread.join(timeout=120)
    assert not thread.is_alive(), "predict thread deadlocked"
    assert not errors, errors
    assert calls[0] > 0
    # afterwards both agree with the weights
    w = model.get_weights()
    expected = np.maximum(x @ w[0] + w[1], 0) @ w[2] + w[3]
    np.testing.assert_allclose(model.predict(x, verbose=0), expected, rtol=1e-4, atol=1e-5)
