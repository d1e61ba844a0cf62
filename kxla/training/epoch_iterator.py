"""The epoch iterator: what ``fit`` / ``evaluate`` / ``predict`` were given, as checked numpy arrays.

Arrays (one, a list or a dict by input name), generators and re-iterables of
``(x, y[, sample_weight])`` batches (one epoch drawn at a time), a
validation split or validation data, and class weights (folded into the
sample weights) all become ``EpochData``; ``data.Batcher`` then cuts batches.
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np

from . import data as data_mod, validation


class EpochData(NamedTuple):
    """One epoch of data: inputs, targets (None entries: outputs without a target), weights, rows."""

    xs: list
    ys: list | None
    sw: np.ndarray | None
    n: int


class FitData(NamedTuple):
    train: EpochData
    val: EpochData | None
    source: object               # a data.BatchSource for generators (next epochs), else None
    batch_size: int
    shuffle: bool
    steps_per_epoch: int | None  # arrays: batches per epoch, continuing through the data across epochs


def first_batches(data: EpochData, steps, batch_size: int) -> EpochData:
    """The first ``steps`` batches of ``data`` (Keras's ``steps`` over arrays); all of it when None."""
    if not steps or data.n <= steps * batch_size:
        return data
    n = steps * batch_size
    cut = lambda a: None if a is None else a[:n]  # noqa: E731
    return EpochData([cut(a) for a in data.xs], None if data.ys is None else [cut(a) for a in data.ys],
                     cut(data.sw), n)


class ArrayCursor:
    """Keras's epoch iterator over arrays with ``steps_per_epoch``: each epoch takes the next batches of
    one pass over the (shuffled) data; a pass that runs out ends the epoch early (with Keras's warning)
    and the next epoch starts a new pass."""

    def __init__(self, n: int, batch_size: int, shuffle: bool, steps: int):
        self.n, self.batch_size, self.shuffle, self.steps = n, batch_size, shuffle, steps
        self.batches, self.pos = None, 0

    def next_epoch(self, rng) -> list:
        if self.batches is None:
            order = rng.permutation(self.n) if self.shuffle else None
            self.batches, self.pos = list(data_mod.batch_slices(self.n, self.batch_size, order)), 0
        take = self.batches[self.pos:self.pos + self.steps]
        self.pos += len(take)
        if len(take) < self.steps:
            import warnings
            warnings.warn("Your input ran out of data; interrupting epoch. Make sure that your dataset or "
                          "generator can generate at least `steps_per_epoch * epochs` batches.")
        if self.pos >= len(self.batches):
            self.batches = None
        return take


class EpochIterator:
    """Mixin of ``Trainer``: user data to ``EpochData``."""

    def _prepare(self, x, y=None, sample_weight=None, need_y=False, class_weight=None) -> EpochData:
        validation.check_inputs(x)
        validation.check_class_weight(class_weight, sample_weight)
        names = self._input_names or ["input"] if self._input_types else \
            ([f"input_{i}" for i in range(len(x))] if isinstance(x, (list, tuple)) else ["input"])
        xs = data_mod.flatten_inputs(x, names)
        self._ensure_input_types_from_data(xs)
        data_mod.check_feature_shapes(xs, self._input_types, self.name)
        ys = self._targets(y) if y is not None else None
        if ys is None and need_y:
            raise ValueError("y is required to train or evaluate a model with a loss")
        if ys is not None and self.compiled:
            validation.check_targets(ys, self._resolve().loss.losses, self._output_shapes(), self._output_names())
        sw = validation.check_sample_weight(sample_weight)
        if class_weight is not None:
            sw = _with_class_weight(ys, sw, class_weight)
        n = data_mod.check_lengths({"x": xs, "y": [a for a in ys or [] if a is not None],
                                    "sample_weight": [sw] if sw is not None else []})
        return EpochData(xs, ys, sw, n)

    def _targets(self, y) -> list:
        names = self._output_names()
        if isinstance(y, dict):
            return [validation.as_target(y[n], f"y[{n!r}]", data_mod._as_array) if n in y else None
                    for n in names]
        if isinstance(y, (list, tuple)) and len(names) > 1:
            if len(y) != len(names):
                raise ValueError(f"The model has {len(names)} outputs but y holds {len(y)} arrays")
            return [validation.as_target(a, f"y[{i}]", data_mod._as_array) for i, a in enumerate(y)]
        return [validation.as_target(y, "y", data_mod._as_array)]

    def _output_shapes(self) -> list:
        traced = self.trace(training=False)
        return [v.type.shape for v in traced.graph.outputs[:traced.n_outputs]]

    def _fit_data(self, x, y, sample_weight, class_weight, batch_size, shuffle, steps_per_epoch,
                  validation_split, validation_data, validation_steps) -> FitData:
        source = data_mod.BatchSource(x, steps_per_epoch) if data_mod.is_batch_iterable(x) else None
        if source is not None:
            if y is not None or sample_weight is not None:
                raise ValueError("When x is a generator of (x, y[, sample_weight]) batches, y and "
                                 "sample_weight must be None")
            drawn = source.epoch()
            if drawn is None:
                raise ValueError("fit() received a generator that yielded no batches")
            x, y, sample_weight = drawn
            batch_size, shuffle = source.batch_size, False
        elif steps_per_epoch is not None and (isinstance(steps_per_epoch, bool) or
                                              not isinstance(steps_per_epoch, int) or steps_per_epoch < 1):
            raise ValueError(f"steps_per_epoch must be a positive integer, got {steps_per_epoch!r}")
        train = self._prepare(x, y, sample_weight, need_y=self._loss_spec is not None, class_weight=class_weight)
        train, val = self._validation(train, validation_split, validation_data, validation_steps)
        if train.n == 0:
            raise ValueError("fit() received no samples")
        return FitData(train, val, source, batch_size or 32, shuffle,
                       steps_per_epoch if source is None else None)

    def _validation(self, train: EpochData, split, data, steps):
        if data is not None and data_mod.is_batch_iterable(data):
            data = data_mod.BatchSource(data, steps).epoch()
            if data is None:
                raise ValueError("validation_data is a generator that yielded no batches")
            data = tuple(v for v in data if v is not None)
        if data is None and split:
            if not 0 < split < 1:
                raise ValueError(f"validation_split must be in (0, 1), got {split}")
            cut = int(train.n * (1 - split))
            xs, ys, sw, _ = train
            val = EpochData([a[cut:] for a in xs], [a[cut:] if a is not None else None for a in ys] if ys else None,
                            sw[cut:] if sw is not None else None, train.n - cut)
            return EpochData([a[:cut] for a in xs], [a[:cut] if a is not None else None for a in ys] if ys else None,
                             sw[:cut] if sw is not None else None, cut), val
        if data is None:
            return train, None
        if len(data) not in (2, 3):
            raise ValueError("validation_data must be (x_val, y_val) or (x_val, y_val, sample_weight)")
        vx, vy, vsw = data if len(data) == 3 else (*data, None)
        return train, self._prepare(vx, vy, vsw, need_y=True)

    def _next_epoch(self, source, class_weight) -> EpochData | None:
        """The next epoch drawn from a generator, or None when it ran out."""
        drawn = source.epoch()
        if drawn is None:
            return None
        return self._prepare(*drawn, need_y=self._loss_spec is not None, class_weight=class_weight)

    def _generator_arrays(self, x, steps, what: str):
        """``(x, y, sample_weight)`` of every batch a generator yields, and its batch size."""
        source = data_mod.BatchSource(x, steps)
        drawn = source.epoch()
        if drawn is None:
            raise ValueError(f"{what}() received a generator that yielded no batches")
        return drawn, source.batch_size


def _with_class_weight(ys, sw, class_weight):
    """Keras's ``class_weight_to_sample_weights``: one weight per sample from its (rounded) class."""
    if ys is None or len(ys) != 1:
        raise ValueError("`class_weight` is only supported for Models with a single output.")
    labels = ys[0]
    labels = labels.argmax(-1) if labels.ndim > 1 and labels.shape[-1] > 1 else labels.reshape(-1)
    labels = np.round(labels).astype(np.int64)
    cw = np.ones(len(labels), np.float32)
    for c, w in class_weight.items():                # one vectorised pass per class
        cw[labels == c] = w
    return cw if sw is None else sw * cw
