"""``LearningRateScheduler``: set the optimizer's learning rate from ``schedule(epoch, lr)`` before each epoch.

The learning rate reaches the jitted train step as an argument, so changing
it never recompiles.
"""
from __future__ import annotations

import numpy as np

from ..console import print_msg
from .callback import Callback


def current_learning_rate(optimizer) -> float:
    """The optimizer's learning rate as a Python float (TypeError for a ``LearningRateSchedule``)."""
    if not hasattr(optimizer, "learning_rate"):
        raise ValueError('Optimizer must have a "learning_rate" attribute.')
    lr = optimizer.learning_rate
    if isinstance(lr, (int, float, np.floating, np.integer)):
        return float(lr)
    raise TypeError(f"The optimizer's learning rate is a {type(lr).__name__}, not a float: a callback "
                    "cannot read or set it. Create the optimizer with a float learning_rate.")


def inner_optimizers(optimizer) -> list:
    """A MultiOptimizer's inner optimizers (Keras sets and logs each one's rate), else ``[optimizer]``."""
    return list(optimizer.optimizers) if hasattr(optimizer, "optimizers") else [optimizer]


def learning_rate_logs(optimizer) -> dict:
    """``{"learning_rate": lr}``, or for a MultiOptimizer ``{"learning_rate_<inner name>": lr, ...}``."""
    if not hasattr(optimizer, "optimizers"):
        return {"learning_rate": current_learning_rate(optimizer)}
    return {f"learning_rate_{opt.name}": current_learning_rate(opt) for opt in optimizer.optimizers}


class LearningRateScheduler(Callback):
    """At the beginning of every epoch, ``optimizer.learning_rate = schedule(epoch, lr)``.

    Arguments:
      schedule: ``schedule(epoch, lr) -> float`` (0-based epoch, current
        rate), or ``schedule(epoch) -> float``.
      verbose: 1 prints the new rate each epoch.

    The rate in force is also logged as ``logs["learning_rate"]`` at epoch end.
    """

    def __init__(self, schedule, verbose=0):
        super().__init__()
        self.schedule = schedule
        self.verbose = verbose

    def _update_optimizer_lr(self, optimizer, epoch) -> float:
        try:
            learning_rate = self.schedule(epoch, current_learning_rate(optimizer))
        except TypeError:        # schedule(epoch) takes one argument
            learning_rate = self.schedule(epoch)
        if not isinstance(learning_rate, (float, np.float32, np.float64)):
            raise ValueError(f"The output of the `schedule` function should be a float. Got: {learning_rate}")
        optimizer.learning_rate = learning_rate
        return float(learning_rate)

    def on_epoch_begin(self, epoch, logs=None):
        optimizer = self.model.optimizer
        for opt in inner_optimizers(optimizer):
            learning_rate = self._update_optimizer_lr(opt, epoch)
            if self.verbose > 0:
                what = "learning rate" if opt is optimizer else f"{opt.name} learning rate"
                print_msg(f"\nEpoch {epoch + 1}: LearningRateScheduler setting {what} to {learning_rate}.")

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None:
            logs.update(learning_rate_logs(self.model.optimizer))
