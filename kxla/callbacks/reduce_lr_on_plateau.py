"""``ReduceLROnPlateau``: multiply the learning rate by ``factor`` when a metric stops improving.

The learning rate is an argument of the jitted train step, so a reduction
takes effect at the next step without recompiling.
"""
from __future__ import annotations

import warnings

import numpy as np

from ..console import print_msg
from .learning_rate_scheduler import current_learning_rate, inner_optimizers, learning_rate_logs
from .monitor_callback import MonitorCallback


class ReduceLROnPlateau(MonitorCallback):
    """Reduce the learning rate after ``patience`` epochs without improvement (Keras 3 semantics).

    Arguments:
      monitor: log key to watch.
      factor: ``new_lr = max(lr * factor, min_lr)``; must be < 1.
      patience: epochs without improvement before a reduction.
      verbose: 1 prints each reduction.
      mode: ``"auto"``, ``"min"`` or ``"max"``.
      min_delta: threshold for a new optimum.
      cooldown: epochs after a reduction during which no waiting is counted.
      min_lr: lower bound on the learning rate.

    The rate in force during the epoch is logged as ``logs["learning_rate"]``.
    """

    def __init__(self, monitor="val_loss", factor=0.1, patience=10, verbose=0, mode="auto",
                 min_delta=1e-4, cooldown=0, min_lr=0.0, **kwargs):
        super().__init__(monitor, mode, min_delta=min_delta)
        if factor >= 1.0:
            raise ValueError(f"ReduceLROnPlateau does not support a factor >= 1.0. Received factor={factor}")
        if kwargs:
            raise ValueError(f"Argument(s) not recognized: {kwargs}")
        self.factor = factor
        self.min_lr = min_lr
        self.patience = patience
        self.verbose = verbose
        self.cooldown = cooldown
        self.cooldown_counter = 0
        self.wait = 0

    def _reset(self):
        self.best = None
        self.cooldown_counter = 0
        self.wait = 0

    def on_train_begin(self, logs=None):
        self._reset()

    def on_epoch_end(self, epoch, logs=None):
        if self.monitor_op is None:
            self._set_monitor_op()
        logs = logs if logs is not None else {}
        logs.update(learning_rate_logs(self.model.optimizer))
        current = logs.get(self.monitor)
        if current is None:
            warnings.warn(f"Learning rate reduction is conditioned on metric `{self.monitor}` which is not "
                          f"available. Available metrics are: {','.join(list(logs.keys()))}.", stacklevel=2)
            return
        if self.in_cooldown():
            self.cooldown_counter -= 1
            self.wait = 0
        if self._is_improvement(current, self.best):
            self.best = current
            self.wait = 0
        elif not self.in_cooldown():
            self.wait += 1
            if self.wait >= self.patience and self._reduce_lr(epoch):
                self.cooldown_counter = self.cooldown
                self.wait = 0

    def _reduce_lr(self, epoch) -> bool:
        optimizer, reduced = self.model.optimizer, False
        for opt in inner_optimizers(optimizer):        # a MultiOptimizer: each inner rate, as Keras
            old_lr = current_learning_rate(opt)
            if old_lr <= np.float32(self.min_lr):
                continue
            new_lr = max(old_lr * self.factor, self.min_lr)
            opt.learning_rate = new_lr
            reduced = True
            if self.verbose > 0:
                name = "" if opt is optimizer else f" {opt.name}"
                print_msg(f"\nEpoch {epoch + 1}: ReduceLROnPlateau reducing{name} learning rate to {new_lr}.")
        return reduced

    def in_cooldown(self) -> bool:
        return self.cooldown_counter > 0
