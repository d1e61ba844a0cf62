"""Turning user data (arrays, lists, dicts) into checked, batched numpy arrays for the step functions.

Checks happen here, before anything is compiled: wrong feature shapes, x/y
length mismatches and unsupported types give a ValueError that says what was
expected and what was given.
"""
from __future__ import annotations

import math
import queue
import threading

import numpy as np


def _as_array(a, what: str) -> np.ndarray:
    if hasattr(a, "__array__") or isinstance(a, (list, tuple)):
        arr = np.asarray(a)
    else:
        raise ValueError(f"{what} must be an array (numpy, jax or nested lists), got {type(a).__name__}")
    if arr.dtype == np.float64:
        arr = arr.astype(np.float32)
    elif arr.dtype == np.int64:
        arr = arr.astype(np.int32)
    elif arr.dtype == object:
        raise ValueError(f"{what} could not be converted to a numeric array (ragged lists?)")
    return arr


def flatten_inputs(x, names: list[str], what: str = "x") -> list[np.ndarray]:
    """``x`` as a list of arrays in model-input order (accepts an array, a list or a dict by name)."""
    if x is None:
        raise ValueError(f"{what} is required")
    if isinstance(x, dict):
        missing = [n for n in names if n not in x]
        if missing:
            raise ValueError(f"{what} is a dict without the model input(s) {missing}; expected keys {names}")
        return [_as_array(x[n], f"{what}[{n!r}]") for n in names]
    if isinstance(x, (list, tuple)) and len(names) > 1:
        if len(x) != len(names):
            raise ValueError(f"The model expects {len(names)} input arrays ({names}), but {what} holds {len(x)}")
        return [_as_array(a, f"{what}[{i}]") for i, a in enumerate(x)]
    return [_as_array(x, what)]


def check_feature_shapes(arrays, types, model_name: str, what: str = "x"):
    """Raise a clear ValueError when data does not fit the model's input types."""
    for i, (a, t) in enumerate(zip(arrays, types)):
        expected = t.shape[1:]
        got = a.shape[1:]
        if a.ndim != t.rank or any(e is not None and e != g for e, g in zip(expected, got)):
            raise ValueError(
                f"Input {i} of model {model_name!r} is incompatible with the data: expected shape "
                f"{('(None' + ''.join(f', {d}' for d in expected) + ')').replace('(None)', '(None,)')}, "
                f"but {what} has shape {a.shape}")


def check_lengths(groups: dict):
    """All arrays (x, y, sample_weight) must hold the same number of samples."""
    lengths = {name: {a.shape[0] for a in arrays} for name, arrays in groups.items() if arrays}
    flat = set().union(*lengths.values()) if lengths else set()
    if len(flat) > 1:
        detail = ", ".join(f"{name}: {sorted(n)}" for name, n in lengths.items())
        raise ValueError(f"Data cardinality is ambiguous: the arrays hold different numbers of samples "
                         f"({detail}). Make sure all arrays contain the same number of samples.")
    return flat.pop() if flat else 0


def num_batches(n: int, batch_size: int) -> int:
    return max(1, math.ceil(n / batch_size))


def batch_slices(n: int, batch_size: int, order: np.ndarray | None = None):
    """Yield index arrays (or slices) of each batch, in ``order`` when shuffling."""
    for start in range(0, n, batch_size):
        if order is None:
            yield slice(start, min(start + batch_size, n))
        else:
            yield order[start:start + batch_size]


def pad_batch(arrays: list[np.ndarray], batch_size: int) -> list[np.ndarray]:
    """Pad each array's first axis with zeros up to ``batch_size`` (ragged last batch)."""
    out = []
    for a in arrays:
        short = batch_size - a.shape[0]
        out.append(a if short == 0 else np.concatenate([a, np.zeros((short,) + a.shape[1:], a.dtype)]))
    return out


