"""``SwapEMAWeights``: evaluate (and predict) with the optimizer's moving-average weights (Keras 3's).

Before evaluation the model's weights and the optimizer's EMA ``average`` variables trade
places; after it they trade back. With ``swap_on_epoch=True`` they are swapped at each epoch
end (so ``ModelCheckpoint`` saves the EMA weights) and back at the next epoch's start; after
the last epoch the averages take the final weights. The optimizer needs ``use_ema=True``.
"""
from __future__ import annotations

import numpy as np

from .callback import Callback


def _ema_optimizers(model) -> list:
    """The optimizers whose averages are swapped: the model's, or a MultiOptimizer's inner ones with EMA."""
    optimizer = getattr(model.optimizer, "inner_optimizer", model.optimizer)
    if hasattr(optimizer, "optimizers"):
        chosen = [opt for opt in optimizer.optimizers if getattr(opt, "use_ema", False)]
        if not chosen:
            raise ValueError("SwapEMAWeights must be used when at least one inner optimizer has `use_ema=True` "
                             "set. Received a MultiOptimizer with all inner optimizers having `use_ema=False`.")
    else:
        chosen = [optimizer]
    for opt in chosen:
        if not hasattr(opt, "_model_variables_moving_average"):
            raise ValueError("SwapEMAWeights must be used when `use_ema=True` is set on the optimizer. "
                             f"Received: use_ema={getattr(opt, 'use_ema', False)}")
    return chosen


class SwapEMAWeights(Callback):
    def __init__(self, swap_on_epoch=False):
        super().__init__()
        self.swap_on_epoch = swap_on_epoch
        self._ema_weights_in_model = False

    def _swap_variables(self):
        for optimizer in _ema_optimizers(self.model):
            for var, average in zip(optimizer._trainable_variables, optimizer._model_variables_moving_average):
                current = np.asarray(var.numpy())
                var.assign(np.asarray(average.numpy()))
                average.assign(current)

    def _finalize_ema_values(self):
        for optimizer in _ema_optimizers(self.model):
            for var, average in zip(optimizer._trainable_variables, optimizer._model_variables_moving_average):
                average.assign(np.asarray(var.numpy()))

    def on_epoch_begin(self, epoch, logs=None):
        if self.swap_on_epoch and self._ema_weights_in_model:
            self._swap_variables()
            self._ema_weights_in_model = False

    def on_epoch_end(self, epoch, logs=None):
        if self.swap_on_epoch and not self._ema_weights_in_model:
            self._swap_variables()
            self._ema_weights_in_model = True
            if epoch == self.params["epochs"] - 1:
                self._finalize_ema_values()

    def on_test_begin(self, logs=None):
        if not self._ema_weights_in_model:
            self._swap_variables()
            self._ema_weights_in_model = True

    def on_test_end(self, logs=None):
        if self._ema_weights_in_model:
            self._swap_variables()
            self._ema_weights_in_model = False

    def on_predict_begin(self, logs=None):
        if not self._ema_weights_in_model:
            self._swap_variables()
            self._ema_weights_in_model = True

    def on_predict_end(self, logs=None):
        if not self._ema_weights_in_model:           # (Keras's condition, kept as Keras has it)
            self._swap_variables()
            self._ema_weights_in_model = False
