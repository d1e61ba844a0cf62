"""More array ops (keras.ops names): shape manipulation, joins, contractions, comparisons, logic.

Indexing ops (slice, getitem, pad, split, tile, repeat, take, one_hot,
argmax/argmin) live in ``array_index.py``.

Layouts, declared per op (see kxla.ir.registry.LAYOUTS):
  * "agnostic" - elementwise: where, clip, erf, zeros_like, ones_like,
    comparisons (bool results) and logical ops;
  * "axis" - concatenate and squeeze (axis attributes);
  * "sensitive" - flatten (its ``data_format`` decides the element order);
  * "opaque" - everything that fixes the meaning of dimensions: transpose,
    expand_dims, stack, tensordot, einsum.

Shape rules accept ``None`` (unknown) dims wherever the result does not need them.
"""
from __future__ import annotations

import math

from .lazy_jax import jax
from .lazy_jax import jnp
import numpy as np

from ..ir import Attr, TensorType, canonical_dtype
from . import costs
from .core import apply, defop
from .rules import broadcast_shapes, elementwise, floating, normalize_axis, promote, remap_axis_attr, same_as_input

__all__ = [
    "transpose", "concatenate", "expand_dims", "squeeze", "where", "flatten", "stack", "clip", "erf",
    "zeros_like", "ones_like", "tensordot", "einsum", "equal", "not_equal", "greater", "greater_equal",
    "less", "less_equal", "logical_and", "logical_or", "logical_not", "logical_xor",
]


def _permute_per_axis(*names):
    """A ``remap_axes`` rule for attributes holding one entry per axis: new[i] = old[perm[i]]."""
    def remap(attrs, perm, input_types=None):
        out = dict(attrs)
        for name in names:
            if attrs.get(name) is not None:
                out[name] = [attrs[name][p] for p in perm]
        return out
    return remap


def _merge_dim(a, b):
    """Two dims that must agree (``None`` matches anything); the known one, or None for a clash."""
    if a is None:
        return b, True
    if b is None or a == b:
        return a, True
    return None, False


def _rank_of(x) -> int:
    return len(x.shape) if hasattr(x, "shape") else np.ndim(x)


def _shape_of(x) -> tuple:
    return tuple(x.shape) if hasattr(x, "shape") else np.shape(x)


# -- transpose -------------------------------------------------------------------
def _transpose_infer(types, attrs):
    t = types[0]
    perm = attrs["perm"]
    if sorted(perm) != list(range(t.rank)):
        raise ValueError(f"transpose: perm {perm} is not a permutation of the {t.rank} axes of {t.shape}")
    return [TensorType(tuple(t.shape[p] for p in perm), t.dtype)]


@defop("transpose", infer=_transpose_infer, layout="opaque", attrs={"perm": Attr("ints")},
       doc="permute axes: result axis i is input axis perm[i]", traits={"data_movement"}, cost=costs.free,
       reference=lambda x, perm: np.transpose(x, perm), public="kxla.ops.transpose")
def _transpose(ctx, x, perm):
    return jnp.transpose(x, perm)


def transpose(x, axes=None):
    """Permute the axes of ``x`` (reverse them when ``axes`` is None), as ``keras.ops.transpose``."""
    rank = _rank_of(x)
    perm = list(range(rank))[::-1] if axes is None else [normalize_axis(int(a), rank) for a in axes]
    return apply("transpose", x, perm=perm)


