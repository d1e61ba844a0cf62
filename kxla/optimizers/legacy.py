"""kxla.optimizers.legacy — Keras 3's ``keras.optimizers.legacy`` names.

Keras 3 keeps these names only to point tf.keras 2 users elsewhere: constructing any of them raises an
``ImportError``. kxla does the same, with Keras's message, so code written for tf.keras fails the same way.
"""
from __future__ import annotations

__all__ = ["Adagrad", "Adam", "Ftrl", "Optimizer", "RMSprop", "SGD"]

_MESSAGE = ("`keras.optimizers.legacy` is not supported in Keras 3. When using `tf.keras`, to continue using a "
            "`tf.keras.optimizers.legacy` optimizer, you can install the `tf_keras` package (Keras 2) and set the "
            "environment variable `TF_USE_LEGACY_KERAS=True` to configure TensorFlow to use `tf_keras` when "
            "accessing `tf.keras`. In kxla use `kxla.optimizers` (the Keras 3 optimizers).")


class LegacyOptimizerWarning:
    """Every ``kxla.optimizers.legacy`` name: raises ``ImportError`` when constructed, as Keras 3 does."""

    def __init__(self, *args, **kwargs):
        raise ImportError(_MESSAGE)


Adagrad = Adam = Ftrl = Optimizer = RMSprop = SGD = LegacyOptimizerWarning
