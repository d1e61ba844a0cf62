"""The Keras guide "Writing your own callbacks", section by section.

Our own code following the guide's steps with the same API calls (a ``keras.callbacks.Callback``
subclass overriding every global / batch-level / epoch-level hook, run through ``fit`` with
``validation_split``, ``evaluate`` and ``predict``; then per-batch loss reporting, early stopping at
the minimum loss with best-weight restore, and an epoch-wise learning-rate schedule), on small random
data. The hook sequence (which hook, which index, which log keys) must be the one Keras 3 produces.
"""
import numpy as np

import kxla


def _data():
    rng = np.random.default_rng(3)
    x = rng.random((60, 16)).astype("float32")
    y = (x @ rng.random((16, 1)) + 0.1 * rng.random((60, 1))).astype("float32")
    return x, y


def _regressor(lib, learning_rate=0.05):
    model = lib.Sequential([lib.layers.Dense(1)])
    model.compile(optimizer=lib.optimizers.RMSprop(learning_rate=learning_rate), loss="mean_squared_error",
                  metrics=["mean_absolute_error"])
    return model


_HOOKS = [f"on_{when}_{edge}" for when in ("train", "test", "predict") for edge in ("begin", "end")]
_BATCH_HOOKS = [f"on_{when}_batch_{edge}" for when in ("train", "test", "predict") for edge in ("begin", "end")]


def _hook_recorder(lib):
    """A Callback subclass that overrides every hook the guide lists and records (hook, index, log keys)."""
    class HookLog(lib.callbacks.Callback):
        def __init__(self):
            super().__init__()
            self.events = []

        def on_epoch_begin(self, epoch, logs=None):
            self.events.append(("on_epoch_begin", epoch, sorted(logs)))

        def on_epoch_end(self, epoch, logs=None):
            self.events.append(("on_epoch_end", epoch, sorted(logs)))

    def global_hook(name):
        def hook(self, logs=None):
            self.events.append((name, None, sorted(logs)))
        return hook

    def batch_hook(name):
        def hook(self, batch, logs=None):
            self.events.append((name, batch, sorted(logs)))
        return hook

    for name in _HOOKS:
        setattr(HookLog, name, global_hook(name))
    for name in _BATCH_HOOKS:
        setattr(HookLog, name, batch_hook(name))
    return HookLog


def _hook_sequence(lib):
    x, y = _data()
    recorder = _hook_recorder(lib)
    model = _regressor(lib)
    runs = [recorder(), recorder(), recorder()]
    model.fit(x, y, batch_size=16, epochs=2, verbose=0, validation_split=0.5, callbacks=[runs[0]])
    model.evaluate(x, y, batch_size=16, verbose=0, callbacks=[runs[1]])
    model.predict(x, batch_size=16, verbose=0, callbacks=[runs[2]])
    return [run.events for run in runs]


def test_every_hook_fires_in_keras_order_with_keras_log_keys(keras):
    ours, theirs = _hook_sequence(kxla), _hook_sequence(keras)
    assert ours == theirs
    fit_events = ours[0]
    assert fit_events[0][0] == "on_train_begin" and fit_events[-1][0] == "on_train_end"
    assert ("on_epoch_end", 1, ["loss", "mean_absolute_error", "val_loss", "val_mean_absolute_error"]) in fit_events
    assert [e[1] for e in ours[2] if e[0] == "on_predict_batch_end"] == [0, 1, 2, 3]