# -- concatenate / stack -------------------------------------------------------------
def _concat_infer(types, attrs):
    if not types:
        raise ValueError("concatenate needs at least one input")
    rank = types[0].rank
    if rank == 0:
        raise ValueError("concatenate: zero-rank tensors cannot be concatenated")
    axis = normalize_axis(attrs["axis"], rank)
    shape = list(types[0].shape)
    dtype = types[0].dtype
    for t in types[1:]:
        if t.rank != rank:
            raise ValueError(f"concatenate: all inputs need the same rank, got shapes "
                             f"{[u.shape for u in types]}")
        for i, d in enumerate(t.shape):
            if i == axis:
                shape[i] = None if shape[i] is None or d is None else shape[i] + d
                continue
            shape[i], ok = _merge_dim(shape[i], d)
            if not ok:
                raise ValueError(f"concatenate: shapes {[u.shape for u in types]} differ in axis {i} "
                                 f"(only the concatenation axis {attrs['axis']} may differ)")
        dtype = promote(dtype, t.dtype)
    return [TensorType(tuple(shape), dtype)]


@defop("concatenate", infer=_concat_infer, layout="axis", arity=None, attrs={"axis": Attr("int", 0)},
       remap_axes=remap_axis_attr("axis"), doc="join tensors along an existing axis", traits={"data_movement"}, cost=costs.free,
       reference=lambda *xs, axis: np.concatenate(xs, axis=axis), public="kxla.ops.concatenate")
def _concatenate(ctx, *xs, axis):
    dtype = jnp.result_type(*xs)
    return jnp.concatenate([x.astype(dtype) for x in xs], axis=axis)


def concatenate(xs, axis=0):
    """Join a list of tensors along ``axis``, as ``keras.ops.concatenate``."""
    return apply("concatenate", *xs, axis=int(axis))


def _stack_infer(types, attrs):
    if not types:
        raise ValueError("stack needs at least one input")
    shape, dtype = list(types[0].shape), types[0].dtype
    for t in types[1:]:
        if t.rank != len(shape):
            raise ValueError(f"stack: all inputs need the same shape, got {[u.shape for u in types]}")
        for i, d in enumerate(t.shape):
            shape[i], ok = _merge_dim(shape[i], d)
            if not ok:
                raise ValueError(f"stack: all inputs need the same shape, got {[u.shape for u in types]}")
        dtype = promote(dtype, t.dtype)
    axis = normalize_axis(attrs["axis"], len(shape) + 1)
    shape.insert(axis, len(types))
    return [TensorType(tuple(shape), dtype)]


@defop("stack", infer=_stack_infer, layout="opaque", arity=None, attrs={"axis": Attr("int", 0)},
       doc="join tensors along a new axis", traits={"data_movement"}, cost=costs.free,
       reference=lambda *xs, axis: np.stack(xs, axis=axis), public="kxla.ops.stack")
def _stack(ctx, *xs, axis):
    dtype = jnp.result_type(*xs)
    return jnp.stack([x.astype(dtype) for x in xs], axis=axis)


def stack(x, axis=0):
    """Stack a list of same-shaped tensors along a new ``axis``, as ``keras.ops.stack``."""
    return apply("stack", *x, axis=int(axis))


# -- expand_dims / squeeze -------------------------------------------------------------
def _expand_infer(types, attrs):
    t = types[0]
    rank = t.rank + len(attrs["axis"])
    axes = sorted(normalize_axis(a, rank) for a in attrs["axis"])
    if len(set(axes)) != len(axes):
        raise ValueError(f"expand_dims: repeated axis in {attrs['axis']}")
    dims = iter(t.shape)
    return [TensorType(tuple(1 if i in axes else next(dims) for i in range(rank)), t.dtype)]


@defop("expand_dims", infer=_expand_infer, layout="opaque", attrs={"axis": Attr("ints")},
       doc="insert size-1 axes at the given positions of the result", traits={"data_movement"},
       cost=costs.bitcast, reference=lambda x, axis: np.expand_dims(x, tuple(axis)),
       public="kxla.ops.expand_dims")
def _expand_dims(ctx, x, axis):
    return jnp.expand_dims(x, tuple(axis))


def expand_dims(x, axis):
    """Insert size-1 axes at ``axis`` (int or tuple; positions in the result), as keras.ops.expand_dims."""
    axes = [int(axis)] if isinstance(axis, (int, np.integer)) else [int(a) for a in axis]
    return apply("expand_dims", x, axis=axes)


