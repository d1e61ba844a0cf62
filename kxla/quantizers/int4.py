"""int4 packing (``keras.quantizers.pack_int4`` / ``unpack_int4``): two signed nibbles per int8 byte.

Along the packed axis, element ``2i`` goes to the low nibble and ``2i+1`` to the
high nibble of byte ``i``; an odd length is padded with one zero.
"""
from __future__ import annotations

import numpy as np

from .. import ops

__all__ = ["pack_int4", "unpack_int4"]


def _dtype_name(x) -> str:
    return x.dtype if isinstance(x.dtype, str) else str(np.dtype(x.dtype))


def pack_int4(arr, axis=0, dtype="int8"):
    """Pack int4 values (int8/uint8 in ``[-8, 7]``) two per byte along ``axis``.

    Returns:
      ``(packed, packed_shape, orig_len)``: the packed tensor, its shape, and the axis length
      before padding (for ``unpack_int4``).
    """
    if dtype not in ("int8", "uint8"):
        raise ValueError(f"Expected dtype to be 'int8' or 'uint8', but got '{dtype}'.")
    if _dtype_name(arr) != dtype:
        raise TypeError(f"Expected {dtype} tensor for packing, got {_dtype_name(arr)}.")
    a = np.moveaxis(np.asarray(arr), axis % np.ndim(arr), 0)
    n = a.shape[0]
    if n % 2 == 1:
        a = np.concatenate([a, np.zeros((1,) + a.shape[1:], a.dtype)], axis=0)
    np_dtype = np.dtype(dtype)
    mask = np.array(0x0F, dtype=np_dtype)
    low = np.bitwise_and(a[::2].astype(np_dtype), mask)
    high = np.bitwise_and(a[1::2].astype(np_dtype), mask)
    packed = np.bitwise_or(low, np.left_shift(high, np.array(4, dtype=np_dtype))).astype(np_dtype)
    packed = np.moveaxis(packed, 0, axis % np.ndim(arr))
    return ops.convert_to_tensor(packed), tuple(packed.shape), n


def unpack_int4(packed, orig_len, axis=0, dtype="int8"):
    """Undo ``pack_int4``: an ``orig_len``-long axis of int4 values (signed for ``dtype="int8"``)."""
    if dtype not in ("int8", "uint8"):
        raise ValueError(f"Expected dtype to be 'int8' or 'uint8', but got '{dtype}'.")
    if _dtype_name(packed) not in ("int8", "uint8"):
        raise TypeError(f"Expected int8 or uint8 tensor for unpacking, got {_dtype_name(packed)}")
    rank = len(packed.shape)
    axis = axis % rank
    perm = [axis] + [i for i in range(rank) if i != axis]
    x = ops.transpose(packed, perm) if axis != 0 else packed
    mask = ops.array(0x0F, dtype=_dtype_name(packed))
    low = ops.bitwise_and(x, mask)
    high = ops.bitwise_and(ops.right_shift(x, 4), mask)
    if dtype == "int8":
        eight = ops.array(8, dtype=_dtype_name(packed))
        low = ops.subtract(ops.bitwise_xor(low, eight), eight)
        high = ops.subtract(ops.bitwise_xor(high, eight), eight)
    low, high = ops.cast(low, dtype), ops.cast(high, dtype)
    unpacked = ops.reshape(ops.stack([low, high], axis=1), (-1,) + tuple(x.shape[1:]))
    unpacked = unpacked[:orig_len]
    if axis != 0:
        unpacked = ops.transpose(unpacked, [perm.index(i) for i in range(rank)])
    return unpacked
