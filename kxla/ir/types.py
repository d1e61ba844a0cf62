"""Tensor types of the IR: a shape (``None`` for an unknown dimension) and a dtype.

The IR's only notion of data: every SSA value carries one ``TensorType``.
Dtypes are stored by their numpy names (``"float32"``) and printed short
(``f32``).
"""
from __future__ import annotations

from dataclasses import dataclass

# numpy name -> short name used in IR text
DTYPE_SHORT = {
    "float16": "f16", "bfloat16": "bf16", "float32": "f32", "float64": "f64",
    "int8": "i8", "int16": "i16", "int32": "i32", "int64": "i64",
    "uint8": "u8", "uint16": "u16", "uint32": "u32", "uint64": "u64",
    "bool": "bool",
    "complex64": "c64", "complex128": "c128",      # results of view_as_complex, polar, eig
}
DTYPE_LONG = {short: long for long, short in DTYPE_SHORT.items()}


def canonical_dtype(dtype) -> str:
    """Return the numpy name of ``dtype`` (accepts numpy/jax dtypes, names, short names)."""
    name = getattr(dtype, "name", None) or str(dtype)
    if name in DTYPE_LONG:
        name = DTYPE_LONG[name]
    if name not in DTYPE_SHORT:
        raise ValueError(f"Unsupported dtype {dtype!r}; expected one of {sorted(DTYPE_SHORT)}")
    return name


def is_floating(dtype: str) -> bool:
    return dtype.startswith("float") or dtype == "bfloat16"


@dataclass(frozen=True)
class TensorType:
    """Shape and dtype of a value. ``shape`` entries are ints or ``None`` (unknown)."""

    shape: tuple
    dtype: str = "float32"

    def __post_init__(self):
        shape = self.shape
        if type(shape) is not tuple or not all(d is None or (type(d) is int and d >= 0) for d in shape):
            shape = tuple(None if d is None else int(d) for d in shape)
            if any(d is not None and d < 0 for d in shape):
                raise ValueError(f"Negative dimension in shape {shape}")
            object.__setattr__(self, "shape", shape)
        if self.dtype not in DTYPE_SHORT:                 # fast path: already a canonical name
            object.__setattr__(self, "dtype", canonical_dtype(self.dtype))

    @property
    def rank(self) -> int:
        return len(self.shape)

    def with_shape(self, shape) -> "TensorType":
        return TensorType(tuple(shape), self.dtype)

    def with_dtype(self, dtype) -> "TensorType":
        return TensorType(self.shape, dtype)

    def __str__(self) -> str:
        dims = ",".join("?" if d is None else str(d) for d in self.shape)
        return f"{DTYPE_SHORT[self.dtype]}[{dims}]"