def _loss_reporter(lib, lines):
    class LossReport(lib.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            lines.append(("train", batch, logs["loss"]))

        def on_test_batch_end(self, batch, logs=None):
            lines.append(("test", batch, logs["loss"]))

        def on_epoch_end(self, epoch, logs=None):
            lines.append(("epoch", epoch, logs["loss"], logs["mean_absolute_error"]))
    return LossReport()


def test_batch_and_epoch_loss_reporting():
    x, y = _data()
    lines = []
    model = _regressor(kxla)
    history = model.fit(x, y, batch_size=20, epochs=2, shuffle=False, verbose=0,
                        callbacks=[_loss_reporter(kxla, lines)])
    result = model.evaluate(x, y, batch_size=20, verbose=0, callbacks=[_loss_reporter(kxla, lines)])
    assert [line[:2] for line in lines] == [("train", 0), ("train", 1), ("train", 2), ("epoch", 0),
                                            ("train", 0), ("train", 1), ("train", 2), ("epoch", 1),
                                            ("test", 0), ("test", 1), ("test", 2)]
    # the batch logs carry running means: the last batch of an epoch reports the epoch's value
    np.testing.assert_allclose([lines[2][2], lines[6][2]], history.history["loss"], rtol=1e-6)
    np.testing.assert_allclose([lines[3][3], lines[7][3]], history.history["mean_absolute_error"], rtol=1e-6)
    np.testing.assert_allclose(lines[-1][2], result[0], rtol=1e-6)


class StopAtLossMinimum(kxla.callbacks.Callback):
    """Stops once the training loss has not improved for ``patience`` epochs and puts back the best weights."""

    def __init__(self, patience=0):
        super().__init__()
        self.patience = patience
        self.best_weights = None

    def on_train_begin(self, logs=None):
        self.wait, self.stopped_epoch, self.best = 0, 0, np.inf
        self.losses = []

    def on_epoch_end(self, epoch, logs=None):
        loss = logs.get("loss")
        self.losses.append(loss)
        if np.less(loss, self.best):
            self.best, self.wait = loss, 0
            self.best_weights = self.model.get_weights()
            return
        self.wait += 1
        if self.wait >= self.patience:
            self.stopped_epoch = epoch
            self.model.stop_training = True
            self.model.set_weights(self.best_weights)


def test_early_stopping_at_the_loss_minimum_restores_best_weights():
    x, y = _data()
    model = _regressor(kxla, learning_rate=1.0)          # a large step: the loss soon stops decreasing
    stopper = StopAtLossMinimum()
    history = model.fit(x, y, batch_size=60, epochs=30, shuffle=False, verbose=0, callbacks=[stopper])
    assert 0 < stopper.stopped_epoch < 29
    assert len(history.history["loss"]) == stopper.stopped_epoch + 1          # training really stopped
    assert stopper.losses[-1] >= stopper.best == min(stopper.losses)
    for got, best in zip(model.get_weights(), stopper.best_weights):
        np.testing.assert_array_equal(got, best)


class EpochLearningRate(kxla.callbacks.Callback):
    """Sets the optimizer's learning rate at the start of each epoch from ``schedule(epoch, lr)``."""

    def __init__(self, schedule):
        super().__init__()
        self.schedule = schedule
        self.seen = []

    def on_epoch_begin(self, epoch, logs=None):
        if not hasattr(self.model.optimizer, "learning_rate"):
            raise ValueError('Optimizer must have a "learning_rate" attribute.')
        new_rate = self.schedule(epoch, self.model.optimizer.learning_rate)
        self.model.optimizer.learning_rate = new_rate
        self.seen.append(float(np.asarray(self.model.optimizer.learning_rate)))


def test_epoch_learning_rate_schedule():
    steps = {2: 0.02, 4: 0.004}                           # epoch -> learning rate from that epoch on

    def schedule(epoch, rate):
        return steps.get(epoch, rate)

    x, y = _data()
    model = _regressor(kxla)
    scheduler = EpochLearningRate(schedule)
    model.fit(x, y, batch_size=30, epochs=6, verbose=0, callbacks=[scheduler])
    np.testing.assert_allclose(scheduler.seen, [0.05, 0.05, 0.02, 0.02, 0.004, 0.004], rtol=1e-6)
    assert float(np.asarray(model.optimizer.learning_rate)) == np.float32(0.004)
