"""``MonitorCallback``: the "is this epoch better?" logic of EarlyStopping, ReduceLROnPlateau, ModelCheckpoint.

As in Keras 3: ``mode="auto"`` minimizes a monitored ``loss`` / ``val_loss``
(and any ``*_loss``) and otherwise asks the compiled metric for its direction
(accuracy-like metrics go up). ``min_delta`` is the margin an improvement must
clear: in ``min`` mode ``current < best - min_delta``, in ``max`` mode
``current > best + min_delta``.
"""
from __future__ import annotations

import warnings

import numpy as np

from .callback import Callback


class MonitorCallback(Callback):
    """Base class of callbacks that watch one logged quantity.

    Arguments:
      monitor: the log key to watch, e.g. ``"val_loss"``.
      mode: ``"auto"``, ``"min"`` or ``"max"``.
      baseline: starting value of ``best`` (None: the first value always improves).
      min_delta: the smallest change that counts as an improvement.
    """

    def __init__(self, monitor="val_loss", mode="auto", baseline=None, min_delta=0):
        super().__init__()
        if mode not in ("auto", "min", "max"):
            warnings.warn(f"{type(self).__name__} mode '{mode}' is unknown, fallback to auto mode.",
                          stacklevel=2)
            mode = "auto"
        self.monitor = monitor
        self.mode = mode
        self.best = baseline
        self.min_delta = abs(min_delta)
        self.monitor_op = None

    def _set_monitor_op(self):
        if self.mode == "min":
            self.monitor_op = np.less
        elif self.mode == "max":
            self.monitor_op = np.greater
        else:
            name = self.monitor.removeprefix("val_")
            if name == "loss" or name.endswith("_loss"):
                self.monitor_op = np.less
            else:
                direction = _metric_direction(self.model, name)
                if direction == "up":
                    self.monitor_op = np.greater
                elif direction == "down":
                    self.monitor_op = np.less
            if self.monitor_op is None:
                raise ValueError(
                    f"{type(self).__name__} callback received monitor={self.monitor}, but kxla isn't able "
                    "to automatically determine whether that metric should be maximized or minimized. "
                    "Pass `mode='max'` in order to monitor based on the highest metric value, or pass "
                    "`mode='min'` in order to use the lowest value.")
        if self.monitor_op is np.less:
            self.min_delta *= -1

    def _is_improvement(self, monitor_value, reference_value) -> bool:
        if reference_value is None:
            return True
        return bool(self.monitor_op(monitor_value - self.min_delta, reference_value))


def _metric_direction(model, name: str):
    """``"up"`` / ``"down"`` / None: the direction of the compiled metric logged as ``name``."""
    resolve = getattr(model, "_resolve", None)
    if resolve is None or not getattr(model, "compiled", False):
        return None
    try:
        _, _, _, metrics, _, out_losses = resolve()
    except ValueError:
        return None
    for m in [m for group in metrics for m in group] + [m for m in out_losses if m is not None]:
        if name in (getattr(m, "log_name", None), m.name):
            return getattr(m, "_direction", None)
    return None
