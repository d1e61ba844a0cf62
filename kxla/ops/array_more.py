"""More array ops (keras.ops names): shape manipulation, indexing, gathering, comparisons, logic.

Layouts, declared per op (see kxla.ir.registry.LAYOUTS):
  * "agnostic" - elementwise: where, clip, erf, zeros_like, ones_like,
    comparisons (bool results) and logical ops;
  * "axis" - rank-preserving or reducing ops whose attributes name axes or
    hold one entry per axis: concatenate, split, squeeze, repeat, argmax,
    argmin (axis attributes) and tile, pad, slice (per-axis lists, permuted
    by their remap rule);
  * "sensitive" - flatten (its ``data_format`` decides the element order);
  * "opaque" - everything that fixes the meaning of dimensions: transpose,
    expand_dims, stack, take, one_hot, tensordot, einsum.

Shape rules accept ``None`` (unknown) dims wherever the result does not need them.
Python indexing of symbolic tensors (``x[:, 0]``) goes through ``getitem``:
static basic indexing only, lowered to ``slice`` plus ``squeeze``/``expand_dims``.
"""
from __future__ import annotations

import builtins
import math

import jax
import jax.numpy as jnp
import numpy as np

from ..ir import Attr, TensorType, canonical_dtype
from . import costs
from .core import apply, defop
from .rules import broadcast_shapes, elementwise, floating, normalize_axis, promote, remap_axis_attr, same_as_input

