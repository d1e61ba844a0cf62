"""``EarlyStopping``: stop ``fit`` when a monitored quantity stops improving (Keras 3 semantics)."""
from __future__ import annotations

import warnings

import numpy as np

from ..console import print_msg
from .monitor_callback import MonitorCallback


class EarlyStopping(MonitorCallback):
    """Stop training once ``monitor`` has not improved for ``patience`` epochs.

    At every epoch end (from ``start_from_epoch`` on) the monitored value is
    compared with the best so far; an improvement resets the wait counter
    (unless it does not beat ``baseline``). When the counter reaches
    ``patience`` (and the epoch is not the first), ``model.stop_training`` is
    set and ``fit`` ends after this epoch.

    Arguments:
      monitor: log key to watch (default ``"val_loss"``).
      min_delta: an absolute change smaller than this is no improvement.
      patience: epochs without improvement before stopping.
      verbose: 1 prints a line when stopping / restoring.
      mode: ``"auto"``, ``"min"`` or ``"max"``.
      baseline: training stops unless the model improves on this value.
      restore_best_weights: at the end of training, set the weights of the
        best epoch (always, whether or not training stopped early).
      start_from_epoch: epochs of warm-up before monitoring begins.

    Attributes:
      stopped_epoch: the epoch (0-based) at which training was stopped, else 0.
      best_epoch: the epoch (0-based) with the best monitored value.
      best_weights: a copy of the weights at ``best_epoch`` (when restoring).
    """

    def __init__(self, monitor="val_loss", min_delta=0, patience=0, verbose=0, mode="auto",
                 baseline=None, restore_best_weights=False, start_from_epoch=0):
        super().__init__(monitor, mode, min_delta=min_delta)
        self.patience = patience
        self.verbose = verbose
        self.baseline = baseline
        self.wait = 0
        self.stopped_epoch = 0
        self.restore_best_weights = restore_best_weights
        self.best_weights = None
        self.best_epoch = 0
        self.start_from_epoch = start_from_epoch

    def on_train_begin(self, logs=None):
        self.wait = 0
        self.stopped_epoch = 0
        self.best = None
        self.best_weights = None
        self.best_epoch = 0

    def on_epoch_end(self, epoch, logs=None):
        if self.monitor_op is None:
            self._set_monitor_op()
        current = self.get_monitor_value(logs)
        if current is None or epoch < self.start_from_epoch:
            return
        if self.restore_best_weights and self.best_weights is None:
            # the first monitored epoch is the best one until another improves on it
            self.best_weights = _copy_weights(self.model)
            self.best_epoch = epoch
        self.wait += 1
        if self._is_improvement(current, self.best):
            self.best = current
            self.best_epoch = epoch
            if self.restore_best_weights:
                self.best_weights = _copy_weights(self.model)
            if self.baseline is None or self._is_improvement(current, self.baseline):
                self.wait = 0
            return
        if self.wait >= self.patience and epoch > 0:
            self.stopped_epoch = epoch
            self.model.stop_training = True

    def on_train_end(self, logs=None):
        # restoring here (not in on_epoch_end) runs after fit has written its last weights back
        if self.stopped_epoch > 0 and self.verbose > 0:
            print_msg(f"Epoch {self.stopped_epoch + 1}: early stopping")
        if self.restore_best_weights and self.best_weights is not None:
            if self.verbose > 0:
                print_msg(f"Restoring model weights from the end of the best epoch: {self.best_epoch + 1}.")
            self.model.set_weights(self.best_weights)

    def get_monitor_value(self, logs):
        logs = logs or {}
        value = logs.get(self.monitor)
        if value is None:
            warnings.warn(f"Early stopping conditioned on metric `{self.monitor}` which is not available. "
                          f"Available metrics are: {','.join(list(logs.keys()))}", stacklevel=2)
        return value


def _copy_weights(model) -> list:
    # copies: the live device buffers are donated to the next train step
    return [np.array(w, copy=True) for w in model.get_weights()]
