"""Array ops: constants, casts, reshape and friends (keras.ops names)."""
from __future__ import annotations

import numpy as np
from .lazy_jax import jnp

from ..ir import Attr, TensorType
from . import costs
from .core import apply, defop


def _constant_infer(types, attrs):
    shape = tuple(attrs["shape"])
    value = np.asarray(attrs["value"])
    if value.shape != shape:
        raise ValueError(f"constant value has shape {value.shape}, attribute shape is {shape}")
    return [TensorType(shape, attrs["dtype"])]


@defop("constant", infer=_constant_infer, layout="opaque", arity=0,
       attrs={"value": Attr("array"), "shape": Attr("ints"), "dtype": Attr("str", "float32")},
       doc="a literal tensor (value as nested lists)", traits={"data_movement"}, cost=costs.free,
       reference=lambda value, shape, dtype: np.asarray(value, dtype=dtype).reshape(shape))
def _constant(ctx, value, shape, dtype):
    return jnp.asarray(np.asarray(value, dtype=dtype).reshape(shape))


def _cast_infer(types, attrs):
    return [types[0].with_dtype(attrs["dtype"])]


@defop("cast", infer=_cast_infer, layout="agnostic", attrs={"dtype": Attr("str")}, doc="convert dtype",
       traits={"elementwise", "data_movement"}, cost=costs.free,
       reference=lambda x, dtype: x.astype(dtype), public="kxla.ops.cast")
def _cast(ctx, x, dtype):
    return x.astype(dtype)


def cast(x, dtype):
    """Convert ``x`` to ``dtype``."""
    from ..ir import canonical_dtype
    return apply("cast", x, dtype=canonical_dtype(dtype))


def _reshape_infer(types, attrs):
    t = types[0]
    new = list(attrs["shape"])
    if new.count(-1) > 1:
        raise ValueError(f"reshape: at most one -1 in the new shape, got {new}")
    known = [d for d in t.shape]
    if None in known:
        # only the leading (batch) dim may be unknown; it must map to a -1 or stay leading
        if known.count(None) > 1 or known[0] is not None:
            raise ValueError(f"reshape of {t.shape}: only the first dimension may be unknown")
        rest = int(np.prod(known[1:], dtype=np.int64))
        if -1 in new:
            if new[0] != -1:
                raise ValueError(f"reshape of {t.shape} to {new}: with an unknown batch dim, -1 must be first")
            tail = int(np.prod(new[1:], dtype=np.int64))
            if tail == 0 or rest % tail:
                raise ValueError(f"cannot reshape {t.shape} to {tuple(new)}")
            if rest != tail:
                raise ValueError(f"cannot reshape {t.shape} to {tuple(new)}: {rest} elements per batch "
                                 f"entry, target holds {tail}")
            return [TensorType((None,) + tuple(new[1:]), t.dtype)]
        raise ValueError(f"reshape of {t.shape}: the unknown dimension needs a -1 in the target {new}")
    size = int(np.prod(known, dtype=np.int64))
    if -1 in new:
        rest = int(np.prod([d for d in new if d != -1], dtype=np.int64))
        if rest == 0 or size % rest:
            raise ValueError(f"cannot reshape {t.shape} ({size} elements) to {tuple(new)}")
        new[new.index(-1)] = size // rest
    elif int(np.prod(new, dtype=np.int64)) != size:
        raise ValueError(f"cannot reshape {t.shape} ({size} elements) to {tuple(new)}")
    return [TensorType(tuple(new), t.dtype)]


@defop("reshape", infer=_reshape_infer, layout="opaque", attrs={"shape": Attr("ints")},
       doc="new shape, same elements in row-major order", traits={"data_movement"}, cost=costs.bitcast,
       reference=lambda x, shape: np.reshape(x, shape), public="kxla.ops.reshape")
def _reshape(ctx, x, shape):
    return jnp.reshape(x, shape)


def reshape(x, newshape):
    """Reshape ``x`` to ``newshape`` (one entry may be -1)."""
    return apply("reshape", x, shape=[int(d) for d in newshape])


def _dim_infer(types, attrs):
    from .rules import normalize_axis
    normalize_axis(attrs["axis"], types[0].rank)
    return [TensorType((), attrs["dtype"])]


def _remap_dim(attrs, perm, input_types=None):
    return {**attrs, "axis": perm.index(attrs["axis"] % len(perm))}


@defop("dim", infer=_dim_infer, layout="axis", remap_axes=_remap_dim,
       attrs={"axis": Attr("int", 0), "dtype": Attr("str", "float32")},
       doc="the size of one axis (known at run time, e.g. the batch) as a scalar", cost=costs.bitcast,
       reference=lambda x, axis, dtype: np.asarray(x.shape[axis], dtype), public="kxla.ops.dim")
def _dim(ctx, x, axis, dtype):
    return jnp.asarray(x.shape[axis], dtype)


def dim(x, axis=0, dtype="float32"):
    """The size of ``x`` along ``axis`` as a scalar tensor (the batch size for ``axis=0``)."""
    from ..ir import canonical_dtype
    return apply("dim", x, axis=int(axis), dtype=canonical_dtype(dtype))