def _squeeze_infer(types, attrs):
    t = types[0]
    axes = {normalize_axis(a, t.rank) for a in attrs["axis"]}
    for a in axes:
        if t.shape[a] not in (1, None):
            raise ValueError(f"squeeze: axis {a} of {t.shape} has size {t.shape[a]}, not 1")
    return [TensorType(tuple(d for i, d in enumerate(t.shape) if i not in axes), t.dtype)]


@defop("squeeze", infer=_squeeze_infer, layout="axis", attrs={"axis": Attr("ints")},
       remap_axes=remap_axis_attr("axis"), doc="remove size-1 axes", traits={"data_movement"},
       cost=costs.bitcast, reference=lambda x, axis: np.squeeze(x, tuple(axis)), public="kxla.ops.squeeze")
def _squeeze(ctx, x, axis):
    return jnp.squeeze(x, tuple(axis))


def squeeze(x, axis=None):
    """Remove size-1 axes (all known size-1 axes when ``axis`` is None), as ``keras.ops.squeeze``."""
    shape = _shape_of(x)
    if axis is None:
        axes = [i for i, d in enumerate(shape) if d == 1]
    else:
        axes = [int(axis)] if isinstance(axis, (int, np.integer)) else [int(a) for a in axis]
    return apply("squeeze", x, axis=axes)


# -- flatten ----------------------------------------------------------------------------
def _flatten_infer(types, attrs):
    t = types[0]
    if t.rank == 0:
        raise ValueError("flatten needs an input of rank >= 1 (axis 0 is the batch axis)")
    rest = t.shape[1:]
    size = None if None in rest else math.prod(rest)
    return [TensorType((t.shape[0], size), t.dtype)]


@defop("flatten", infer=_flatten_infer, layout="sensitive",
       attrs={"data_format": Attr("str", "channels_last", ("channels_last", "channels_first"))},
       doc="flatten all but axis 0 in Keras's element order (channels last)", traits={"data_movement"}, cost=costs.free,
       reference=lambda x, data_format: np.reshape(
           np.moveaxis(x, 1, -1) if data_format == "channels_first" and x.ndim > 2 else x, (x.shape[0], -1)),
       public="kxla.ops.flatten")
def _flatten(ctx, x, data_format):
    if data_format == "channels_first" and x.ndim > 2:
        x = jnp.transpose(x, (0, *range(2, x.ndim), 1))
    return jnp.reshape(x, (x.shape[0], math.prod(x.shape[1:])))


def flatten(x, data_format=None):
    """Flatten all axes but the first, in the element order of ``keras.layers.Flatten``.

    With ``data_format="channels_first"`` and rank > 2 the channel axis is moved
    last before flattening, so the result is the same in either format.
    """
    from ..config import standardize_data_format
    return apply("flatten", x, data_format=standardize_data_format(data_format))


# -- elementwise: where, clip, erf, *_like ------------------------------------------------------------
def _where_infer(types, attrs):
    c, a, b = types
    shape = broadcast_shapes(broadcast_shapes(c.shape, a.shape), b.shape)
    return [TensorType(shape, promote(a.dtype, b.dtype))]


@defop("where", infer=_where_infer, layout="agnostic", arity=3, doc="x1 where condition else x2",
       traits={"elementwise"}, cost=costs.per_element(1),
       reference=lambda c, a, b: np.where(c.astype(bool), a, b), public="kxla.ops.where")
def _where(ctx, condition, x1, x2):
    dtype = jnp.promote_types(x1.dtype, x2.dtype)
    return jnp.where(condition.astype(bool), x1.astype(dtype), x2.astype(dtype))