__all__ = [
    "transpose", "concatenate", "expand_dims", "squeeze", "where", "flatten", "getitem", "slice", "pad",
    "split", "stack", "tile", "repeat", "take", "one_hot", "argmax", "argmin", "clip", "erf",
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


# -- slice / getitem ---------------------------------------------------------------------------
def _slice_len(dim, start, stop, step):
    if dim is not None:
        return len(range(*builtins.slice(start, stop, step).indices(dim)))
    # unknown dim: only single-element selections (an integer index) have a known length
    if step != 1 or start is None:
        return None
    if stop == start + 1 and (start >= 0 or start < -1) or (start == -1 and stop is None):
        return 1
    return None


def _slice_infer(types, attrs):
    t = types[0]
    start, stop, step = attrs["start"], attrs["stop"], attrs["step"]
    if not (len(start) == len(stop) == len(step) == t.rank):
        raise ValueError(f"slice: start, stop and step need one entry per axis of {t.shape}, got "
                         f"{start}, {stop}, {step}")
    for name, values in (("start", start), ("stop", stop)):
        if any(v is not None and (not isinstance(v, int) or isinstance(v, bool)) for v in values):
            raise ValueError(f"slice: {name} entries must be ints or none, got {values}")
    if any(not isinstance(s, int) or s == 0 for s in step):
        raise ValueError(f"slice: step entries must be non-zero ints, got {step}")
    return [TensorType(tuple(_slice_len(d, a, b, c) for d, a, b, c in zip(t.shape, start, stop, step)),
                       t.dtype)]


@defop("slice", infer=_slice_infer, layout="axis",
       attrs={"start": Attr("any"), "stop": Attr("any"), "step": Attr("ints")},
       remap_axes=_permute_per_axis("start", "stop", "step"),
       doc="basic slicing x[start:stop:step] per axis (none = open end)", traits={"data_movement"}, cost=costs.free,
       reference=lambda x, start, stop, step: x[tuple(builtins.slice(*a) for a in zip(start, stop, step))],
       public="kxla.ops.slice")
def _slice(ctx, x, start, stop, step):
    return x[tuple(builtins.slice(a, b, c) for a, b, c in zip(start, stop, step))]


def getitem(x, idx):
    """``x[idx]`` for static basic indexing: ints, slices, None and Ellipsis (``KerasTensor.__getitem__``).

    Lowered to one ``slice`` node, then ``squeeze`` for integer indices and
    ``expand_dims`` for None. Tensor or list indices are not basic indexing:
    use ``kxla.ops.take``.
    """
    shape = _shape_of(x)
    items = idx if isinstance(idx, tuple) else (idx,)
    for item in items:
        if not (item is None or item is Ellipsis or isinstance(item, builtins.slice) or
                (isinstance(item, (int, np.integer)) and not isinstance(item, (bool, np.bool_)))):
            raise ValueError(f"Only static basic indexing (ints, slices, None, ...) is supported on "
                             f"tensors, got index {item!r}; use kxla.ops.take for gathers")
    if sum(item is Ellipsis for item in items) > 1:
        raise ValueError(f"an index can only have a single ellipsis ('...'), got {idx!r}")
    used = sum(item is not None and item is not Ellipsis for item in items)
    if used > len(shape):
        raise ValueError(f"too many indices for a tensor of shape {shape}: {idx!r}")
    if Ellipsis in items:
        at = items.index(Ellipsis)
        items = items[:at] + (builtins.slice(None),) * (len(shape) - used) + items[at + 1:]
    else:
        items = items + (builtins.slice(None),) * (len(shape) - used)
    start, stop, step, drop, new = [], [], [], [], []
    axis = out_pos = 0
    for item in items:
        if item is None:
            new.append(out_pos)
            out_pos += 1
            continue
        if isinstance(item, builtins.slice):
            for part in (item.start, item.stop, item.step):
                if part is not None and not isinstance(part, (int, np.integer)):
                    raise ValueError(f"slice bounds must be static ints or None, got {item!r}")
            start.append(None if item.start is None else int(item.start))
            stop.append(None if item.stop is None else int(item.stop))
            step.append(1 if item.step is None else int(item.step))
            out_pos += 1
        else:
            i, dim = int(item), shape[axis]
            if dim is not None and not -dim <= i < dim:
                raise ValueError(f"index {i} is out of bounds for axis {axis} with size {dim}")
            if dim is not None and i < 0:
                i += dim
            start.append(i)
            stop.append(None if i == -1 else i + 1)
            step.append(1)
            drop.append(axis)
        axis += 1
    y = x
    if any((a, b, c) != (None, None, 1) for a, b, c in zip(start, stop, step)):
        y = apply("slice", y, start=start, stop=stop, step=step)
    if drop:
        y = apply("squeeze", y, axis=drop)
    if new:
        y = apply("expand_dims", y, axis=new)
    if y is x:
        y = apply("slice", y, start=start, stop=stop, step=step)
    return y


def slice(inputs, start_indices, shape):
    """The block of ``shape`` starting at ``start_indices`` (static ints), as ``keras.ops.slice``."""
    start = [int(s) for s in start_indices]
    sizes = [int(s) for s in shape]
    if len(start) != _rank_of(inputs) or len(sizes) != len(start):
        raise ValueError(f"slice: start_indices {start} and shape {sizes} need one entry per axis of "
                         f"{_shape_of(inputs)}")
    return apply("slice", inputs, start=start, stop=[a + n for a, n in zip(start, sizes)],
                 step=[1] * len(start))


# -- pad --------------------------------------------------------------------------------
_PAD_MODES = ("constant", "reflect", "symmetric", "edge")


def _pad_infer(types, attrs):
    t = types[0]
    width = attrs["pad_width"]
    if len(width) != t.rank or any(not isinstance(p, list) or len(p) != 2 or
                                   any(not isinstance(v, int) or v < 0 for v in p) for p in width):
        raise ValueError(f"pad: pad_width must hold one [before, after] pair of ints >= 0 per axis of "
                         f"{t.shape}, got {width}")
    return [TensorType(tuple(None if d is None else d + a + b for d, (a, b) in zip(t.shape, width)),
                       t.dtype)]


@defop("pad", infer=_pad_infer, layout="axis",
       attrs={"pad_width": Attr("any"), "mode": Attr("str", "constant", _PAD_MODES),
              "constant_values": Attr("float", 0.0)},
       remap_axes=_permute_per_axis("pad_width"), doc="pad each axis by [before, after]", traits={"data_movement"}, cost=costs.free,
       reference=lambda x, pad_width, mode, constant_values: np.pad(
           x, [tuple(p) for p in pad_width], mode,
           **({"constant_values": constant_values} if mode == "constant" else {})),
       public="kxla.ops.pad")
def _pad(ctx, x, pad_width, mode, constant_values):
    width = [tuple(p) for p in pad_width]
    if mode == "constant":
        return jnp.pad(x, width, mode="constant", constant_values=jnp.asarray(constant_values, x.dtype))
    return jnp.pad(x, width, mode=mode)


def pad(x, pad_width, mode="constant", constant_values=None):
    """Pad ``x`` (``pad_width``: int, (before, after) or one pair per axis), as ``keras.ops.pad``."""
    rank = _rank_of(x)
    arr = np.asarray(pad_width, dtype=np.int64)
    if arr.ndim == 0:
        arr = np.full((rank, 2), int(arr))
    elif arr.shape == (2,) or arr.shape == (1, 2):
        arr = np.tile(arr.reshape(1, 2), (rank, 1))
    if arr.shape != (rank, 2):
        raise ValueError(f"pad: pad_width {pad_width!r} does not fit a tensor of rank {rank}")
    if constant_values is not None and mode != "constant":
        raise ValueError(f"pad: constant_values can only be given with mode='constant', got mode={mode!r}")
    return apply("pad", x, pad_width=arr.tolist(), mode=mode,
                 constant_values=0.0 if constant_values is None else float(constant_values))


# -- split ---------------------------------------------------------------------------------
def _split_infer(types, attrs):
    t = types[0]
    axis = normalize_axis(attrs["axis"], t.rank)
    points = attrs["indices"]
    dim = t.shape[axis]
    bounds = [0] + list(points) + [dim]
    if any(b < 0 for b in points) or any(a > b for a, b in zip(points, points[1:])) or \
            (dim is not None and points and points[-1] > dim):
        raise ValueError(f"split: indices {points} must be increasing split points within axis {axis} "
                         f"of size {dim}")
    out = []
    for a, b in zip(bounds, bounds[1:]):
        shape = list(t.shape)
        shape[axis] = None if b is None else b - a
        out.append(TensorType(tuple(shape), t.dtype))
    return out


@defop("split", infer=_split_infer, layout="axis",
       attrs={"indices": Attr("ints"), "axis": Attr("int", 0)},
       remap_axes=remap_axis_attr("axis"), doc="split at the given points along axis (several results)",
       traits={"data_movement"}, cost=costs.free, reference=lambda x, indices, axis: tuple(np.split(x, indices, axis=axis)),
       public="kxla.ops.split")
def _split(ctx, x, indices, axis):
    return tuple(jnp.split(x, indices, axis=axis))


def split(x, indices_or_sections, axis=0):
    """Split ``x`` into equal sections (int) or at split points (list), as ``keras.ops.split``.

    Returns:
      A list of tensors.
    """
    shape = _shape_of(x)
    axis = int(axis)
    dim = shape[normalize_axis(axis, len(shape))]
    if isinstance(indices_or_sections, (int, np.integer)):
        n = int(indices_or_sections)
        if dim is None:
            raise ValueError(f"split: cannot split an unknown dimension (axis {axis} of {shape}) into "
                             f"{n} sections; give split points instead")
        if n <= 0 or dim % n:
            raise ValueError(f"split: axis {axis} of size {dim} cannot be split into {n} equal sections")
        points = [dim // n * i for i in range(1, n)]
    else:
        points = [int(i) for i in indices_or_sections]
    out = apply("split", x, indices=points, axis=axis)
    return list(out) if isinstance(out, tuple) else [out]


# -- tile / repeat ---------------------------------------------------------------------------
def _tile_infer(types, attrs):
    t = types[0]
    reps = attrs["repeats"]
    if len(reps) != t.rank or any(r < 0 for r in reps):
        raise ValueError(f"tile: repeats must hold one int >= 0 per axis of {t.shape}, got {reps}")
    return [TensorType(tuple(None if d is None else d * r for d, r in zip(t.shape, reps)), t.dtype)]


@defop("tile", infer=_tile_infer, layout="axis", attrs={"repeats": Attr("ints")},
       remap_axes=_permute_per_axis("repeats"), doc="repeat the whole tensor along each axis", traits={"data_movement"}, cost=costs.free,
       reference=lambda x, repeats: np.tile(x, repeats), public="kxla.ops.tile")
def _tile(ctx, x, repeats):
    return jnp.tile(x, repeats)


def tile(x, repeats):
    """Tile ``x`` ``repeats`` times along each axis (numpy rules for other lengths), as ``keras.ops.tile``."""
    reps = [int(repeats)] if isinstance(repeats, (int, np.integer)) else [int(r) for r in repeats]
    rank = _rank_of(x)
    if len(reps) > rank:
        x = apply("expand_dims", x, axis=list(range(len(reps) - rank)))
    reps = [1] * (max(rank, len(reps)) - len(reps)) + reps
    return apply("tile", x, repeats=reps)


def _repeat_infer(types, attrs):
    t = types[0]
    axis = normalize_axis(attrs["axis"], t.rank)
    if attrs["repeats"] < 0:
        raise ValueError(f"repeat: repeats must be >= 0, got {attrs['repeats']}")
    shape = list(t.shape)
    shape[axis] = None if shape[axis] is None else shape[axis] * attrs["repeats"]
    return [TensorType(tuple(shape), t.dtype)]


@defop("repeat", infer=_repeat_infer, layout="axis", attrs={"repeats": Attr("int"), "axis": Attr("int")},
       remap_axes=remap_axis_attr("axis"), doc="repeat each element along axis", traits={"data_movement"}, cost=costs.free,
       reference=lambda x, repeats, axis: np.repeat(x, repeats, axis=axis), public="kxla.ops.repeat")
def _repeat(ctx, x, repeats, axis):
    return jnp.repeat(x, repeats, axis=axis)


def repeat(x, repeats, axis=None):
    """Repeat each element ``repeats`` (an int) times along ``axis`` (flat if None), as keras.ops.repeat."""
    if not isinstance(repeats, (int, np.integer)):
        raise ValueError(f"repeat: only an integer number of repeats is supported, got {repeats!r}")
    if axis is None:
        x = apply("reshape", x, shape=[-1])
        axis = 0
    return apply("repeat", x, repeats=int(repeats), axis=int(axis))


# -- take / one_hot ------------------------------------------------------------------------------
def _take_infer(types, attrs):
    x, idx = types
    if not (idx.dtype.startswith("int") or idx.dtype.startswith("uint")):
        raise ValueError(f"take: indices must be integers, got {idx.dtype}")
    axis = normalize_axis(attrs["axis"], x.rank)
    return [TensorType(x.shape[:axis] + idx.shape + x.shape[axis + 1:], x.dtype)]


@defop("take", infer=_take_infer, layout="opaque", arity=2, attrs={"axis": Attr("int", 0)},
       doc="gather slices of x at integer indices along axis", traits={"data_movement"}, cost=costs.free,
       reference=lambda x, indices, axis: np.take(x, indices, axis=axis), public="kxla.ops.take")
def _take(ctx, x, indices, axis):
    return jnp.take(x, indices, axis=axis)


def take(x, indices, axis=None):
    """Gather ``x`` at integer ``indices`` along ``axis`` (flattened if None), as ``keras.ops.take``."""
    if axis is None:
        x = apply("reshape", x, shape=[-1])
        axis = 0
    if not hasattr(indices, "shape"):
        indices = np.asarray(indices, dtype=np.int32)
    return apply("take", x, indices, axis=int(axis))


def _one_hot_infer(types, attrs):
    t = types[0]
    if not (t.dtype.startswith("int") or t.dtype.startswith("uint")):
        raise ValueError(f"one_hot: the input must hold integer class ids, got {t.dtype}")
    if attrs["num_classes"] < 1:
        raise ValueError(f"one_hot: num_classes must be >= 1, got {attrs['num_classes']}")
    axis = normalize_axis(attrs["axis"], t.rank + 1)
    shape = list(t.shape)
    shape.insert(axis, attrs["num_classes"])
    return [TensorType(tuple(shape), attrs["dtype"])]


@defop("one_hot", infer=_one_hot_infer, layout="opaque",
       attrs={"num_classes": Attr("int"), "axis": Attr("int", -1), "dtype": Attr("str", "float32")},
       doc="one-hot encoding along a new axis (out-of-range ids give zeros)", traits={"data_movement"}, cost=costs.free,
       reference=lambda x, num_classes, axis, dtype: np.moveaxis(
           (x[..., None] == np.arange(num_classes)).astype(dtype), -1, axis), public="kxla.ops.one_hot")
def _one_hot(ctx, x, num_classes, axis, dtype):
    return jax.nn.one_hot(x, num_classes, dtype=dtype, axis=axis)


def one_hot(x, num_classes, axis=-1, dtype=None, sparse=False):
    """One-hot encode integer ``x`` along a new ``axis``, as ``keras.ops.one_hot``."""
    if sparse:
        raise ValueError("one_hot: sparse=True is not supported")
    from ..config import floatx
    return apply("one_hot", x, num_classes=int(num_classes), axis=int(axis),
                 dtype=canonical_dtype(dtype or floatx()))


# -- argmax / argmin --------------------------------------------------------------------------------
def _arg_infer(types, attrs):
    t = types[0]
    axis = normalize_axis(attrs["axis"], t.rank)
    if attrs["keepdims"]:
        shape = tuple(1 if i == axis else d for i, d in enumerate(t.shape))
    else:
        shape = t.shape[:axis] + t.shape[axis + 1:]
    return [TensorType(shape, "int32")]


for _name, _fn in (("argmax", jnp.argmax), ("argmin", jnp.argmin)):
    defop(_name, infer=_arg_infer, layout="axis",
          attrs={"axis": Attr("int", -1), "keepdims": Attr("bool", False)},
          remap_axes=remap_axis_attr("axis"), doc=f"index of the {_name[3:]}imum along axis (int32)",
          traits={"reduction"}, cost=costs.per_input_element(1), public=f"kxla.ops.{_name}",
          reference=(lambda npfn: lambda x, axis, keepdims: npfn(x, axis=axis, keepdims=keepdims).astype(
              "int32"))(getattr(np, _name)))(
        (lambda fn: lambda ctx, x, axis, keepdims:
         fn(x, axis=axis, keepdims=keepdims).astype(jnp.int32))(_fn))


def _arg(name, x, axis, keepdims):
    if axis is not None:
        return apply(name, x, axis=int(axis), keepdims=bool(keepdims))
    rank = _rank_of(x)
    out = apply(name, apply("reshape", x, shape=[-1]), axis=0, keepdims=False)
    return apply("reshape", out, shape=[1] * rank) if keepdims else out


def argmax(x, axis=None, keepdims=False):
    """Index of the maximum along ``axis`` (of the flattened tensor if None), as ``keras.ops.argmax``."""
    return _arg("argmax", x, axis, keepdims)


def argmin(x, axis=None, keepdims=False):
    """Index of the minimum along ``axis`` (of the flattened tensor if None), as ``keras.ops.argmin``."""
    return _arg("argmin", x, axis, keepdims)


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
