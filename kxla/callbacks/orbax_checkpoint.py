"""``OrbaxCheckpoint``: Keras 3's Orbax-backed checkpointing callback.

kxla does not write Orbax checkpoints: without the ``orbax-checkpoint`` package the callback
raises an ImportError naming it (as Keras does); with it, a NotImplementedError pointing to
``ModelCheckpoint`` / ``BackupAndRestore``, never a callback that silently saves nothing.
"""
from __future__ import annotations

from .callback import Callback


class OrbaxCheckpoint(Callback):
    def __init__(self, directory, monitor="val_loss", verbose=0, save_best_only=False, mode="auto",
                 save_freq="epoch", initial_value_threshold=None, max_to_keep=1, save_on_background=True,
                 save_weights_only=False, **kwargs):
        super().__init__()
        try:
            import orbax.checkpoint  # noqa: F401
        except ImportError:
            raise ImportError("OrbaxCheckpoint requires the `orbax-checkpoint` package, which is not installed "
                              "(pip install orbax-checkpoint).") from None
        raise NotImplementedError("kxla does not write Orbax checkpoints yet: use kxla.callbacks.ModelCheckpoint "
                                  "or kxla.callbacks.BackupAndRestore")
