"""``timeseries_dataset_from_array``: sliding windows over an array as a ``PyDataset`` of batches.

Keras 3 returns a ``tf.data.Dataset``; kxla returns a ``PyDataset`` (which
``fit`` / ``evaluate`` / ``predict`` take) yielding the same windows in the same
order. With ``shuffle=True`` the window order is Keras's numpy permutation of
the start positions for ``seed`` (Keras also shuffles through a tf.data buffer,
which kxla does not reproduce).
"""
from __future__ import annotations

import math

import numpy as np

from .py_dataset import PyDataset

__all__ = ["timeseries_dataset_from_array"]


class _Windows(PyDataset):
    def __init__(self, data, targets, starts, sequence_length, sampling_rate, batch_size):
        super().__init__()
        self.data, self.targets, self.starts = data, targets, starts
        self.offsets = np.arange(sequence_length) * sampling_rate
        self.batch_size = batch_size

    def __len__(self):
        return 1 if self.batch_size is None else math.ceil(len(self.starts) / self.batch_size)

    def __getitem__(self, index):
        if not 0 <= index < len(self):
            raise IndexError(f"batch index {index} out of range for {len(self)} batches")
        starts = self.starts if self.batch_size is None else \
            self.starts[index * self.batch_size:(index + 1) * self.batch_size]
        x = self.data[starts[:, None] + self.offsets[None, :]]
        return x if self.targets is None else (x, self.targets[starts])


def _check(data, start_index, end_index, sampling_rate, sequence_stride):
    n = len(data)
    if start_index and not 0 <= start_index < n:
        raise ValueError(f"`start_index` must be 0 or greater and lower than the length of the data. Received: "
                         f"start_index={start_index}, for data of length {n}")
    if end_index and (end_index >= n or end_index <= 0 or (start_index and end_index <= start_index)):
        raise ValueError(f"`end_index` must be higher than 0 and `start_index` and lower than the length of the "
                         f"data. Received: start_index={start_index}, end_index={end_index}, data length {n}")
    for name, value in (("sampling_rate", sampling_rate), ("sequence_stride", sequence_stride)):
        if not 0 < value < n:
            raise ValueError(f"`{name}` must be higher than 0 and lower than the length of the data. Received: "
                             f"{name}={value}, for data of length {n}")


def timeseries_dataset_from_array(data, targets, sequence_length, sequence_stride=1, sampling_rate=1,
                                  batch_size=128, shuffle=False, seed=None, start_index=None, end_index=None):
    """Windows ``data[i : i + sequence_length * sampling_rate : sampling_rate]`` (with ``targets[i]``) for
    ``i`` every ``sequence_stride`` steps in ``[start_index, end_index)``, batched by ``batch_size``."""
    _check(data, start_index, end_index, sampling_rate, sequence_stride)
    start_index = start_index or 0
    end_index = len(data) if end_index is None else end_index
    num = end_index - start_index - (sequence_length - 1) * sampling_rate
    if targets is not None:
        num = min(num, len(targets))
    starts = np.arange(0, max(num, 0), sequence_stride)
    if shuffle:
        seed = np.random.randint(1e6) if seed is None else seed
        np.random.RandomState(seed).shuffle(starts)
    data = np.asarray(data)[start_index:end_index]
    targets = None if targets is None else np.asarray(targets)[start_index:end_index]
    return _Windows(data, targets, starts, sequence_length, sampling_rate, batch_size)
