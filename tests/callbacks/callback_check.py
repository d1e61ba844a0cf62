"""Shared kit for the callback tests: a tiny compiled model, its data, scripted logs, a Keras oracle model."""
import types

import numpy as np

import kxla
from kxla import layers
from kxla.callbacks import Callback


def tiny_model(lr=0.05, metrics=None):
    """A 3 -> 4 -> 1 MLP compiled with SGD(lr) and mse."""
    model = kxla.Sequential([layers.Input((3,)), layers.Dense(4, activation="relu", name="hidden"),
                             layers.Dense(1, name="out")], name="tiny")
    model.compile(kxla.optimizers.SGD(learning_rate=lr), "mse", metrics=metrics)
    return model


def tiny_data(n=32, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 3)).astype("float32")
    y = (x @ np.array([[1.0], [-2.0], [0.5]], "float32") + 0.1).astype("float32")
    return x, y


class Script(Callback):
    """Overwrites ``logs[key]`` with ``values[epoch]`` at epoch end: put it before the callback under test."""

    def __init__(self, key, values):
        super().__init__()
        self.key, self.values = key, list(values)

    def on_epoch_end(self, epoch, logs=None):
        logs[self.key] = float(self.values[epoch])


class WeightLog(Callback):
    """Copies of the model's weights at the end of every epoch."""

    def __init__(self):
        super().__init__()
        self.weights = []

    def on_epoch_end(self, epoch, logs=None):
        self.weights.append([np.array(w, copy=True) for w in self.model.get_weights()])


def drive(callback, model, values, key="val_loss", hook=None):
    """Run ``callback`` through a scripted fit: on_train_begin, then (begin, end) per epoch until it stops.

    Returns the epochs whose end was reached.
    """
    callback.set_model(model)
    model.stop_training = False
    callback.on_train_begin({})
    seen = []
    for epoch, v in enumerate(values):
        callback.on_epoch_begin(epoch, {})
        logs = {key: float(v)}
        callback.on_epoch_end(epoch, logs)
        seen.append(epoch)
        if hook is not None:
            hook(epoch, logs)
        if model.stop_training:
            break
    callback.on_train_end({})
    return seen


def oracle_model(lr=1.0, weights=None):
    """A stand-in model for driving Keras's own callbacks (no metrics; settable learning rate)."""
    return types.SimpleNamespace(optimizer=types.SimpleNamespace(learning_rate=lr), stop_training=False,
                                 get_weights=lambda: weights or [], set_weights=lambda w: None)
