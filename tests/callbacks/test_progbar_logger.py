"""ProgbarLogger prints Keras's text in fit / evaluate / predict (verbose 1 and 2), drawn by the one Progbar.

A fake clock advanced by 0.03 s at every batch begin (in kxla and in Keras) makes
the times equal (Keras's batch-end hooks then run in order on the calling thread); the bar redraws every 0.05 s as Keras's does on any stream
(capsys is not a terminal). kxla's own compile-summary line is left out.
"""
import re

import numpy as np
import pytest

import kxla
from kxla import layers
from kxla.callbacks import ProgbarLogger
from kxla.callbacks import progbar as kxla_progbar, progbar_logger
from kxla.training import epoch_loop

from callback_check import tiny_data

_SUMMARY = re.compile(r"^(train|evaluate|predict): \d+ XLA compilation.*\n", re.M)


class _Clock:
    def __init__(self, step):
        self.now, self.step = 1000.0, step

    def time(self):
        return self.now


def _ticking(clock, base, sync):
    class Tick(base):
        def on_train_batch_begin(self, batch, logs=None):
            clock.now += clock.step

        def on_test_batch_begin(self, batch, logs=None):
            clock.now += clock.step

        def on_predict_batch_begin(self, batch, logs=None):
            clock.now += clock.step

    class SyncTick(Tick):
        # a callback with batch-end hooks makes Keras call the hooks in order on this thread (without one,
        # Keras runs them on a thread pool, where the bar reads the clock at a time of the pool's choosing)
        def on_train_batch_end(self, batch, logs=None):
            pass

        def on_test_batch_end(self, batch, logs=None):
            pass

        def on_predict_batch_end(self, batch, logs=None):
            pass
    return SyncTick() if sync else Tick()


def _models(keras):
    km = keras.Sequential([keras.layers.Input((3,)), keras.layers.Dense(4, activation="relu"), keras.layers.Dense(1)])
    km.compile(keras.optimizers.SGD(0.05), "mse", metrics=["mae"])
    xm = kxla.Sequential([layers.Input((3,)), layers.Dense(4, activation="relu"), layers.Dense(1)])
    xm.compile(kxla.optimizers.SGD(0.05), "mse", metrics=["mae"])
    xm.set_weights(km.get_weights())
    return km, xm


def _outputs(keras, monkeypatch, capsys, run, step=0.03, sync=True):
    from keras.src.utils import progbar as keras_progbar
    km, xm = _models(keras)
    out = []
    for model, base, modules in ((km, keras.callbacks.Callback, [keras_progbar]),
                                 (xm, kxla.callbacks.Callback, [kxla_progbar, progbar_logger, epoch_loop])):
        clock = _Clock(step)
        for module in modules:
            monkeypatch.setattr(module, "time", clock)
        run(model, _ticking(clock, base, sync or model is km))
        out.append(_SUMMARY.sub("", capsys.readouterr().out))
    return out


@pytest.mark.parametrize("verbose,batch_size", [(1, 8), (2, 5)])
def test_fit_text_equals_keras(keras, monkeypatch, capsys, verbose, batch_size):
    x, y = tiny_data(40)
    ours_keras, ours = _outputs(keras, monkeypatch, capsys, lambda m, tick: m.fit(
        x, y, batch_size=batch_size, epochs=3, shuffle=False, verbose=verbose, callbacks=[tick],
        validation_data=(x[:10], y[:10])))
    assert ours == ours_keras
    assert ("Epoch 3/3\n" in ours) and ("\x1b[32m" in ours) == (verbose == 1)
    if verbose == 1:      # redrawn every 0.05 s: more than once per epoch, fewer than once per batch
        assert ours.count("\r") > 3 * 2 and ours.count("\r") < 3 * (40 // batch_size + 1)


def test_single_epoch_evaluate_and_predict_text_equal_keras(keras, monkeypatch, capsys):
    x, y = tiny_data(40)

    def run(model, tick):
        model.fit(x, y, batch_size=16, epochs=1, shuffle=False, callbacks=[tick])
        model.evaluate(x, y, batch_size=8, callbacks=[tick])
        model.predict(x, batch_size=8, callbacks=[tick])
    theirs, ours = _outputs(keras, monkeypatch, capsys, run)
    assert ours == theirs and "Epoch" not in ours          # no "Epoch 1/1" for one epoch, as Keras


def test_bar_reads_logs_and_is_called_only_when_it_redraws(keras, monkeypatch, capsys):
    """With a clock that never moves, fit calls the bar's batch hook on the first and the last step only,
    and prints the same text as Keras (whose bar is called every step and skips the redraw)."""
    calls = []
    original = ProgbarLogger._update_progbar

    def counting(self, batch, logs=None):
        calls.append(batch)
        return original(self, batch, logs)
    monkeypatch.setattr(ProgbarLogger, "_update_progbar", counting)
    x, y = tiny_data(40)
    theirs, ours = _outputs(keras, monkeypatch, capsys, lambda m, tick: m.fit(
        x, y, batch_size=4, epochs=2, shuffle=False, callbacks=[tick]), step=0.0, sync=False)   # kxla: no batch-end hook but the bar's
    assert ours == theirs
    assert calls == [0, 9, 0, 9]


def test_a_given_bar_is_used_and_a_subclass_is_called_every_batch():
    seen = []

    class Mine(ProgbarLogger):
        def on_train_batch_end(self, batch, logs=None):
            seen.append(batch)
            super().on_train_batch_end(batch, logs)
    model = kxla.Sequential([layers.Input((3,)), layers.Dense(1)])
    model.compile("sgd", "mse")
    x, y = tiny_data(40)
    mine = Mine()
    model.fit(x, y, batch_size=4, epochs=1, verbose=1, callbacks=[mine])
    assert seen == list(range(10))
    assert sum(isinstance(cb, ProgbarLogger) for cb in [mine]) == 1 and mine.progbar.target == 10