def _like(value, other):
    """A Python scalar as an array of ``other``'s dtype (so it does not take the condition's dtype)."""
    if isinstance(value, (bool, int, float)) and hasattr(other, "dtype"):
        return np.asarray(value, dtype=jnp.dtype(other.dtype))
    return value


def where(condition, x1=None, x2=None):
    """Elementwise ``x1 if condition else x2`` with broadcasting, as ``keras.ops.where``."""
    if x1 is None or x2 is None:
        raise ValueError("where: both x1 and x2 are required (the one-argument form has a data-dependent "
                         "shape and cannot be compiled)")
    x1, x2 = _like(x1, x2), _like(x2, x1)
    if isinstance(x1, (bool, int, float)):
        x1 = np.asarray(x1, dtype=np.float32 if isinstance(x1, float) else np.int32)
    if isinstance(x2, (bool, int, float)):
        x2 = np.asarray(x2, dtype=np.float32 if isinstance(x2, float) else np.int32)
    return apply("where", condition, x1, x2)


@defop("clip", infer=same_as_input, layout="agnostic",
       attrs={"x_min": Attr("float"), "x_max": Attr("float")}, doc="clamp to [x_min, x_max]",
       traits={"elementwise"}, cost=costs.per_element(1), public="kxla.ops.clip",
       reference=lambda x, x_min, x_max: np.clip(x, x_min, x_max).astype(x.dtype))
def _clip(ctx, x, x_min, x_max):
    return jnp.clip(x, jnp.asarray(x_min, x.dtype), jnp.asarray(x_max, x.dtype))


def clip(x, x_min, x_max):
    """Clamp ``x`` to ``[x_min, x_max]`` (result in ``x``'s dtype), as ``keras.ops.clip``."""
    if isinstance(x_min, (int, float, np.number)) and isinstance(x_max, (int, float, np.number)):
        return apply("clip", x, x_min=float(x_min), x_max=float(x_max))
    from .math import maximum, minimum
    return minimum(maximum(x, x_min), x_max)


@defop("erf", infer=floating(same_as_input), layout="agnostic", doc="Gauss error function",
       traits={"elementwise"}, cost=costs.per_element(1), public="kxla.ops.erf",
       reference=lambda x: np.vectorize(math.erf, otypes=["float64"])(x))
def _erf(ctx, x):
    return jax.scipy.special.erf(x)


def erf(x):
    """Elementwise Gauss error function, as ``keras.ops.erf``."""
    return apply("erf", x)


def _fill_like_infer(types, attrs):
    return [types[0].with_dtype(attrs["dtype"] or types[0].dtype)]


defop("zeros_like", infer=_fill_like_infer, layout="agnostic", attrs={"dtype": Attr("optional_str", None)},
      doc="zeros of the input's shape", traits={"elementwise"}, cost=costs.free,
      reference=lambda x, dtype: np.zeros_like(x, dtype=dtype), public="kxla.ops.zeros_like")(lambda ctx, x, dtype: jnp.zeros_like(x, dtype=dtype))
defop("ones_like", infer=_fill_like_infer, layout="agnostic", attrs={"dtype": Attr("optional_str", None)},
      doc="ones of the input's shape", traits={"elementwise"}, cost=costs.free,
      reference=lambda x, dtype: np.ones_like(x, dtype=dtype), public="kxla.ops.ones_like")(lambda ctx, x, dtype: jnp.ones_like(x, dtype=dtype))


def zeros_like(x, dtype=None):
    """Zeros with ``x``'s shape (and dtype unless given), as ``keras.ops.zeros_like``."""
    return apply("zeros_like", x, dtype=None if dtype is None else canonical_dtype(dtype))


def ones_like(x, dtype=None):
    """Ones with ``x``'s shape (and dtype unless given), as ``keras.ops.ones_like``."""
    return apply("ones_like", x, dtype=None if dtype is None else canonical_dtype(dtype))


