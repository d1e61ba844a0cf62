"""``LambdaCallback``: a callback made of plain functions, one per hook."""
from __future__ import annotations

from .callback import Callback

_ALIASES = {"on_batch_begin": "on_train_batch_begin", "on_batch_end": "on_train_batch_end"}


class LambdaCallback(Callback):
    """Build a callback on the fly: ``LambdaCallback(on_epoch_end=lambda epoch, logs: ...)``.

    Arguments (each optional; Keras 3's signatures):
      on_epoch_begin, on_epoch_end: ``f(epoch, logs)``.
      on_train_begin, on_train_end: ``f(logs)``.
      on_train_batch_begin, on_train_batch_end: ``f(batch, logs)``.
      **kwargs: any other hook (``on_test_begin=...``, ``on_predict_batch_end=...``;
        ``on_batch_begin`` / ``on_batch_end`` mean the train-batch hooks) or
        attribute to set on the callback.

    ``fit`` only runs the batch hooks of callbacks whose class overrides them,
    so this class overrides all of them; the ones not given do nothing.
    """

    def __init__(self, on_epoch_begin=None, on_epoch_end=None, on_train_begin=None, on_train_end=None,
                 on_train_batch_begin=None, on_train_batch_end=None, **kwargs):
        super().__init__()
        given = dict(on_epoch_begin=on_epoch_begin, on_epoch_end=on_epoch_end,
                     on_train_begin=on_train_begin, on_train_end=on_train_end,
                     on_train_batch_begin=on_train_batch_begin, on_train_batch_end=on_train_batch_end)
        for key, value in kwargs.items():
            given[_ALIASES.get(key, key)] = value
        for key, value in given.items():
            if value is not None:
                setattr(self, key, value)        # an instance attribute shadows the no-op below

    # class-level no-ops so that fit's CallbackList calls this callback's batch hooks
    def on_train_batch_begin(self, batch, logs=None): pass
    def on_train_batch_end(self, batch, logs=None): pass
    def on_test_batch_begin(self, batch, logs=None): pass
    def on_test_batch_end(self, batch, logs=None): pass
    def on_predict_batch_begin(self, batch, logs=None): pass
    def on_predict_batch_end(self, batch, logs=None): pass
