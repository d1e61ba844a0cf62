"""ReduceLROnPlateau: scripted monitor values (against Keras 3), and through fit without recompiling."""
import numpy as np
import pytest

from callback_check import Script, WeightLog, drive, oracle_model, tiny_data, tiny_model
from kxla.callbacks import ReduceLROnPlateau

VALUES = [1.0, 1.0, 1.0, 0.5, 0.6, 0.7, 0.8, 0.9, 0.9, 0.9, 0.9, 0.9]
KWARGS = dict(factor=0.5, patience=2, cooldown=1, min_lr=0.1)
# rate after each epoch, worked out by hand: reductions at epochs 2, 5, 7 (cooldown 1), 9 (hits min_lr)
RATES = [1.0, 1.0, 0.5, 0.5, 0.5, 0.25, 0.25, 0.125, 0.125, 0.1, 0.1, 0.1]


def _rates(callback, model, values, **kw):
    rates, logged = [], []

    def record(epoch, logs):
        rates.append(float(model.optimizer.learning_rate))
        logged.append(logs.get("learning_rate"))

    drive(callback, model, values, hook=record, **kw)
    return rates, logged


def test_scripted_reductions():
    model = tiny_model(lr=1.0)
    rates, logged = _rates(ReduceLROnPlateau(**KWARGS), model, VALUES)
    assert rates == pytest.approx(RATES)
    assert logged == pytest.approx([1.0] + RATES[:-1])       # the rate in force during the epoch


@pytest.mark.parametrize("kwargs, values", [
    (KWARGS, VALUES),
    (dict(factor=0.1, patience=0), [3.0, 2.0, 2.5, 2.5, 1.0]),
    (dict(factor=0.5, patience=1, mode="max", monitor="val_acc"), [0.1, 0.2, 0.2, 0.3, 0.3, 0.3]),
    (dict(factor=0.5, patience=1, min_delta=0.1), [1.0, 0.95, 0.85, 0.8]),
])
def test_scripted_matches_keras(keras, kwargs, values):
    key = kwargs.get("monitor", "val_loss")
    ours, _ = _rates(ReduceLROnPlateau(**kwargs), tiny_model(lr=1.0), values, key=key)
    oracle = oracle_model(lr=1.0)
    theirs, _ = _rates(keras.callbacks.ReduceLROnPlateau(**kwargs), oracle, values, key=key)
    assert ours == pytest.approx(theirs)


def test_factor_must_be_below_one():
    with pytest.raises(ValueError, match="factor >= 1.0"):
        ReduceLROnPlateau(factor=1.0)


def test_fit_changes_lr_at_the_right_epochs_without_recompiling():
    x, y = tiny_data()
    model = tiny_model(lr=0.1)
    cb = ReduceLROnPlateau(monitor="val_loss", factor=0.5, patience=1)
    history = model.fit(x, y, epochs=6, batch_size=8, verbose=0,
                        callbacks=[Script("val_loss", [1.0] * 6), cb])
    assert history.history["learning_rate"] == pytest.approx([0.1, 0.1, 0.05, 0.025, 0.0125, 0.00625])
    assert model.optimizer.learning_rate == pytest.approx(0.003125)
    assert model.compile_stats()["train"]["compiles"] == 1


def test_reduced_rate_reaches_the_train_step():
    x, y = tiny_data()
    model = tiny_model(lr=0.1)
    log = WeightLog()
    cb = ReduceLROnPlateau(monitor="val_loss", factor=0.0, patience=1)     # lr -> 0 after epoch 1
    model.fit(x, y, epochs=4, batch_size=8, verbose=0, callbacks=[Script("val_loss", [1.0] * 4), cb, log])
    assert model.optimizer.learning_rate == 0.0
    assert not np.array_equal(log.weights[0][0], log.weights[1][0])
    for later in (log.weights[2], log.weights[3]):
        for a, b in zip(log.weights[1], later):
            np.testing.assert_array_equal(a, b)
    assert model.compile_stats()["train"]["compiles"] == 1
