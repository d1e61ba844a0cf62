"""Rule families for the op catalogue: dtype rules, shape rules and cost rules shared by many ops.

No jax here (the pass layer reads these rules). A catalogue row picks one
shape family and one dtype family; ``infer_rule(shape, dtype)`` joins them
into an ``OpDef.infer``. Families:

shape: ``unary`` (same shape), ``broadcast`` (numpy broadcasting of all
inputs), ``reduce`` (``axis`` / ``keepdims`` attributes), ``by_reference``
(run the op's numpy reference on zero-stride stand-ins of the input shapes;
an unknown dimension is tried at two sizes and stays unknown where the result
differs).

dtype (Keras's rules, JAX backend): ``keep``, ``floating`` (ints and bool
become float32, floats stay), ``boolean``, ``promote`` (Keras's result type of
all inputs), ``promote_float``, ``fixed(d)``, ``attr_or(name, rule)`` (the
``dtype`` attribute when given).
"""
from __future__ import annotations

import numpy as np

from ..ir import TensorType, is_floating
from .rules import broadcast_shapes, normalize_axis, promote

FLOATX = "float32"


# -- dtype rules: (input dtypes, attrs) -> dtype ---------------------------
def keep(dtypes, attrs):
    return dtypes[0]


def floating(dtypes, attrs):
    d = dtypes[0]
    return d if is_floating(d) else FLOATX


def boolean(dtypes, attrs):
    return "bool"


def promote_all(dtypes, attrs):
    out = dtypes[0]
    for d in dtypes[1:]:
        out = promote(out, d)
    return out


def promote_float(dtypes, attrs):
    return floating([promote_all(dtypes, attrs)], attrs)


def fixed(dtype):
    def rule(dtypes, attrs):
        return dtype
    return rule


def attr_or(rule, name="dtype"):
    """The ``name`` attribute when it is set, else ``rule``."""
    def with_attr(dtypes, attrs):
        return attrs[name] if attrs.get(name) is not None else rule(dtypes, attrs)
    return with_attr


def int_keep(dtypes, attrs):
    """Integer ops (bitwise, gcd): ints keep their dtype, bool stays bool; floats are an error."""
    d = promote_all(dtypes, attrs)
    if is_floating(d):
        raise TypeError(f"expects integer or bool inputs, got {d}")
    return d


# -- shape rules: (input types, attrs) -> list of shapes ------------------
def unary(types, attrs):
    return [types[0].shape]


def broadcast(types, attrs):
    shape = types[0].shape
    for t in types[1:]:
        shape = broadcast_shapes(shape, t.shape)
    return [shape]


def _axes(axis, rank):
    if axis is None:
        return set(range(rank))
    axis = [axis] if isinstance(axis, int) else axis
    out = [normalize_axis(a, rank) for a in axis]
    if len(set(out)) != len(out):
        raise ValueError(f"repeated axis in {axis}")
    return set(out)


def reduce(types, attrs):
    t = types[0]
    axes = _axes(attrs.get("axis"), t.rank)
    if attrs.get("keepdims"):
        return [tuple(1 if i in axes else d for i, d in enumerate(t.shape))]
    return [tuple(d for i, d in enumerate(t.shape) if i not in axes)]


def _stand_in(t: TensorType, fill: int, eye: bool = False):
    shape = tuple(fill if d is None else d for d in t.shape)
    dtype = "float32" if is_floating(t.dtype) else t.dtype
    if eye and len(shape) >= 2:        # identity matrices: nonsingular, positive definite
        return np.broadcast_to(np.eye(shape[-2], shape[-1], dtype=dtype), shape)
    return np.broadcast_to(np.ones((), dtype), shape)


_FILLS = (1, 2, 3, 4, 5, 6, 7, 8, 12)


def by_reference(reference, eye: bool = False):
    """A shape rule that evaluates ``reference`` (numpy) on stand-ins (ones) of the inputs' shapes.

    An unknown dimension is tried at several sizes (up to three the
    reference accepts); a result dimension that varies is unknown. When only
    one size is accepted, the inputs pin the dimension and its result stands.
    ``eye``: matrices stand in as identities (linear algebra needs nonsingular inputs).
    """
    def run(types, attrs, fill):
        out = reference(*[_stand_in(t, fill, eye) for t in types], **attrs)
        return [np.shape(o) for o in (out if isinstance(out, (tuple, list)) else [out])]

    def rule(types, attrs):
        if not any(d is None for t in types for d in t.shape):
            return run(types, attrs, 1)
        results, error = [], None
        for fill in _FILLS:
            try:
                results.append(run(types, attrs, fill))
            except (ValueError, TypeError, IndexError) as e:
                error = e
            if len(results) == 3:
                break
        if not results:
            raise error
        if len(results) == 1:          # the inputs pin the unknown dimension to one size
            return results[0]
        if any(len(r) != len(results[0]) or any(len(a) != len(b) for a, b in zip(r, results[0]))
               for r in results):
            raise ValueError("the result's rank depends on an unknown dimension")
        return [tuple(d if all(r[i][j] == d for r in results) else None for j, d in enumerate(shape))
                for i, shape in enumerate(results[0])]
    return rule


def infer_rule(shape, dtype, n_out=None):
    """Join a shape family and a dtype family (or a list of dtype rules) into an ``OpDef.infer``."""
    def infer(types, attrs):
        shapes = shape(types, attrs)
        dtypes = [t.dtype for t in types]
        rules = dtype if isinstance(dtype, (list, tuple)) else [dtype] * len(shapes)
        return [TensorType(tuple(s), r(dtypes, attrs)) for s, r in zip(shapes, rules)]
    return infer


# -- cost rules -----------------------------------------------------------
def _size(t: TensorType) -> int:
    n = 1
    for d in t.shape:
        n *= 1 if d is None else d
    return n


def per_output(k: int = 1):
    """``k`` FLOPs per output element (elementwise ops)."""
    def cost(in_types, out_types, attrs):
        n = sum(_size(t) for t in out_types)
        return {"flops": k * n, "bytes": sum(_size(t) * _itemsize(t) for t in list(in_types) + list(out_types))}
    return cost


def per_input(k: int = 1):
    """``k`` FLOPs per input element (reductions, scans, sorts)."""
    def cost(in_types, out_types, attrs):
        n = sum(_size(t) for t in in_types)
        return {"flops": k * n, "bytes": sum(_size(t) * _itemsize(t) for t in list(in_types) + list(out_types))}
    return cost


def movement(in_types, out_types, attrs):
    """Data movement: no FLOPs."""
    return {"flops": 0, "bytes": sum(_size(t) * _itemsize(t) for t in list(in_types) + list(out_types))}


def _itemsize(t: TensorType) -> int:
    return 1 if t.dtype == "bool" else np.dtype("float16" if t.dtype == "bfloat16" else t.dtype).itemsize