def padded_rows(batch_size: int, multiple: int = 1) -> int:
    """``batch_size`` rounded up to a multiple of ``multiple`` (the data-parallel shard count)."""
    return -(-batch_size // multiple) * multiple


class Batcher:
    """Builds the numpy arguments ``(xs, ys, sample_weight, mask)`` of a step from batch indices.

    Every padded batch has ``rows`` rows: the real samples first, zeros after,
    and a float32 mask with 1 for real rows. Without sample weights the mask
    doubles as the weights (``mask * mask == mask``), so weighted and
    unweighted data run the same compiled step. ``stacked`` builds ``k`` such
    batches in one ``(k, rows, ...)`` array per input (a ``lax.scan`` step);
    batches missing from a short group are all-zero and fully masked.
    """

    def __init__(self, xs, ys, sw, rows: int, put=None):
        self.xs = list(xs)
        self.ys = list(ys) if ys is not None else []
        self.sw = sw
        self.rows = rows
        # the mask of a full batch never changes: with ``put`` (e.g. jax.device_put) it is placed once and
        # reused, so a full batch without sample weights transfers only its data
        self._put = put or (lambda a: a)
        self._ones = self._put(np.ones(rows, np.float32))
        self._stacked_ones: dict = {}

    @staticmethod
    def _size(idx, n: int) -> int:
        return len(range(*idx.indices(n))) if isinstance(idx, slice) else len(idx)

    def single(self, idx, pad: bool = True):
        """One batch; ``pad=False`` keeps a short batch short (graphs whose batch statistics matter)."""
        real = len(idx) if idx.__class__ is np.ndarray else self._size(idx, self.xs[0].shape[0])
        rows = self.rows if pad else real
        if real == rows:
            bx = [a[idx] for a in self.xs]
            by = [a[idx] if a is not None else None for a in self.ys]
            mask = self._ones if rows == self.rows else np.ones(rows, np.float32)
            bsw = self.sw[idx] if self.sw is not None else mask
            return bx, by, bsw, mask
        bx = [_fill(a, idx, rows) for a in self.xs]
        by = [_fill(a, idx, rows) if a is not None else None for a in self.ys]
        mask = np.zeros(rows, np.float32)
        mask[:real] = 1
        bsw = _fill(self.sw, idx, rows) if self.sw is not None else mask
        return bx, by, bsw, mask

    def single_fn(self, pad: bool = True):
        """``single(idx, pad)`` as a function of ``idx``, with a lean path for full batches of one
        input and one target without sample weights (the common ``fit``)."""
        if len(self.xs) != 1 or len(self.ys) != 1 or self.ys[0] is None or self.sw is not None:
            return lambda idx: self.single(idx, pad)
        x, y, ones, rows, n = self.xs[0], self.ys[0], self._ones, self.rows, self.xs[0].shape[0]

        def batch(idx):
            if (len(idx) if idx.__class__ is np.ndarray else self._size(idx, n)) == rows:
                return [x[idx]], [y[idx]], ones, ones
            return self.single(idx, pad)
        return batch

    def full_fn(self):
        """``idx -> (xs, ys)`` of a full batch (no padding, no weights, no mask): the lean train step's
        arguments when every batch of an epoch is full and there are no sample weights."""
        if len(self.xs) == 1 and len(self.ys) == 1 and self.ys[0] is not None:
            x, y = self.xs[0], self.ys[0]
            return lambda idx: ([x[idx]], [y[idx]])
        xs, ys = self.xs, self.ys
        return lambda idx: ([a[idx] for a in xs], [a[idx] if a is not None else None for a in ys])

    def stacked(self, group: list, k: int):
        """``k`` padded batches stacked on a new leading axis (``len(group) <= k``; the rest masked)."""
        n = self.xs[0].shape[0]
        rows = self.rows

        def stack(a):
            out = np.zeros((k, rows) + a.shape[1:], a.dtype)
            for j, idx in enumerate(group):
                real = self._size(idx, n)
                out[j, :real] = a[idx]
            return out

        bx = [stack(a) for a in self.xs]
        by = [stack(a) if a is not None else None for a in self.ys]
        sizes = [self._size(idx, n) for idx in group]
        if len(group) == k and all(s == rows for s in sizes):
            mask = self._stacked_ones.get(k)
            if mask is None:
                mask = self._stacked_ones[k] = self._put(np.ones((k, rows), np.float32))
        else:
            mask = np.zeros((k, rows), np.float32)
            for j, size in enumerate(sizes):
                mask[j, :size] = 1
        bsw = stack(self.sw) if self.sw is not None else mask
        return bx, by, bsw, mask

    def bytes_per_batch(self) -> int:
        """Host bytes of one padded batch (inputs, targets, weights, mask)."""
        total = self.rows * 8
        for a in self.xs + [a for a in self.ys if a is not None]:
            total += self.rows * int(np.prod(a.shape[1:], dtype=np.int64)) * a.dtype.itemsize
        return total


def _fill(a: np.ndarray, idx, rows: int) -> np.ndarray:
    out = np.zeros((rows,) + a.shape[1:], a.dtype)
    part = a[idx]
    out[:part.shape[0]] = part
    return out


_END = object()


class Prefetcher:
    """Runs ``produce(item)`` for each item on a background thread, at most ``depth`` results ahead.

    Iterating yields ``(item, result)`` in order; an exception in ``produce``
    is re-raised in the consumer. ``close()`` stops the thread early (fit's
    ``stop_training``). Used by fit to slice, pad, stack and ``jax.device_put``
    the next batches while the current step runs.
    """

    def __init__(self, items, produce, depth: int = 2):
        self._queue: queue.Queue = queue.Queue(maxsize=max(1, depth))
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(items, produce), name="kxla-prefetch",
                                        daemon=True)
        self._thread.start()

    def _put(self, msg) -> bool:
        while not self._stop.is_set():
            try:
                self._queue.put(msg, timeout=0.05)
                return True
            except queue.Full:
                continue
        return False

    def _run(self, items, produce):
        try:
            for item in items:
                if self._stop.is_set() or not self._put((item, produce(item), None)):
                    return
        except BaseException as e:  # noqa: BLE001 - handed to the consumer
            self._put((None, None, e))
            return
        self._put(_END)

    def __iter__(self):
        while True:
            msg = self._queue.get()
            if msg is _END:
                return
            item, result, error = msg
            if error is not None:
                raise error
            yield item, result

    def close(self):
        self._stop.set()
        while True:
            try:
                self._queue.get_nowait()
            except queue.Empty:
                break
        self._thread.join()


