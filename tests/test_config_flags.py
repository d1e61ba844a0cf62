"""keras.config's debugging switches in kxla: epoch/step caps in fit/evaluate/predict, logging, tracebacks,
flash attention, unsafe deserialization — each checked against Keras 3."""
import traceback
import warnings

import numpy as np
import pytest

import kxla

X = np.arange(40, dtype="float32").reshape(20, 2) / 40
Y = np.arange(20, dtype="float32").reshape(20, 1) / 20


def _run_capped(K, epochs_cap, steps_cap):
    K.config.set_max_epochs(epochs_cap)
    K.config.set_max_steps_per_epoch(steps_cap)
    try:
        m = K.Sequential([K.layers.Input((2,)), K.layers.Dense(1, kernel_initializer="ones")])
        m.compile("sgd", "mse")
        seen = []
        count = K.callbacks.LambdaCallback(on_train_batch_end=lambda b, logs: seen.append(b))
        ev = m.evaluate(X, Y, batch_size=4, verbose=0)
        pred = m.predict(X, batch_size=4, verbose=0)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            h = m.fit(X, Y, batch_size=4, epochs=5, shuffle=False, validation_data=(X, Y), verbose=0,
                      callbacks=[count])
        limits = sorted({str(w.message) for w in caught if "Limiting" in str(w.message)})
        return ev, pred.shape, len(h.history["loss"]), len(seen), h.history["val_loss"][0], limits
    finally:
        K.config.set_max_epochs(None)
        K.config.set_max_steps_per_epoch(None)


@pytest.mark.parametrize("epochs_cap, steps_cap", [(2, 2), (None, 3)])
def test_max_epochs_and_steps_cap_like_keras(keras, epochs_cap, steps_cap):
    ours, theirs = _run_capped(kxla, epochs_cap, steps_cap), _run_capped(keras, epochs_cap, steps_cap)
    assert ours[1:4] == theirs[1:4] and ours[5] == theirs[5]
    np.testing.assert_allclose([ours[0], ours[4]], [theirs[0], theirs[4]], rtol=1e-5)
    assert kxla.config.max_epochs() is None and kxla.config.max_steps_per_epoch() is None


def test_switches_return_what_keras_returns(keras):
    for K in (kxla, keras):
        states = []
        for name in ("flash_attention", "traceback_filtering", "interactive_logging"):
            getter = getattr(K.config, f"is_{name}_enabled")
            states.append(getter())
            getattr(K.config, f"disable_{name}")()
            states.append(getter())
            getattr(K.config, f"enable_{name}")()
            states.append(getter())
        if K is kxla:
            ours = states
    assert ours == states == [None, False, None, True, False, True, True, False, True]


def _fit_error_files(model):
    try:
        model.fit(np.zeros((4, 3), "float32"), np.zeros((4, 1), "float32"), verbose=0)
    except ValueError as e:
        return [f.filename for f in traceback.extract_tb(e.__traceback__)]
    raise AssertionError("fit accepted a wrong input shape")


def test_traceback_filtering_drops_kxla_frames():
    m = kxla.Sequential([kxla.layers.Input((2,)), kxla.layers.Dense(1)])
    m.compile("sgd", "mse")
    kxla_dir = kxla.__file__.rsplit("/", 1)[0]
    filtered = [f for f in _fit_error_files(m) if f.startswith(kxla_dir)]
    # as Keras: the re-raising handler's frame, and the raising frame when every frame is internal
    assert filtered[0].endswith("traceback_utils.py") and len(filtered) == 2
    kxla.config.disable_traceback_filtering()
    try:
        full = [f for f in _fit_error_files(m) if f.startswith(kxla_dir)]
    finally:
        kxla.config.enable_traceback_filtering()
    assert len(full) > 3 and full[-1] == filtered[-1]


def test_enable_unsafe_deserialization_turns_safe_mode_off(keras, tmp_path, monkeypatch):
    km = keras.Sequential([keras.Input((3,)), keras.layers.Lambda(lambda t: t * 3.0)])
    km.save(tmp_path / "lam.keras")
    with pytest.raises(ValueError, match="enable_unsafe_deserialization"):
        kxla.models.load_model(tmp_path / "lam.keras")
    monkeypatch.setitem(kxla.config._settings, "safe_mode_saving", None)
    kxla.config.enable_unsafe_deserialization()
    assert kxla.config.in_safe_mode() is False
    m = kxla.models.load_model(tmp_path / "lam.keras")
    np.testing.assert_allclose(m.predict(np.ones((2, 3), "float32"), verbose=0), 3.0)
