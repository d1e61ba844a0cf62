"""Indexing ops (keras.ops names): slicing and ``x[...]``, pad, split, tile, repeat, take, one_hot, argmax/argmin.

Layouts, declared per op (see kxla.ir.registry.LAYOUTS):
  * "axis" - split, repeat, argmax, argmin (axis attributes) and tile, pad,
    slice (per-axis lists, permuted by their remap rule);
  * "opaque" - take and one_hot (they fix the meaning of dimensions).

Python indexing of symbolic tensors (``x[:, 0]``) goes through ``getitem``:
static basic indexing only, lowered to ``slice`` plus ``squeeze``/``expand_dims``.
"""
from __future__ import annotations

import builtins

from .lazy_jax import jax
from .lazy_jax import jnp
import numpy as np

from ..ir import Attr, TensorType, canonical_dtype
from . import costs
from .array_more import _permute_per_axis, _rank_of, _shape_of
from .core import apply, defop
from .rules import normalize_axis, remap_axis_attr

__all__ = ["getitem", "slice", "pad", "split", "tile", "repeat", "take", "one_hot", "argmax", "argmin"]

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
    if not (t.dtype.startswith("int") or t.dtype.startswith("uint") or t.dtype.startswith("float")):
        raise ValueError(f"one_hot: the input must hold class ids (integers, or floats compared exactly as "
                         f"Keras does), got {t.dtype}")
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
