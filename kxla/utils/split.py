"""``split_dataset``: Keras 3's split of arrays into a left and a right part (sizes, rounding, shuffle).

Keras returns two ``tf.data.Dataset``s; kxla returns the two parts in the
structure it was given (an array, a tuple/list of arrays or a dict of
arrays), ready for ``fit``. ``shuffle=True`` uses Keras's permutation for
``seed`` (Python's ``random`` seeded with it).
"""
from __future__ import annotations

import random

import numpy as np

__all__ = ["split_dataset"]


def _sizes(left, right, total):
    for name, size in (("left_size", left), ("right_size", right)):
        if size is not None and type(size) not in (int, float):
            raise TypeError(f"Invalid `{name}` Type. Expected: int or float or None, Received: "
                            f"type({name})={type(size)}.")
        if (type(size) is int and not 0 < size < total) or (type(size) is float and not 0 < size < 1):
            raise ValueError(f"`{name}` should be either a positive integer smaller than {total}, or a float within "
                             f"the range `[0, 1]`. Received: {name}={size}")
    if type(left) is float and type(right) is float and left + right > 1:
        raise ValueError("The sum of `left_size` and `right_size` is greater than 1. It must be less than or equal "
                         "to 1.")
    left = round(left * total) if type(left) is float else left
    right = round(right * total) if type(right) is float else right
    left = total - right if left is None else left
    right = total - left if right is None else right
    if left + right > total:
        raise ValueError(f"The sum of `left_size` and `right_size` should be smaller than the {total}. Received: "
                         f"left_size + right_size = {left + right}and total_length = {total}")
    if left == 0 or right == 0:
        raise ValueError(f"With `dataset` of length={total}, `left_size`={left} and `right_size`={right}. The "
                         f"{'left' if left == 0 else 'right'} side dataset split will be empty.")
    return int(left), int(right)


def split_dataset(dataset, left_size=None, right_size=None, shuffle=False, seed=None):
    """``(left, right)``: the first ``left_size`` and the last ``right_size`` samples (ints: counts; floats:
    fractions, rounded), after an optional shuffle."""
    if left_size is None and right_size is None:
        raise ValueError("At least one of the `left_size` or `right_size` must be specified. Received: "
                         "left_size=None and right_size=None")
    if isinstance(dataset, dict):
        arrays, rebuild = [np.asarray(v) for v in dataset.values()], lambda parts: dict(zip(dataset, parts))
    elif isinstance(dataset, (list, tuple)):
        arrays, rebuild = [np.asarray(v) for v in dataset], lambda parts: type(dataset)(parts)
    elif hasattr(dataset, "__len__") and hasattr(dataset, "shape"):
        arrays, rebuild = [np.asarray(dataset)], lambda parts: parts[0]
    else:
        raise TypeError(f"The `dataset` argument must be an array, a list/tuple or a dict of arrays. Received: "
                        f"dataset={dataset!r} of type {type(dataset)}")
    total = len(arrays[0])
    if any(len(a) != total for a in arrays):
        raise ValueError(f"All arrays of `dataset` must have the same length; got {[len(a) for a in arrays]}")
    order = list(range(total))
    if shuffle:
        random.Random(random.randint(0, int(1e6)) if seed is None else seed).shuffle(order)
    left, right = _sizes(left_size, right_size, total)
    left_idx, right_idx = np.asarray(order[:left], int), np.asarray(order[-right:], int)
    return rebuild([a[left_idx] for a in arrays]), rebuild([a[right_idx] for a in arrays])