def is_batch_iterable(x) -> bool:
    """True for Python generators / iterables of ``(x, y[, sample_weight])`` batches (not arrays)."""
    if x is None or isinstance(x, (np.ndarray, dict, str, bytes)) or hasattr(x, "__array__"):
        return False
    if isinstance(x, (list, tuple)):
        return bool(x) and all(isinstance(b, tuple) and 2 <= len(b) <= 3 for b in x)
    return hasattr(x, "__iter__") or hasattr(x, "__next__")


class BatchSource:
    """Batches drawn from a generator or an iterable, gathered one epoch at a time.

    Each epoch takes ``steps_per_epoch`` batches (or, without it, everything the iterable
    yields); a re-iterable (a list, a dataset object) starts over every epoch, a one-shot
    generator keeps being drawn from. Batches are concatenated so the epoch runs through the
    same compiled step as array data; the batch size is the first batch's size, so only a
    shorter last batch is padded (and masked).
    """

    def __init__(self, data, steps_per_epoch=None):
        self.data = data
        self.steps = steps_per_epoch
        self.one_shot = iter(data) is data if hasattr(data, "__iter__") else True
        self._it = iter(data) if not self.one_shot else data
        self.batch_size = None
        self.exhausted = False

    def epoch(self):
        """``(x, y, sample_weight)`` arrays for the next epoch, or None when a generator ran out."""
        it = self._it if self.one_shot else iter(self.data)
        batches = []
        while self.steps is None or len(batches) < self.steps:
            try:
                batch = next(it)
            except StopIteration:
                break
            if not isinstance(batch, tuple) or not 1 <= len(batch) <= 3:
                raise ValueError("A generator passed to fit/evaluate must yield (x, y) or (x, y, sample_weight) "
                                 f"tuples; got {type(batch).__name__}")
            batches.append(batch)
        if not batches:
            self.exhausted = True
            return None
        self.batch_size = self.batch_size or len(np.asarray(_first(batches[0][0])))
        return tuple(_concat([b[i] if len(b) > i else None for b in batches]) for i in range(3))


def _first(x):
    if isinstance(x, dict):
        return next(iter(x.values()))
    if isinstance(x, (list, tuple)):
        return x[0]
    return x


def _concat(parts):
    if parts[0] is None:
        return None
    if isinstance(parts[0], dict):
        return {k: np.concatenate([np.asarray(p[k]) for p in parts]) for k in parts[0]}
    if isinstance(parts[0], (list, tuple)):
        return [np.concatenate([np.asarray(p[i]) for p in parts]) for i in range(len(parts[0]))]
    return np.concatenate([np.asarray(p) for p in parts])
