"""``ProgbarLogger``: Keras's progress output of fit / evaluate / predict, drawn by ``Progbar`` (the same text).

As Keras: "Epoch i/n" before each epoch when ``epochs > 1``; at verbose=1 the bar
redraws in place at most every 0.05 s and once more at the end with the epoch's
logs; at verbose=2 one line per epoch; fit's validation is silent.

Every metric is shown as the latest value (Keras's ``stateless_metrics=set()``), so
an update that will not redraw needs no metric values: the bar then skips reading
the batch logs (a device fetch in kxla), and tells fit when it next wants a batch
hook (``_next_due``) so the loop need not call it in between — the text is the same.
"""
from __future__ import annotations

import time

from ..console import print_msg
from .callback import Callback
from .progbar import Progbar

_NEVER = float("inf")


class ProgbarLogger(Callback):
    """Callback that prints metrics to stdout (Keras 3's ``keras.callbacks.ProgbarLogger``)."""

    def __init__(self):
        super().__init__()
        self.seen = 0
        self.progbar = None
        self.target = None
        self.verbose = 1
        self.epochs = 1
        self._called_in_fit = False
        self._run = "fit"           # set by kxla's fit / evaluate / predict: which batch hooks draw

    def set_params(self, params):
        super().set_params(params)
        verbose = params.get("verbose", 1)
        self.verbose = 1 if verbose == "auto" else verbose
        self.epochs = params.get("epochs", 1)
        self.target = params.get("steps")

    def _listens(self, hook: str) -> bool:
        if not self.verbose:
            return False
        return {"on_train_batch_end": self.verbose == 1, "on_test_batch_end": self._run == "evaluate",
                "on_predict_batch_end": self._run == "predict"}.get(hook, False)

    def _throttle(self, hook: str):
        """For fit's train batch hook: ``next_due() -> time.time()`` of the next call that changes what
        is printed (None: call every batch, e.g. in a subclass with its own batch hook)."""
        own = type(self).on_train_batch_end is ProgbarLogger.on_train_batch_end and \
            type(self).on_batch_end is Callback.on_batch_end
        return self._next_due if hook == "on_train_batch_end" and own else None

    def _next_due(self) -> float:
        """Now for an epoch's first step (the bar times the steps from it), then when the bar redraws."""
        if self.progbar is None or self.seen == 0:
            return 0.0
        return self.progbar._last_update + self.progbar.interval if self.verbose == 1 else _NEVER

    def on_train_begin(self, logs=None):
        self._called_in_fit = True          # validation inside fit is silent

    def on_test_begin(self, logs=None):
        if not self._called_in_fit:
            self._reset_progbar()
            self._maybe_init_progbar()

    def on_predict_begin(self, logs=None):
        self._reset_progbar()
        self._maybe_init_progbar()

    def on_epoch_begin(self, epoch, logs=None):
        self._reset_progbar()
        self._maybe_init_progbar()
        if self.verbose and self.epochs > 1:
            print_msg(f"Epoch {epoch + 1}/{self.epochs}")

    def on_train_batch_end(self, batch, logs=None):
        self._update_progbar(batch, logs)

    def on_test_batch_end(self, batch, logs=None):
        if not self._called_in_fit:
            self._update_progbar(batch, logs)

    def on_predict_batch_end(self, batch, logs=None):
        self._update_progbar(batch, None)        # Keras does not pass the predictions

    def on_epoch_end(self, epoch, logs=None):
        self._finalize_progbar(logs)

    def on_test_end(self, logs=None):
        if not self._called_in_fit:
            self._finalize_progbar(logs)

    def on_predict_end(self, logs=None):
        self._finalize_progbar(logs)

    def _reset_progbar(self):
        self.seen = 0
        self.progbar = None

    def _maybe_init_progbar(self):
        if self.progbar is None:
            self.progbar = Progbar(target=self.target, verbose=self.verbose, unit_name="step",
                                   stateless_metrics=set())

    def _update_progbar(self, batch, logs=None):
        self._maybe_init_progbar()
        self.seen = batch + 1
        if self.verbose == 1:
            bar, now = self.progbar, time.time()
            # every metric is stateful here: only the values of a redraw are ever shown
            values = list((logs or {}).items()) if bar.due(now) else []
            bar._accumulate(self.seen, values, False)
            bar._show(self.seen, now, False)

    def _finalize_progbar(self, logs):
        self._maybe_init_progbar()
        if self.target is None:
            self.target = self.seen
            self.progbar.target = self.target
        self.progbar.update(self.target, list((logs or {}).items()), finalize=True)
