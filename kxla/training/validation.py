"""Checks of user data before anything compiles: a clear ``ValueError`` naming the argument.

Called from one place, ``Trainer._prepare`` (fit, evaluate, predict, the
``*_on_batch`` methods), on host arrays: each check is one vectorised numpy
pass over the array (min / max / integrality), never a per-step cost.

* ``batch_size``: None or a positive int (not a bool, float or string).
* ``x``: numeric arrays only (no strings, dates, objects or complex numbers);
  int64 values must fit in int32 (kxla's integer width on JAX).
* ``y``: int64 values must fit in int32; shapes must broadcast against the
  model output the loss compares them with; sparse categorical labels must be
  integers in ``[0, classes)`` (or the loss's ``ignore_class``); binary
  cross-entropy labels must lie in ``[0, 1]``.
* ``sample_weight``: finite and non-negative, one weight per sample.
* ``class_weight``: a dict with integer class keys and finite non-negative
  weights; not together with ``sample_weight`` (Keras raises the same).
"""
from __future__ import annotations

import numbers

import numpy as np

__all__ = ["check_batch_size", "check_inputs", "as_target", "check_sample_weight", "check_class_weight",
           "check_targets"]

_INT32 = np.iinfo(np.int32)


def check_batch_size(batch_size, what: str = "batch_size"):
    """None or a positive Python / numpy integer."""
    if batch_size is None:
        return
    if isinstance(batch_size, (bool, np.bool_)) or not isinstance(batch_size, numbers.Integral) \
            or int(batch_size) < 1:
        raise ValueError(f"`{what}` must be a positive integer or None. Received: {what}={batch_size!r}")


def _leaves(x, path):
    if isinstance(x, dict):
        for k, v in x.items():
            yield from _leaves(v, f"{path}[{k!r}]")
    elif isinstance(x, (list, tuple)) and x and not isinstance(x[0], numbers.Number) and \
            hasattr(x[0], "__len__") and not isinstance(x[0], (str, bytes)):
        for i, v in enumerate(x):
            yield from _leaves(v, f"{path}[{i}]")
    else:
        yield path, x


def _check_numeric(a, what: str):
    dtype = getattr(a, "dtype", None)
    if dtype is None:
        if isinstance(a, (str, bytes)):
            raise ValueError(f"`{what}` must be numeric, got a string")
        a = np.asarray(a)
        dtype = a.dtype
    dtype = np.dtype(dtype) if not isinstance(dtype, np.dtype) else dtype
    if dtype.kind in "USOMmV":
        kind = {"U": "strings", "S": "bytes", "O": "Python objects", "M": "datetimes",
                "m": "timedeltas", "V": "records"}[dtype.kind]
        raise ValueError(f"`{what}` must be numeric, but holds {kind} (dtype {dtype}); encode it as numbers "
                         "first (e.g. with a StringLookup or by converting dates to timestamps)")
    if dtype.kind == "c":
        raise ValueError(f"`{what}` is complex (dtype {dtype}); kxla models take real inputs — split it "
                         "into real and imaginary parts explicitly")
    if dtype == np.int64 or dtype == np.uint64 or dtype == np.uint32:
        arr = np.asarray(a)
        if arr.size and (arr.min() < _INT32.min or arr.max() > _INT32.max):
            raise ValueError(f"`{what}` holds {dtype} values outside the int32 range "
                             f"[{_INT32.min}, {_INT32.max}] (min {arr.min()}, max {arr.max()}); kxla computes "
                             "integers in int32 and would wrap them")


def check_inputs(x, what: str = "x"):
    """Every array in ``x`` (array, list or dict of arrays) is numeric and fits its computed dtype."""
    if x is None:
        return
    for path, leaf in _leaves(x, what):
        _check_numeric(leaf, path)


def as_target(a, what: str, as_array):
    """``as_array(a, what)`` after the numeric / int32-range check of ``a``."""
    _check_numeric(a, what)
    return as_array(a, what)


def check_sample_weight(sample_weight, what: str = "sample_weight"):
    """Finite, non-negative weights in a 1-D (or (n, 1)) array."""
    if sample_weight is None:
        return None
    _check_numeric(sample_weight, what)
    sw = np.asarray(sample_weight, dtype=np.float32)
    if sw.ndim > 2 or (sw.ndim == 2 and sw.shape[1] != 1):
        raise ValueError(f"`{what}` must hold one weight per sample (shape (n,) or (n, 1)); got shape {sw.shape}")
    sw = sw.reshape(-1)
    if sw.size and (not np.all(np.isfinite(sw)) or sw.min() < 0):
        raise ValueError(f"`{what}` must be finite and non-negative; got min {sw.min()}, "
                         f"{int(np.sum(~np.isfinite(sw)))} non-finite value(s)")
    return sw


