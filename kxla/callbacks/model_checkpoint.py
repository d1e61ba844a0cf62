"""``ModelCheckpoint``: save the model (or its weights) during ``fit``, every epoch or every N batches."""
from __future__ import annotations

import inspect
import os
import warnings

import numpy as np

from ..console import print_msg
from .callback import save_due_after_batch
from .monitor_callback import MonitorCallback


class ModelCheckpoint(MonitorCallback):
    """Save with ``model.save`` / ``model.save_weights`` to a file named from a template (Keras 3 semantics).

    ``filepath`` is formatted with ``epoch`` (1-based), ``batch`` (1-based,
    batch-level saves only) and every log entry, e.g.
    ``"ckpt-{epoch:02d}-{val_loss:.2f}.kxla"`` -> ``ckpt-03-0.41.kxla``.
    Missing directories are created.

    Arguments:
      filepath: the file name template.
      monitor: log key for ``save_best_only``.
      verbose: 1 prints a line per save decision.
      save_best_only: save only when ``monitor`` improves on the best so far
        (when the template has no placeholders, the file always holds the best model).
      save_weights_only: ``model.save_weights`` instead of ``model.save``.
      mode: ``"auto"``, ``"min"`` or ``"max"``.
      save_freq: ``"epoch"``, or an integer: save every that many batches.
      initial_value_threshold: the value ``monitor`` must beat for the first save.
    """

    def __init__(self, filepath, monitor="val_loss", verbose=0, save_best_only=False, save_weights_only=False,
                 mode="auto", save_freq="epoch", initial_value_threshold=None):
        super().__init__(monitor, mode, initial_value_threshold)
        self.verbose = verbose
        self.filepath = os.fspath(filepath)
        self.save_best_only = save_best_only
        self.save_weights_only = save_weights_only
        self.save_freq = save_freq
        self._batches_seen_since_last_saving = 0
        self._last_batch_seen = None
        self._current_epoch = 0
        if save_freq != "epoch" and (not isinstance(save_freq, int) or isinstance(save_freq, bool)
                                     or save_freq < 1):
            raise ValueError(f"Unrecognized save_freq: {save_freq}. Expected save_freq are 'epoch' or "
                             "positive integer values")

    def on_epoch_begin(self, epoch, logs=None):
        self._current_epoch = epoch

    def _listens(self, hook: str) -> bool:
        """Saving per epoch, the batch hook has nothing to do: fit need not call it."""
        return hook != "on_train_batch_end" or self.save_freq != "epoch"

    def on_train_batch_end(self, batch, logs=None):
        if self._should_save_on_batch(batch):
            self._save_model(epoch=self._current_epoch, batch=batch, logs=logs)

    def on_epoch_end(self, epoch, logs=None):
        if self.monitor_op is None:
            self._set_monitor_op()
        if self.save_freq == "epoch":
            self._save_model(epoch=epoch, batch=None, logs=logs)

    def _should_save_on_batch(self, batch) -> bool:
        return save_due_after_batch(self, batch)

    def _should_save_model(self, epoch, logs, filepath) -> bool:
        if not self.save_best_only:
            if self.verbose > 0:
                print_msg(f"\nEpoch {epoch + 1}: saving model to {filepath}")
            return True
        if self.monitor_op is None:
            self._set_monitor_op()
        current = logs.get(self.monitor)
        if current is None:
            warnings.warn(f"Can save best model only with {self.monitor} available.", stacklevel=2)
            return True
        if np.ndim(current) > 0:
            warnings.warn("Can save best model only when `monitor` is a scalar value. Received: "
                          f"{current}. Falling back to `save_best_only=False`.")
            return True
        best = "None" if self.best is None else f"{self.best:.5f}"
        if self._is_improvement(current, self.best):
            if self.verbose > 0:
                print_msg(f"\nEpoch {epoch + 1}: {self.monitor} improved from {best} to {current:.5f}, "
                      f"saving model to {filepath}")
            self.best = current
            return True
        if self.verbose > 0:
            print_msg(f"\nEpoch {epoch + 1}: {self.monitor} did not improve from {best}")
        return False

    def _save_model(self, epoch, batch, logs):
        logs = dict(logs.items()) if logs else {}
        filepath = self._get_file_path(epoch, batch, logs)
        if os.path.isdir(filepath):
            raise IOError("Please specify a non-directory filepath for ModelCheckpoint. Filepath used is an "
                          f"existing directory: {filepath}")
        if not self._should_save_model(epoch, logs, filepath):
            return
        dirname = os.path.dirname(filepath)
        if dirname:
            os.makedirs(dirname, exist_ok=True)
        method = "save_weights" if self.save_weights_only else "save"
        save = getattr(self.model, method, None)
        if save is None:
            raise TypeError(f"ModelCheckpoint needs model.{method}(), which this model does not "
                                      "have (kxla.saving provides it)")
        try:
            accepts_overwrite = "overwrite" in inspect.signature(save).parameters
        except (TypeError, ValueError):
            accepts_overwrite = False
        if accepts_overwrite:
            save(filepath, overwrite=True)
        else:
            save(filepath)
        if self.verbose > 0:
            print_msg(f"\nEpoch {epoch + 1}: finished saving model to {filepath}")

    def _get_file_path(self, epoch, batch, logs) -> str:
        try:
            if batch is None or "batch" in logs:
                return self.filepath.format(epoch=epoch + 1, **logs)
            return self.filepath.format(epoch=epoch + 1, batch=batch + 1, **logs)
        except KeyError as e:
            raise KeyError(f'Failed to format this callback filepath: "{self.filepath}". Reason: {e}') from None