# -- tensordot / einsum --------------------------------------------------------------------------------
def _tensordot_infer(types, attrs):
    a, b = types
    axes_a = [normalize_axis(x, a.rank) for x in attrs["axes_a"]]
    axes_b = [normalize_axis(x, b.rank) for x in attrs["axes_b"]]
    if len(axes_a) != len(axes_b) or len(set(axes_a)) != len(axes_a) or len(set(axes_b)) != len(axes_b):
        raise ValueError(f"tensordot: axes {attrs['axes_a']} and {attrs['axes_b']} must be distinct and "
                         "of equal length")
    for i, j in zip(axes_a, axes_b):
        if _merge_dim(a.shape[i], b.shape[j])[1] is False:
            raise ValueError(f"tensordot: axis {i} of {a.shape} and axis {j} of {b.shape} differ in size")
    shape = tuple(d for i, d in enumerate(a.shape) if i not in axes_a) + \
        tuple(d for i, d in enumerate(b.shape) if i not in axes_b)
    return [TensorType(shape, promote(a.dtype, b.dtype))]


@defop("tensordot", infer=_tensordot_infer, layout="opaque", arity=2,
       attrs={"axes_a": Attr("ints"), "axes_b": Attr("ints")}, doc="contract axes_a of x1 with axes_b of x2",
       traits={"compute_heavy"}, cost=costs.tensordot_cost, public="kxla.ops.tensordot",
       reference=lambda a, b, axes_a, axes_b: np.tensordot(a, b, (axes_a, axes_b)))
def _tensordot(ctx, a, b, axes_a, axes_b):
    dtype = jnp.promote_types(a.dtype, b.dtype)
    return jnp.tensordot(a.astype(dtype), b.astype(dtype), (tuple(axes_a), tuple(axes_b)))


def tensordot(x1, x2, axes=2):
    """Tensor contraction, as ``keras.ops.tensordot`` (``axes``: int N or a pair of axis lists)."""
    if isinstance(axes, (int, np.integer)):
        n = int(axes)
        r1 = _rank_of(x1)
        axes_a, axes_b = list(range(r1 - n, r1)), list(range(n))
    else:
        axes_a, axes_b = axes
        axes_a = [int(axes_a)] if isinstance(axes_a, (int, np.integer)) else [int(v) for v in axes_a]
        axes_b = [int(axes_b)] if isinstance(axes_b, (int, np.integer)) else [int(v) for v in axes_b]
    return apply("tensordot", x1, x2, axes_a=axes_a, axes_b=axes_b)


def _einsum_infer(types, attrs):
    eq = attrs["equation"].replace(" ", "")
    lhs, arrow, out = eq.partition("->")
    terms = lhs.split(",")
    if len(terms) != len(types):
        raise ValueError(f"einsum: equation {eq!r} names {len(terms)} operand(s), got {len(types)}")
    sizes: dict = {}
    counts: dict = {}
    ellipsis = None
    for term, t in zip(terms, types):
        pre, dots, post = term.partition("...")
        if "." in pre + post or not (pre + post).isalpha() and (pre + post):
            raise ValueError(f"einsum: bad subscripts {term!r} in {eq!r}")
        n_ell = t.rank - len(pre) - len(post)
        if n_ell < 0 or (n_ell and not dots):
            raise ValueError(f"einsum: subscripts {term!r} do not fit operand of shape {t.shape}")
        dims = list(zip(pre, t.shape[:len(pre)])) + list(zip(post, t.shape[t.rank - len(post):]))
        for letter, d in dims:
            counts[letter] = counts.get(letter, 0) + 1
            merged, ok = _merge_dim(sizes.get(letter), d)
            if not ok:
                raise ValueError(f"einsum: index {letter!r} has sizes {sizes[letter]} and {d} in {eq!r}")
            sizes[letter] = merged
        if dots:
            ell = t.shape[len(pre):len(pre) + n_ell]
            ellipsis = ell if ellipsis is None else broadcast_shapes(ellipsis, ell)
    if not arrow:
        once = "".join(sorted(k for k, v in counts.items() if v == 1))      # numpy's implicit output
        out = ("..." if ellipsis is not None else "") + once
    pre, dots, post = out.partition("...")
    shape = []
    for letter in pre:
        if letter not in sizes:
            raise ValueError(f"einsum: output index {letter!r} does not appear in the inputs of {eq!r}")
        shape.append(sizes[letter])
    if dots:
        shape.extend(ellipsis or ())
    for letter in post:
        if letter not in sizes:
            raise ValueError(f"einsum: output index {letter!r} does not appear in the inputs of {eq!r}")
        shape.append(sizes[letter])
    dtype = types[0].dtype
    for t in types[1:]:
        dtype = promote(dtype, t.dtype)
    return [TensorType(tuple(shape), dtype)]


