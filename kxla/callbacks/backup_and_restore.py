"""``BackupAndRestore``: resume an interrupted ``fit`` where it stopped (Keras 3's callback and files).

At each epoch end (or every ``save_freq`` batches) the model's weights and its optimizer's
variables go to ``<backup_dir>/latest.weights.h5`` (Keras's layout: the layers' groups, then
``optimizer/vars`` in ``optimizer.variables`` order) and the epoch to
``training_metadata.json``. At the start of the next ``fit`` both are read back and training
continues from that epoch (``model._initial_epoch``, as Keras's fit reads it after
``on_train_begin``). A finished ``fit`` deletes the backup (``delete_checkpoint=True``);
``double_checkpoint`` keeps the previous one to fall back on when the latest cannot be read.
"""
from __future__ import annotations

import json
import os
import shutil

import numpy as np

from .callback import Callback, save_due_after_batch


class BackupAndRestore(Callback):
    def __init__(self, backup_dir, save_freq="epoch", double_checkpoint=False, delete_checkpoint=True):
        super().__init__()
        if not backup_dir:
            raise ValueError("Empty `backup_dir` argument passed")
        if save_freq != "epoch" and (isinstance(save_freq, bool) or not isinstance(save_freq, int)):
            raise ValueError(f"Invalid value for argument `save_freq`. Received: save_freq={save_freq}. "
                             "Expected either 'epoch' or an integer value.")
        self.backup_dir, self.save_freq = os.fspath(backup_dir), save_freq
        self.double_checkpoint, self.delete_checkpoint = double_checkpoint, delete_checkpoint
        self._batches_seen_since_last_saving, self._last_batch_seen, self._current_epoch = 0, -1, 0
        self._weights_path = os.path.join(self.backup_dir, "latest.weights.h5")
        self._training_metadata_path = os.path.join(self.backup_dir, "training_metadata.json")
        self._prev_weights_path = self._weights_path + ".bkp"
        self._prev_training_metadata_path = self._training_metadata_path + ".bkp"

    def on_train_begin(self, logs=None):
        try:
            self._load_model()
        except OSError:
            if not os.path.exists(self._prev_weights_path):
                raise
            shutil.copy(self._prev_weights_path, self._weights_path)
            if os.path.exists(self._prev_training_metadata_path):
                shutil.copy(self._prev_training_metadata_path, self._training_metadata_path)
            elif os.path.exists(self._training_metadata_path):
                os.remove(self._training_metadata_path)
            self._load_model()

    def _load_model(self):
        if not self.model.built:
            raise ValueError("To use the BackupAndRestore callback, your model must be built before you call "
                             f"`fit()`. Model {self.model.name} is unbuilt. You can build it beforehand by calling "
                             "it on a batch of data.")
        if os.path.exists(self._weights_path):
            self.model.load_weights(self._weights_path)
            self._load_optimizer()
        if os.path.exists(self._training_metadata_path):
            with open(self._training_metadata_path) as f:
                self.model._initial_epoch = json.loads(f.read())["epoch"]

    def _load_optimizer(self):
        import h5py
        opt = getattr(self.model, "optimizer", None)
        with h5py.File(self._weights_path, "r") as f:
            group = f.get("optimizer/vars")
            if opt is None or group is None:
                return
            arrays = [np.asarray(group[str(i)]) for i in range(len(group))]
        if not opt.built:
            opt.build(self.model.trainable_variables)
        if len(arrays) != len(opt.variables):
            raise ValueError(f"{self._weights_path}: the backup holds {len(arrays)} optimizer variables but "
                             f"{opt.name} has {len(opt.variables)}")
        for var, value in zip(opt.variables, arrays):
            var.assign(value.astype(np.asarray(var.numpy()).dtype))

    def on_epoch_end(self, epoch, logs=None):
        self._current_epoch = epoch + 1
        self._last_batch_seen = 0
        if self.save_freq == "epoch":
            self._save_model()

    def on_train_batch_end(self, batch, logs=None):
        if save_due_after_batch(self, batch):
            self._save_model()

    def _save_model(self):
        import h5py
        os.makedirs(self.backup_dir, exist_ok=True)
        if self.double_checkpoint:
            for path, prev in ((self._weights_path, self._prev_weights_path),
                               (self._training_metadata_path, self._prev_training_metadata_path)):
                if os.path.exists(path):
                    shutil.copy(path, prev)
        self.model.save_weights(self._weights_path, overwrite=True)
        opt = getattr(self.model, "optimizer", None)
        if opt is not None and opt.variables:
            with h5py.File(self._weights_path, "a") as f:
                if "optimizer/vars" in f:              # save_weights wrote them already (Keras's layout)
                    del f["optimizer/vars"]
                group = f.require_group("optimizer/vars")
                group.attrs["name"] = opt.name
                for i, var in enumerate(opt.variables):
                    group.create_dataset(str(i), data=np.asarray(var.numpy()))
        with open(self._training_metadata_path, "w") as f:
            f.write(json.dumps({"epoch": self._current_epoch, "batch": self._last_batch_seen}))

    def on_train_end(self, logs=None):
        if self.delete_checkpoint and os.path.exists(self.backup_dir):
            shutil.rmtree(self.backup_dir)
