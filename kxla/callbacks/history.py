"""``History``: records every epoch's logs; ``fit`` returns it (``history.history["loss"]``)."""
from __future__ import annotations

from .callback import Callback


class History(Callback):
    """Records each epoch's logs in ``history[key]`` and sets ``model.history`` to itself."""

    def __init__(self):
        super().__init__()
        self.history: dict[str, list] = {}
        self.epoch: list[int] = []

    def on_train_begin(self, logs=None):
        self.epoch = []
        if self.model is not None:      # set even when training stops before the first epoch ends
            self.model.history = self

    def on_epoch_end(self, epoch, logs=None):
        self.epoch.append(epoch)
        for k, v in (logs or {}).items():
            self.history.setdefault(k, []).append(v)
        if self.model is not None:
            self.model.history = self