@defop("einsum", infer=_einsum_infer, layout="opaque", arity=None, attrs={"equation": Attr("str")},
       doc="Einstein summation", traits={"compute_heavy"}, cost=costs.einsum_cost,
       reference=lambda *xs, equation: np.einsum(equation, *xs), public="kxla.ops.einsum")
def _einsum(ctx, *xs, equation):
    dtype = jnp.result_type(*xs)
    return jnp.einsum(equation, *[x.astype(dtype) for x in xs])


def einsum(subscripts, *operands):
    """Einstein summation over ``operands``, as ``keras.ops.einsum``."""
    return apply("einsum", *operands, equation=str(subscripts))


# -- comparisons and logic ----------------------------------------------------------------------------
def _bool_infer(types, attrs):
    return [elementwise(types, attrs)[0].with_dtype("bool")]


for _name in ("equal", "not_equal", "greater", "greater_equal", "less", "less_equal", "logical_and",
              "logical_or", "logical_xor"):
    defop(_name, infer=_bool_infer, layout="agnostic", arity=2, doc=f"elementwise {_name} (bool result)",
          traits={"elementwise"} | ({"commutative"} if _name in ("equal", "not_equal", "logical_and",
                                                                  "logical_or", "logical_xor") else set()),
          cost=costs.per_element(1), reference=getattr(np, _name), public=f"kxla.ops.{_name}")(
        (lambda fn: lambda ctx, a, b: fn(a, b))(getattr(jnp, _name)))
defop("logical_not", infer=_bool_infer, layout="agnostic", doc="elementwise not (bool result)",
      traits={"elementwise"}, cost=costs.per_element(1), reference=np.logical_not,
      public="kxla.ops.logical_not")(
    lambda ctx, x: jnp.logical_not(x))


def equal(x1, x2):
    """Elementwise ``x1 == x2`` (bool)."""
    return apply("equal", x1, x2)


def not_equal(x1, x2):
    """Elementwise ``x1 != x2`` (bool)."""
    return apply("not_equal", x1, x2)


def greater(x1, x2):
    """Elementwise ``x1 > x2`` (bool)."""
    return apply("greater", x1, x2)


def greater_equal(x1, x2):
    """Elementwise ``x1 >= x2`` (bool)."""
    return apply("greater_equal", x1, x2)


def less(x1, x2):
    """Elementwise ``x1 < x2`` (bool)."""
    return apply("less", x1, x2)


def less_equal(x1, x2):
    """Elementwise ``x1 <= x2`` (bool)."""
    return apply("less_equal", x1, x2)


def logical_and(x1, x2):
    """Elementwise logical and (nonzero is true; bool result)."""
    return apply("logical_and", x1, x2)


def logical_or(x1, x2):
    """Elementwise logical or (bool result)."""
    return apply("logical_or", x1, x2)


def logical_xor(x1, x2):
    """Elementwise logical exclusive or (bool result)."""
    return apply("logical_xor", x1, x2)


def logical_not(x):
    """Elementwise logical not (bool result)."""
    return apply("logical_not", x)
