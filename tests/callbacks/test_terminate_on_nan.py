"""TerminateOnNaN: training stops after the first batch whose loss is NaN/Inf (or raises)."""
import numpy as np
import pytest

from callback_check import tiny_data, tiny_model
from kxla.callbacks import LambdaCallback, TerminateOnNaN


def _poisoned():
    x, y = tiny_data()
    y = y.copy()
    y[20] = np.nan                  # batch 2 of 4 (batch_size 8, no shuffling)
    return x, y


def test_stops_after_the_bad_batch(capsys):
    x, y = _poisoned()
    model = tiny_model()
    batches = []
    history = model.fit(x, y, epochs=3, batch_size=8, verbose=0, shuffle=False,
                        callbacks=[TerminateOnNaN(),
                                   LambdaCallback(on_train_batch_end=lambda b, logs: batches.append(b))])
    assert batches == [0, 1, 2]
    assert model.stop_training and history.epoch == [0]
    assert np.isnan(history.history["loss"][0])
    assert "Batch 2: Invalid loss, terminating training" in capsys.readouterr().out


def test_raise_error():
    x, y = _poisoned()
    with pytest.raises(RuntimeError, match="NaN or Inf loss encountered at batch 2"):
        tiny_model().fit(x, y, epochs=1, batch_size=8, verbose=0, shuffle=False,
                         callbacks=[TerminateOnNaN(raise_error=True)])


def test_finite_losses_do_nothing():
    x, y = tiny_data()
    model = tiny_model()
    history = model.fit(x, y, epochs=2, batch_size=16, verbose=0, callbacks=[TerminateOnNaN()])
    assert history.epoch == [0, 1] and not model.stop_training
    cb = TerminateOnNaN()
    cb.set_model(model)
    cb.on_train_batch_end(0, {"loss": float("inf")})
    assert model.stop_training
