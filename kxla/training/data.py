"""Turning user data (arrays, lists, dicts) into checked, batched numpy arrays for the step functions.

Checks happen here, before anything is compiled: wrong feature shapes, x/y
length mismatches and unsupported types give a ValueError that says what was
expected and what was given.
"""
from __future__ import annotations

import math

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
