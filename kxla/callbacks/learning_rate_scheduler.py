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
        learning_rate = self._update_optimizer_lr(self.model.optimizer, epoch)
        if self.verbose > 0:
            print_msg(f"\nEpoch {epoch + 1}: LearningRateScheduler setting learning rate to {learning_rate}.")

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None:
            logs["learning_rate"] = current_learning_rate(self.model.optimizer)
