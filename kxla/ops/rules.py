"""Shared shape/dtype rules and layout helpers used by op definitions (no jax at IR level)."""
from __future__ import annotations

import numpy as np

from ..ir import TensorType, canonical_dtype, is_floating

_FLOAT_ORDER = ["bfloat16", "float16", "float32", "float64"]


def promote(a: str, b: str) -> str:
    """Result dtype of a binary op.

    Numpy promotion, except that an int or bool with a float gives the float (as
    JAX does) and bfloat16 with float16 gives float32.
    """
    if a == b:
        return a
    if is_floating(a) != is_floating(b):
        return a if is_floating(a) else b     # int/bool with float: the float (JAX's rule, not numpy's)
    if {a, b} == {"bfloat16", "float16"}:
        return "float32"
    if "bfloat16" in (a, b):
        other = b if a == "bfloat16" else a
        return other if other in ("float32", "float64") else "bfloat16"
    return canonical_dtype(np.promote_types(a, b))


def broadcast_shapes(a: tuple, b: tuple) -> tuple:
    """Numpy broadcasting with ``None`` for unknown dims; raises ValueError on a mismatch."""
    out = []
    for i in range(1, max(len(a), len(b)) + 1):
        da = a[-i] if i <= len(a) else 1
        db = b[-i] if i <= len(b) else 1
        if da == 1:
            out.append(db)
        elif db == 1 or da == db:
            out.append(da)
        elif da is None or db is None:
            out.append(da if db is None else db)
        else:
            raise ValueError(f"shapes {a} and {b} cannot be broadcast together")
    return tuple(reversed(out))


def same_as_input(types, attrs):
    return [types[0]]


def floating(rule):
    """``rule`` with integer and bool results made float32: the dtype rule of ops that compute in floats.

    ``exp``, ``softmax``, ``mean``, ``divide`` ... on integers give float32 (as
    their JAX lowering does), so the IR states the dtype that actually runs.
    """
    def infer(types, attrs):
        return [t if is_floating(t.dtype) else TensorType(t.shape, "float32") for t in rule(types, attrs)]
    infer.__name__ = f"floating_{getattr(rule, '__name__', 'rule')}"
    return infer


def bool_as_int(rule):
    """``rule`` with bool results made int32 (arithmetic on bools computes in int32, as in JAX)."""
    def infer(types, attrs):
        return [TensorType(t.shape, "int32") if t.dtype == "bool" else t for t in rule(types, attrs)]
    infer.__name__ = f"bool_as_int_{getattr(rule, '__name__', 'rule')}"
    return infer


def elementwise(types, attrs):
    shape, dtype = types[0].shape, types[0].dtype
    for t in types[1:]:
        shape = broadcast_shapes(shape, t.shape)
        dtype = promote(dtype, t.dtype)
    return [TensorType(shape, dtype)]


def normalize_axis(axis: int, rank: int, op: str = "") -> int:
    if not -rank <= axis < rank:
        raise ValueError(f"axis {axis} is out of range for a tensor of rank {rank}")
    return axis % rank


def remap_axis_attr(*names):
    """A ``remap_axes`` rule for ops whose attributes ``names`` hold an axis (int or list of ints).

    ``perm[i]`` is the old axis that becomes new axis ``i``; an attribute that
    named old axis ``a`` names new axis ``perm.index(a)`` afterwards.
    """
    def remap(attrs, perm, input_types=None):
        rank = len(perm)
        out = dict(attrs)
        for name in names:
            value = attrs.get(name)
            if value is None:
                continue
            if isinstance(value, list):
                out[name] = sorted(perm.index(a % rank) for a in value)
            else:
                out[name] = perm.index(value % rank)
        return out
    return remap