def check_class_weight(class_weight, sample_weight=None):
    """A dict ``{int class: non-negative weight}``."""
    if class_weight is None:
        return
    if sample_weight is not None:
        raise ValueError("You cannot `class_weight` and `sample_weight` at the same time.")
    if not isinstance(class_weight, dict):
        raise ValueError(f"`class_weight` must be a dict mapping class indices to weights; got "
                         f"{type(class_weight).__name__}")
    for k, v in class_weight.items():
        if isinstance(k, (bool, np.bool_)) or not isinstance(k, numbers.Integral):
            raise ValueError(f"`class_weight` keys must be integer class indices; got key {k!r} "
                             f"({type(k).__name__})")
        if not isinstance(v, numbers.Real) or not np.isfinite(v) or v < 0:
            raise ValueError(f"`class_weight` values must be finite non-negative numbers; got "
                             f"class_weight[{k!r}]={v!r}")


def _loss_kind(loss):
    """"sparse" / "binary" / None for a compiled ``Loss`` object."""
    from .. import losses as L
    fn = getattr(loss, "fn", None)
    if isinstance(loss, L.SparseCategoricalCrossentropy) or fn is L.sparse_categorical_crossentropy:
        return "sparse"
    if isinstance(loss, (L.BinaryCrossentropy, L.BinaryFocalCrossentropy)) or \
            fn in (L.binary_crossentropy, L.binary_focal_crossentropy):
        return "binary"
    return None


def check_targets(ys, losses, out_shapes, names):
    """Labels against each output's loss and shape (one vectorised pass per array)."""
    for y, loss, shape, name in zip(ys, losses, out_shapes, names):
        if y is None or loss is None:
            continue
        what = "y" if len(ys) == 1 else f"y[{name!r}]"
        kind = _loss_kind(loss)
        if kind == "sparse" or (kind is None and type(loss).__name__ == "_AutoCrossentropy" and
                                (y.ndim < len(shape) or (y.shape[-1:] == (1,) and shape[-1] != 1))):
            _check_sparse(y, loss, shape, what)
            continue
        _check_broadcast(y, shape, what)
        if kind == "binary" and y.size:
            lo, hi = float(np.min(y)), float(np.max(y))
            if not (0.0 <= lo and hi <= 1.0):
                raise ValueError(f"`{what}` holds labels outside [0, 1] (min {lo}, max {hi}) for the binary "
                                 f"cross-entropy loss {loss.name!r}")


def _check_sparse(y, loss, shape, what):
    classes = shape[-1]
    if y.dtype.kind == "f":
        if y.size and not np.all(np.floor(y) == y):
            bad = y[np.floor(y) != y].flat[0]
            raise ValueError(f"`{what}` holds non-integer labels (e.g. {bad}) for the sparse categorical "
                             f"cross-entropy loss {loss.name!r}: labels must be class indices")
    elif y.dtype.kind not in "iub":
        raise ValueError(f"`{what}` must hold integer class indices, got dtype {y.dtype}")
    target_rank = len(shape) - 1
    if not (y.ndim == target_rank or (y.ndim == target_rank + 1 and y.shape[-1] == 1)):
        raise ValueError(f"`{what}` has shape {y.shape}, but the sparse categorical cross-entropy loss "
                         f"{loss.name!r} expects class indices of shape (n{', ' if target_rank > 1 else ''}"
                         f"{', '.join(str(d) for d in shape[1:-1])}) for an output of shape "
                         f"{tuple(shape)}")
    if not y.size:
        return
    ignore = getattr(loss, "ignore_class", None)
    valid = y if ignore is None else y[y != ignore]
    if valid.size and (valid.min() < 0 or valid.max() >= classes):
        raise ValueError(f"`{what}` holds class indices outside [0, {classes}) (min {valid.min()}, max "
                         f"{valid.max()}) for the sparse categorical cross-entropy loss {loss.name!r} of an "
                         f"output with {classes} classes")


def _check_broadcast(y, shape, what):
    out = tuple(d for d in shape[1:])
    got = tuple(y.shape[1:])
    if len(got) == len(out) + 1 and got[-1:] == (1,):
        got = got[:-1]
    elif len(out) == len(got) + 1 and out[-1:] == (1,):
        out = out[:-1]
    try:
        np.broadcast_shapes(tuple(1 if d is None else d for d in out), got)
    except ValueError:
        raise ValueError(f"`{what}` has shape {y.shape}, which does not match the model output's shape "
                         f"{tuple(shape)} (per sample {tuple(shape[1:])} vs {tuple(y.shape[1:])})") from None
