"""``Callback`` (Keras 3 hooks) and ``CallbackList``, which fans each hook out to many callbacks."""
from __future__ import annotations


class Callback:
    """Base class: override any ``on_*`` hook; ``self.model`` and ``self.params`` are set by fit."""

    def __init__(self):
        self.model = None
        self.params = {}

    def set_model(self, model):
        self.model = model

    def set_params(self, params):
        self.params = params

    def on_train_begin(self, logs=None): pass
    def on_train_end(self, logs=None): pass
    def on_epoch_begin(self, epoch, logs=None): pass
    def on_epoch_end(self, epoch, logs=None): pass
    def on_batch_begin(self, batch, logs=None): pass       # Keras's aliases of the train batch hooks
    def on_batch_end(self, batch, logs=None): pass

    def on_train_batch_begin(self, batch, logs=None):
        self.on_batch_begin(batch, logs=logs)

    def on_train_batch_end(self, batch, logs=None):
        self.on_batch_end(batch, logs=logs)

    def on_test_begin(self, logs=None): pass
    def on_test_end(self, logs=None): pass
    def on_test_batch_begin(self, batch, logs=None): pass
    def on_test_batch_end(self, batch, logs=None): pass
    def on_predict_begin(self, logs=None): pass
    def on_predict_end(self, logs=None): pass
    def on_predict_batch_begin(self, batch, logs=None): pass
    def on_predict_batch_end(self, batch, logs=None): pass


_BATCH_HOOKS = ("on_train_batch_begin", "on_train_batch_end", "on_test_batch_begin",
                "on_test_batch_end", "on_predict_batch_begin", "on_predict_batch_end")


_ALIASES = {"on_train_batch_begin": "on_batch_begin", "on_train_batch_end": "on_batch_end"}


def overrides(callback, hook: str) -> bool:
    """Whether ``callback`` overrides batch hook ``hook`` and its override does something this run
    (``_listens``: e.g. a ``ModelCheckpoint`` saving per epoch has nothing to do per batch)."""
    alias = _ALIASES.get(hook)
    if getattr(type(callback), hook, None) is getattr(Callback, hook) and \
            (alias is None or getattr(type(callback), alias, None) is getattr(Callback, alias)):
        return False
    listens = getattr(callback, "_listens", None)
    return listens is None or listens(hook)


class CallbackList:
    """Calls each hook on every callback in order; knows which batch hooks anyone listens to."""

    def __init__(self, callbacks, model, params):
        self.callbacks = list(callbacks)
        for cb in self.callbacks:
            cb.set_model(model)
            cb.set_params(params)
        self.batch_listeners = {hook: [cb for cb in self.callbacks if overrides(cb, hook)]
                                for hook in _BATCH_HOOKS}
        for hook, listeners in self.batch_listeners.items():     # per-batch hooks: no lookup per call
            setattr(self, hook, _fanout([getattr(cb, hook) for cb in listeners]))

    def wants(self, hook: str) -> bool:
        """Whether any callback overrides batch hook ``hook`` (else fit skips building its logs)."""
        return bool(self.batch_listeners[hook])

    def throttle(self, hook: str):
        """``next_due() -> time.time()`` before which no listener of batch hook ``hook`` needs a call
        (each says so with ``_throttle(hook)``, e.g. the progress bar between redraws); None when some
        listener needs every call."""
        dues = [getattr(cb, "_throttle", lambda h: None)(hook) for cb in self.batch_listeners[hook]]
        if not dues or any(d is None for d in dues):
            return None
        return dues[0] if len(dues) == 1 else (lambda: min(d() for d in dues))

    def call(self, hook: str, *args):
        targets = self.batch_listeners.get(hook, self.callbacks)
        for cb in targets:
            getattr(cb, hook)(*args)

    def __getattr__(self, hook):
        if hook.startswith("on_"):
            return lambda *args: self.call(hook, *args)
        raise AttributeError(hook)


def _fanout(methods: list):
    if len(methods) == 1:
        return methods[0]

    def call(*args):
        for method in methods:
            method(*args)
    return call


def save_due_after_batch(callback, batch: int) -> bool:
    """Keras's batch counting of ``save_freq=<int>`` callbacks (ModelCheckpoint, BackupAndRestore): counts
    the batches since the last save across epochs (a batch index not above the last seen starts a new
    epoch) in ``callback._batches_seen_since_last_saving`` / ``_last_batch_seen``; True when one is due."""
    if callback.save_freq == "epoch":
        return False
    last = callback._last_batch_seen
    added = batch + 1 if last is None or batch <= last else batch - last
    callback._batches_seen_since_last_saving += added
    callback._last_batch_seen = batch
    if callback._batches_seen_since_last_saving >= callback.save_freq:
        callback._batches_seen_since_last_saving = 0
        return True
    return False
