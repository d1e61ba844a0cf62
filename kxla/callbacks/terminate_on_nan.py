"""``TerminateOnNaN``: stop training as soon as the loss becomes NaN or infinite."""
from __future__ import annotations

import numpy as np

from ..console import print_msg
from .callback import Callback


class TerminateOnNaN(Callback):
    """After every train batch, stop (or raise) when ``logs["loss"]`` is NaN or Inf.

    The batch logs are the running epoch means, so one bad batch makes the
    loss non-finite from then on. Reading them fetches the loss from the
    device after each step.

    Arguments:
      raise_error: raise ``RuntimeError`` instead of setting ``model.stop_training``.
    """

    def __init__(self, raise_error: bool = False):
        super().__init__()
        self.raise_error = raise_error

    def on_train_batch_end(self, batch, logs=None):
        loss = (logs or {}).get("loss")
        if loss is None or np.isfinite(loss):
            return
        if self.raise_error:
            raise RuntimeError(f"NaN or Inf loss encountered at batch {batch}. Loss value: {loss}. "
                               "Terminating training immediately.")
        print_msg(f"Batch {batch}: Invalid loss, terminating training")
        self.model.stop_training = True
