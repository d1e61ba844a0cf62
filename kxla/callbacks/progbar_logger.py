"""``ProgbarLogger``: prints Keras's progress bar (verbose=1) or one line per epoch (verbose=2)."""
from __future__ import annotations

import sys

from .progbar import Progbar
from ..console import print_msg
from .callback import Callback


class ProgbarLogger(Callback):
    def __init__(self, verbose: int = 1, stream=None):
        super().__init__()
        self.verbose = verbose
        self.stream = stream
        self.bar = None
        self._mode = "train"

    def on_train_begin(self, logs=None):
        self._mode = "train"

    def on_epoch_begin(self, epoch, logs=None):
        if self.verbose:
            epochs = self.params.get("epochs", 1)
            print_msg(f"Epoch {epoch + 1}/{epochs}", stream=self.stream)
        self.bar = Progbar(self.params.get("steps"), verbose=self.verbose, stream=self.stream)

    def _listens(self, hook: str) -> bool:
        """The bar redraws per batch only on a terminal (verbose=1); written to a file or a pipe it
        prints once per epoch, so fit need not call the batch hook (nor fetch batch logs)."""
        if hook != "on_train_batch_end":
            return True
        stream = self.stream or sys.stdout
        return self.verbose == 1 and hasattr(stream, "isatty") and stream.isatty()

    def on_train_batch_end(self, batch, logs=None):
        # logs here are only fetched when the bar will redraw (see Trainer.fit)
        if self.bar is not None and logs is not None:
            self.bar.update(batch + 1, logs)

    def on_epoch_end(self, epoch, logs=None):
        if self.bar is not None:
            self.bar.update(self.params.get("steps") or 0, logs, finalize=True)

    def on_test_begin(self, logs=None):
        if self._mode == "test_only":
            self.bar = Progbar(self.params.get("steps"), verbose=self.verbose, stream=self.stream)

    def on_test_end(self, logs=None):
        if self._mode == "test_only" and self.bar is not None:
            self.bar.update(self.params.get("steps") or 0, logs, finalize=True)

    def on_predict_begin(self, logs=None):
        self.bar = Progbar(self.params.get("steps"), verbose=self.verbose, stream=self.stream)

    def on_predict_end(self, logs=None):
        if self.bar is not None:
            self.bar.update(self.params.get("steps") or 0, None, finalize=True)
