"""Plain values in kxla's files and descriptions: field checks, tensors as ``{"dtype", "shape", "data"}``.

The value layer of the file format (``kxla.saving.format`` is the container
around it): the model classes describe themselves with these (``to_plain``,
``encode_tensor``) and check what they read back (``field``, ``expect``,
``decode_tensor``), so they need nothing of ``kxla.saving``. Whatever is wrong
raises ``FormatError`` (a ``ValueError``) naming the field.
"""
from __future__ import annotations

import math

import numpy as np

__all__ = ["FormatError", "Unserializable", "MAX_RANK", "DTYPES", "to_plain", "tensor_dtype", "encode_tensor",
           "decode_tensor", "expect", "field", "plain"]

MAX_RANK = 32               # dimensions of a stored tensor

# dtypes a file may hold (the IR's dtypes); bfloat16 comes from ml_dtypes (a jax dependency)
DTYPES = ("float16", "bfloat16", "float32", "float64", "int8", "int16", "int32", "int64", "uint8", "uint16",
          "uint32", "uint64", "bool")


class FormatError(ValueError):
    """A file that is not a valid kxla file: wrong magic, truncated, corrupted, or malformed fields."""


class Unserializable(TypeError):
    """Something in a model that has no plain-data description (saving names what and where)."""


def to_plain(obj, where: str = "value"):
    """``obj`` as msgpack-ready plain data: tuples become lists, numpy scalars Python numbers.

    Raises:
      TypeError: an object that is not plain data (a callable, a layer, a dict with non-string keys),
        naming where it was found.
    """
    if obj is None or isinstance(obj, (bool, int, float, str, bytes)):
        return obj
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, (list, tuple)):
        return [to_plain(v, f"{where}[{i}]") for i, v in enumerate(obj)]
    if isinstance(obj, dict):
        out = {}
        for k, v in obj.items():
            if not isinstance(k, str):
                raise TypeError(f"cannot save {where}: dict key {k!r} is not a string")
            out[k] = to_plain(v, f"{where}[{k!r}]")
        return out
    raise TypeError(f"cannot save {where}: {type(obj).__name__} object {obj!r} is not plain data "
                    "(str, number, bool, None, list or dict); give it a get_config() that returns plain data")


def plain(obj, where: str):
    """``to_plain(obj)``, raising ``Unserializable`` (a TypeError) for what is not plain data."""
    try:
        return to_plain(obj, where)
    except TypeError as e:
        raise Unserializable(str(e)) from None


def tensor_dtype(name: str) -> np.dtype:
    if name == "bfloat16":
        import ml_dtypes
        return np.dtype(ml_dtypes.bfloat16)
    return np.dtype(name)


def encode_tensor(array) -> dict:
    """``{"dtype", "shape", "data"}`` for an array (jax or numpy), data little-endian."""
    arr = np.asarray(array)
    name = "bfloat16" if arr.dtype.name == "bfloat16" else arr.dtype.name
    if name not in DTYPES:
        raise TypeError(f"cannot save an array of dtype {arr.dtype}")
    if arr.dtype.byteorder == ">":
        arr = arr.astype(arr.dtype.newbyteorder("<"))
    return {"dtype": name, "shape": [int(d) for d in arr.shape], "data": np.ascontiguousarray(arr).tobytes()}


# -- field validation --------------------------------------------------------------
_TYPE_NAMES = {str: "a string", int: "an integer", float: "a number", bool: "a boolean", bytes: "bytes",
               list: "a list", dict: "a map", type(None): "null"}


def expect(value, types, where: str):
    """``value`` if it is an instance of ``types`` (bool is never an int here), else FormatError."""
    types = types if isinstance(types, tuple) else (types,)
    ok = isinstance(value, types)
    if ok and isinstance(value, bool) and bool not in types:
        ok = False
    if float in types and isinstance(value, int) and not isinstance(value, bool):
        ok = True
    if not ok:
        wanted = " or ".join(_TYPE_NAMES.get(t, t.__name__) for t in types)
        raise FormatError(f"{where}: expected {wanted}, got {type(value).__name__}")
    return value


_MISSING = object()


def field(mapping: dict, key: str, types, where: str, default=_MISSING):
    """``mapping[key]`` checked against ``types``; FormatError if missing (and no default) or mistyped."""
    expect(mapping, dict, where)
    if key not in mapping:
        if default is not _MISSING:
            return default
        raise FormatError(f"{where}: missing field {key!r}")
    return expect(mapping[key], types, f"{where}.{key}")


def decode_tensor(entry, where: str) -> np.ndarray:
    """A read-only numpy array from ``{"dtype", "shape", "data"}`` (FormatError if inconsistent).

    The buffer length is checked against ``prod(shape) * itemsize`` (exact
    Python integers, no overflow) before any array is made, so a hostile shape
    cannot make this allocate.
    """
    dtype_name = field(entry, "dtype", str, where)
    if dtype_name not in DTYPES:
        raise FormatError(f"{where}.dtype: unsupported dtype {dtype_name!r}")
    shape = field(entry, "shape", list, where)
    if len(shape) > MAX_RANK:
        raise FormatError(f"{where}.shape: rank {len(shape)} exceeds {MAX_RANK}")
    for d in shape:
        expect(d, int, f"{where}.shape")
        if d < 0:
            raise FormatError(f"{where}.shape: negative dimension {d}")
    data = field(entry, "data", bytes, where)
    dtype = tensor_dtype(dtype_name).newbyteorder("<")
    expected = math.prod(shape) * dtype.itemsize
    if len(data) != expected:
        raise FormatError(f"{where}: {len(data)} data bytes, but shape {shape} of {dtype_name} needs {expected}")
    arr = np.frombuffer(data, dtype=dtype).reshape(shape)
    return arr if dtype.isnative else arr.astype(dtype.newbyteorder("="))
