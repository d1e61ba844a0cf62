"""``PyDataset`` (alias ``Sequence``): Keras 3's indexable dataset, iterated with parallel workers.

Subclasses implement ``__getitem__(index) -> (x, y[, sample_weight])`` and
``__len__`` (or ``num_batches``). ``fit`` / ``evaluate`` / ``predict`` take the
object through kxla's batch-iterable path: each epoch iterates it once, with
``workers`` threads (or processes with ``use_multiprocessing=True``) loading
up to ``max_queue_size`` batches ahead, in order; ``on_epoch_begin`` /
``on_epoch_end`` run around each full pass.
"""
from __future__ import annotations

import concurrent.futures
import itertools
import multiprocessing
import warnings
from collections import deque

__all__ = ["PyDataset", "Sequence"]


class PyDataset:
    """Base class of indexable datasets (Keras 3's ``keras.utils.PyDataset``).

    Arguments:
        workers: how many batches are loaded concurrently (1: in the calling thread).
        use_multiprocessing: load with processes instead of threads (the dataset must be picklable).
        max_queue_size: how many batches may be loaded ahead of the one being consumed.
    """

    def __init__(self, workers=1, use_multiprocessing=False, max_queue_size=10):
        if int(workers) < 1 or int(max_queue_size) < 1:
            raise ValueError(f"workers and max_queue_size must be >= 1, got {workers} and {max_queue_size}")
        self._workers, self._use_multiprocessing = int(workers), bool(use_multiprocessing)
        self._max_queue_size = int(max_queue_size)

    def _setting(self, name, default):
        if not hasattr(self, name):
            warnings.warn("Your `PyDataset` class should call `super().__init__(**kwargs)` in its constructor. "
                          "`**kwargs` can include `workers`, `use_multiprocessing`, `max_queue_size`. Do not pass "
                          "these arguments to `fit()`, as they will be ignored.", stacklevel=3)
            setattr(self, name, default)
        return getattr(self, name)

    @property
    def workers(self):
        return self._setting("_workers", 1)

    @property
    def use_multiprocessing(self):
        return self._setting("_use_multiprocessing", False)

    @property
    def max_queue_size(self):
        return self._setting("_max_queue_size", 10)

    def __getitem__(self, index):
        raise NotImplementedError(f"{type(self).__name__} must implement __getitem__(index)")

    @property
    def num_batches(self):
        """The number of batches (``len(self)``), or None for an endless dataset."""
        if hasattr(self, "__len__"):
            return len(self)
        raise NotImplementedError("You need to implement the `num_batches` property:\n\n@property\n"
                                  "def num_batches(self):\n  return ...")

    def on_epoch_begin(self):
        """Called before each pass over the dataset."""

    def on_epoch_end(self):
        """Called after each full pass over the dataset."""

    def _indices(self):
        try:
            n = self.num_batches
        except NotImplementedError:
            n = None
        return range(n) if n is not None else itertools.count()

    def __iter__(self):
        self.on_epoch_begin()
        if self.workers == 1 and not self.use_multiprocessing:
            for index in self._indices():
                yield _as_batch(self[index])
        else:
            yield from self._parallel()
        self.on_epoch_end()

    def _parallel(self):
        if self.use_multiprocessing:
            pool = concurrent.futures.ProcessPoolExecutor(self.workers, mp_context=multiprocessing.get_context("fork"))
        else:
            pool = concurrent.futures.ThreadPoolExecutor(self.workers)
        pending, indices = deque(), iter(self._indices())
        try:
            for index in itertools.islice(indices, self.max_queue_size):
                pending.append(pool.submit(_get, self, index))
            while pending:
                batch = pending.popleft().result()
                for index in itertools.islice(indices, 1):
                    pending.append(pool.submit(_get, self, index))
                yield _as_batch(batch)
        finally:
            for future in pending:
                future.cancel()
            pool.shutdown(wait=True, cancel_futures=True)


def _get(dataset, index):
    return dataset[index]


def _as_batch(batch):
    return batch if isinstance(batch, tuple) else (batch,)


Sequence = PyDataset
