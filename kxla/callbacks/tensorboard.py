"""``TensorBoard``: event files for TensorBoard, written with tensorboardX (``pip install 'kxla[tensorboard]'``).

Layout, as Keras 3 writes it::

    log_dir/train/       epoch_<metric> (step = epoch), epoch_learning_rate,
                         batch_<metric> (step = global batch, when update_freq != "epoch"),
                         <weight path>/histogram (when histogram_freq > 0),
                         the model's IR as a text summary (tag "kxla_ir", when write_graph)
    log_dir/validation/  epoch_<metric> from the val_* logs, and
                         evaluation_<metric>_vs_iterations after evaluate(callbacks=[...])
"""
from __future__ import annotations

import os

import numpy as np

from .callback import Callback
from .learning_rate_scheduler import learning_rate_logs

# Keras arguments kxla does not implement, accepted at their defaults so Keras code runs unchanged
_UNSUPPORTED_DEFAULTS = {"write_images": False, "write_steps_per_second": False, "profile_batch": 0,
                         "embeddings_freq": 0, "embeddings_metadata": None}


def _summary_writer_class():
    try:
        from tensorboardX import SummaryWriter
    except ImportError as e:
        raise ImportError("The TensorBoard callback writes event files with tensorboardX, which is not "
                          "installed. Install the optional extra: pip install 'kxla[tensorboard]' "
                          "(or pip install tensorboardX)") from e
    return SummaryWriter


class TensorBoard(Callback):
    """Log epoch and batch scalars, weight histograms and the IR graph for TensorBoard.

    Arguments:
      log_dir: directory holding the ``train`` and ``validation`` runs.
      histogram_freq: every how many epochs to write weight histograms (0: never).
      write_graph: write the compiled training graph's IR text (optimized) at the start of training.
      update_freq: ``"epoch"``; ``"batch"``; or an integer N: write ``batch_*``
        scalars every N train batches (reading batch logs syncs with the device).

    Raises:
      ImportError: tensorboardX is not installed (the ``kxla[tensorboard]`` extra).
    """

    def __init__(self, log_dir="logs", histogram_freq=0, write_graph=True, update_freq="epoch", **kwargs):
        super().__init__()
        for key, value in kwargs.items():
            if key not in _UNSUPPORTED_DEFAULTS:
                raise TypeError(f"TensorBoard got an unexpected keyword argument {key!r}")
            if value != _UNSUPPORTED_DEFAULTS[key]:
                raise ValueError(f"kxla's TensorBoard callback does not support {key}={value!r}")
        self._writer_class = _summary_writer_class()
        if update_freq != "epoch" and update_freq != "batch" and \
                (not isinstance(update_freq, int) or isinstance(update_freq, bool) or update_freq < 1):
            raise ValueError(f"update_freq must be 'epoch', 'batch' or a positive integer, got {update_freq!r}")
        self.log_dir = os.fspath(log_dir)
        self.histogram_freq = histogram_freq
        self.write_graph = write_graph
        self.update_freq = 1 if update_freq == "batch" else update_freq
        self._train_dir = os.path.join(self.log_dir, "train")
        self._val_dir = os.path.join(self.log_dir, "validation")
        self._writers: dict = {}
        self._global_train_batch = 0
        self._last_batch_seen = None

    # -- writers ----------------------------------------------------------------------
    def _writer(self, which: str):
        if which not in self._writers:
            path = self._train_dir if which == "train" else self._val_dir
            self._writers[which] = self._writer_class(logdir=path)
        return self._writers[which]

    def _flush(self):
        for writer in self._writers.values():
            writer.flush()

    def _close_writers(self):
        for writer in self._writers.values():
            writer.close()
        self._writers = {}

    # -- hooks ------------------------------------------------------------------------
    def on_train_begin(self, logs=None):
        self._global_train_batch = 0
        self._last_batch_seen = None
        if self.write_graph:
            self._write_graph()

    def on_train_end(self, logs=None):
        self._close_writers()

    def on_train_batch_end(self, batch, logs=None):
        # one call may cover several batches (steps_per_execution): count them by index
        if self._last_batch_seen is None or batch <= self._last_batch_seen:
            self._global_train_batch += batch + 1
        else:
            self._global_train_batch += batch - self._last_batch_seen
        self._last_batch_seen = batch
        if self.update_freq == "epoch" or logs is None or self._global_train_batch % self.update_freq:
            return
        writer = self._writer("train")
        for name, value in logs.items():
            writer.add_scalar(f"batch_{name}", float(value), self._global_train_batch)

    def on_epoch_begin(self, epoch, logs=None):
        self._last_batch_seen = None

    def on_epoch_end(self, epoch, logs=None):
        self._log_epoch_metrics(epoch, logs or {})
        if self.histogram_freq and epoch % self.histogram_freq == 0:
            self._log_weights(epoch)
        self._flush()

    def on_test_end(self, logs=None):
        opt_state = getattr(self.model, "_opt_state", None)
        if not logs or not isinstance(opt_state, dict) or "iterations" not in opt_state:
            return
        step = int(np.asarray(opt_state["iterations"]))
        writer = self._writer("val")
        for name, value in logs.items():
            writer.add_scalar(f"evaluation_{name}_vs_iterations", float(value), step)
        writer.flush()

    # -- what gets written -------------------------------------------------------------
    def _write_graph(self):
        graph = self.model.to_ir(training=True, optimized=True)
        text = "\n".join("    " + line for line in str(graph).splitlines())   # a markdown code block
        self._writer("train").add_text("kxla_ir", text, 0)

    def _log_epoch_metrics(self, epoch, logs):
        if not logs:
            return
        train_logs = {k: v for k, v in logs.items() if not k.startswith("val_")}
        val_logs = {k[4:]: v for k, v in logs.items() if k.startswith("val_")}
        optimizer = getattr(self.model, "optimizer", None)
        if optimizer is not None and "learning_rate" not in train_logs:
            try:
                train_logs.update(learning_rate_logs(getattr(optimizer, "inner_optimizer", optimizer)))
            except (TypeError, ValueError):
                pass                       # a LearningRateSchedule: no single rate to log
        if train_logs:
            writer = self._writer("train")
            for name, value in train_logs.items():
                writer.add_scalar(f"epoch_{name}", float(value), epoch)
        if val_logs:
            writer = self._writer("val")
            for name, value in val_logs.items():
                writer.add_scalar(f"epoch_{name}", float(value), epoch)

    def _log_weights(self, epoch):
        writer = self._writer("train")
        for layer in self.model.layers:
            for weight in layer.weights:
                name = weight.path.replace(":", "_")
                writer.add_histogram(f"{name}/histogram", np.asarray(weight.numpy(), dtype=np.float64), epoch)
