"""EarlyStopping: scripted monitor values (against Keras 3's own callback) and end to end through fit."""
import numpy as np
import pytest

from callback_check import Script, WeightLog, drive, oracle_model, tiny_data, tiny_model
from kxla.callbacks import EarlyStopping

# (kwargs, monitored values, epoch at which training stops or None)
CASES = [
    (dict(patience=2), [1.0, 0.9, 0.95, 0.92, 0.91, 0.5], 3),
    (dict(patience=0), [1.0, 0.9, 0.95, 0.5], 2),
    (dict(patience=1, min_delta=0.05), [1.0, 0.97, 0.96, 0.9], 1),
    (dict(patience=2, mode="max", monitor="val_accuracy"), [0.5, 0.6, 0.6, 0.55, 0.7], 3),
    (dict(patience=3, baseline=0.5), [0.8, 0.7, 0.75, 0.9, 0.4], 2),
    (dict(patience=1, start_from_epoch=2), [1.0, 2.0, 3.0, 4.0, 5.0], 3),
    (dict(patience=2), [1.0, 0.9, 0.8, 0.7], None),
]


@pytest.mark.parametrize("kwargs, values, stop", CASES)
def test_scripted_stop_epoch(kwargs, values, stop):
    model = tiny_model()
    cb = EarlyStopping(**kwargs)
    seen = drive(cb, model, values, key=kwargs.get("monitor", "val_loss"))
    if stop is None:
        assert seen == list(range(len(values))) and cb.stopped_epoch == 0
    else:
        assert seen == list(range(stop + 1))
        assert cb.stopped_epoch == stop and model.stop_training


@pytest.mark.parametrize("kwargs, values, stop", CASES)
def test_scripted_matches_keras(keras, kwargs, values, stop):
    key = kwargs.get("monitor", "val_loss")
    ours = drive(EarlyStopping(**kwargs), tiny_model(), values, key=key)
    theirs = drive(keras.callbacks.EarlyStopping(**kwargs), oracle_model(), values, key=key)
    assert ours == theirs


def test_auto_mode_reads_metric_direction():
    model = tiny_model(metrics=["accuracy"])
    seen = drive(EarlyStopping(monitor="val_accuracy", patience=1), model, [0.5, 0.7, 0.6, 0.9],
                 key="val_accuracy")
    assert seen == [0, 1, 2]                        # maximized: 0.6 after 0.7 is no improvement
    with pytest.raises(ValueError, match="maximized or minimized"):
        drive(EarlyStopping(monitor="val_something"), tiny_model(), [1.0])


def test_missing_monitor_warns_and_continues():
    model = tiny_model()
    with pytest.warns(UserWarning, match="not available"):
        seen = drive(EarlyStopping(monitor="val_loss"), model, [1.0, 2.0], key="loss")
    assert seen == [0, 1]


def _forward(weights, x):
    k1, b1, k2, b2 = weights
    return np.maximum(x @ k1 + b1, 0) @ k2 + b2


@pytest.mark.parametrize("restore", [True, False])
def test_fit_stops_and_restores_best_weights(restore):
    x, y = tiny_data()
    model = tiny_model()
    log = WeightLog()
    values = [1.0, 0.8, 0.6, 0.7, 0.65, 0.9, 0.1, 0.1, 0.1, 0.1]
    es = EarlyStopping(monitor="val_loss", patience=2, restore_best_weights=restore)
    history = model.fit(x, y, epochs=10, batch_size=8, verbose=0, shuffle=False,
                        callbacks=[Script("val_loss", values), es, log])
    assert history.epoch == [0, 1, 2, 3, 4] and len(history.history["loss"]) == 5
    assert model.history is history
    assert es.stopped_epoch == 4 and es.best_epoch == 2
    expected = log.weights[2] if restore else log.weights[4]
    for got, want in zip(model.get_weights(), expected):
        np.testing.assert_array_equal(got, want)
    assert not np.array_equal(log.weights[2][0], log.weights[4][0])     # training did move the weights
    # the restored weights are the ones the compiled functions use afterwards
    np.testing.assert_allclose(model.predict(x, verbose=0), _forward(expected, x), rtol=1e-5, atol=1e-5)


def test_restores_best_even_without_stopping():
    x, y = tiny_data()
    model = tiny_model()
    log = WeightLog()
    es = EarlyStopping(monitor="val_loss", patience=10, restore_best_weights=True)
    model.fit(x, y, epochs=4, batch_size=16, verbose=0,
              callbacks=[Script("val_loss", [1.0, 0.5, 0.7, 0.8]), es, log])
    assert es.stopped_epoch == 0 and len(log.weights) == 4
    for got, want in zip(model.get_weights(), log.weights[1]):
        np.testing.assert_array_equal(got, want)


def test_fit_with_real_validation_loss():
    x, y = tiny_data()
    model = tiny_model(lr=0.0)                      # nothing improves: stops after patience epochs
    es = EarlyStopping(patience=1)
    history = model.fit(x, y, epochs=6, batch_size=16, verbose=0, validation_data=(x, y), callbacks=[es])
    assert len(history.history["val_loss"]) == 2 and es.stopped_epoch == 1
