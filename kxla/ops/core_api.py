"""keras.ops core functions: tensor facts (shape, dtype, ...), conversions, top_k, segments, scatter, control flow.

Ops are table rows (``catalog.op``); the facts and conversions are plain
functions (no node: they answer from the type). Control flow and function
transforms (cond, scan, while_loop, map, ...) run JAX's on arrays; on a
symbolic tensor they raise a clear error (a model records them with
``kxla.ops.jax_call``).
"""
from __future__ import annotations

from .lazy_jax import jax
from .lazy_jax import jnp
import numpy as np

from ..ir import canonical_dtype
from . import families as F
from .catalog import alias, op
from .symbolic_dim import symbolic_shape
from .tracing import KerasTensor, Variable


# -- facts and conversions (no node) -----------------------------------------
def shape(x):
    """The shape of ``x`` as a tuple; an unknown dimension of a symbolic tensor is a ``SymbolicDim``
    (equal to ``None``; usable in the shape of ``kxla.random`` draws)."""
    if isinstance(x, KerasTensor):
        return symbolic_shape(x)
    return tuple(x.shape) if hasattr(x, "shape") else np.shape(x)


def ndim(x):
    """The rank of ``x``."""
    return len(shape(x))


def size(x):
    """The number of elements of ``x`` (an int32 scalar, as Keras's)."""
    return jnp.asarray(int(np.prod(shape(x), dtype=np.int64)), "int32")


def dtype(x):
    """The dtype of ``x`` as Keras's standardized name (``"float32"``)."""
    return canonical_dtype(x.dtype) if hasattr(x, "dtype") else convert_to_tensor(x).dtype.name


def is_tensor(x):
    """True for a JAX array (the backend's tensor), as Keras's JAX backend answers."""
    return isinstance(x, jax.Array)


def convert_to_tensor(x, dtype=None, sparse=None, ragged=None):
    """``x`` as a JAX array (float64 / int64 become float32 / int32, as Keras's JAX backend does)."""
    if sparse or ragged:
        raise ValueError("kxla has no sparse or ragged tensors (sparse=True / ragged=True)")
    if isinstance(x, KerasTensor):
        if dtype is not None and canonical_dtype(dtype) != x.dtype:
            from .array import cast
            return cast(x, dtype)
        return x
    if isinstance(x, Variable):
        x = x.value
    if dtype is not None:
        return jnp.asarray(x, dtype=canonical_dtype(dtype))
    if not isinstance(x, jax.Array):
        arr = np.asarray(x)
        x = arr.astype({"float64": "float32", "int64": "int32"}.get(arr.dtype.name, arr.dtype))
    return jnp.asarray(x)


def convert_to_numpy(x):
    """``x`` as a numpy array."""
    if isinstance(x, KerasTensor):
        raise ValueError("A KerasTensor is symbolic: it has no value to convert to numpy")
    return np.asarray(x.value if isinstance(x, Variable) else x)


def array(x, dtype=None):
    """``x`` as a tensor of ``dtype`` (keras.ops.array)."""
    return convert_to_tensor(x, dtype=dtype)


def get_item(x, key):
    """``x[key]``."""
    return x[key] if isinstance(x, (KerasTensor, Variable)) else convert_to_tensor(x)[key]


for _n, _f in [("shape", shape), ("dtype", dtype), ("is_tensor", is_tensor), ("convert_to_tensor", convert_to_tensor),
               ("convert_to_numpy", convert_to_numpy)]:
    alias(_n, _f, ns="core")
for _n, _f in [("ndim", ndim), ("size", size), ("array", array), ("get_item", get_item)]:
    alias(_n, _f, ns="numpy")

# -- ops ------------------------------------------------------------------------
stop_gradient = op("stop_gradient", "variable", jax.lax.stop_gradient, lambda x: x, shape=F.unary, dtype=F.keep,
                   ns="core", traits=("elementwise",))


def _saturate(x, dtype):
    if jnp.issubdtype(jnp.dtype(dtype), jnp.integer):
        info = jnp.iinfo(dtype)
        x = jnp.clip(x, info.min, info.max)
    return x.astype(dtype)


def _saturate_np(x, dtype):
    if np.issubdtype(np.dtype(dtype), np.integer):
        info = np.iinfo(dtype)
        x = np.clip(x, info.min, info.max)
    return x.astype(dtype)


saturate_cast = op("saturate_cast", "x, dtype", _saturate, _saturate_np, shape=F.unary,
                   dtype=lambda d, a: a["dtype"], ns="core", tensors=("x",), traits=("elementwise",))


def _top_k_shape(types, attrs):
    s = types[0].shape
    return [s[:-1] + (attrs["k"],)] * 2


def _top_k_np(x, k, sorted):
    idx = np.argsort(-x, axis=-1, kind="stable")[..., :k]
    return np.take_along_axis(x, idx, -1), idx


top_k = op("top_k", "x, k, sorted=True", lambda x, k, sorted: tuple(jax.lax.top_k(x, k)), _top_k_np,
           shape=_top_k_shape, dtype=[F.keep, F.fixed("int32")], ns="core", tensors=("x",))


def _in_top_k(targets, predictions, k):
    at = jnp.take_along_axis(predictions, jnp.expand_dims(targets, -1), axis=-1)
    at = jnp.where(jnp.isnan(at), -jnp.inf, at)
    return 1 + jnp.sum(predictions > at, axis=-1) <= k


def _in_top_k_np(targets, predictions, k):
    at = np.take_along_axis(predictions, np.expand_dims(targets, -1), axis=-1)
    at = np.where(np.isnan(at), -np.inf, at)
    return 1 + np.sum(predictions > at, axis=-1) <= k


in_top_k = op("in_top_k", "targets, predictions, k", _in_top_k, _in_top_k_np,
              shape=lambda types, attrs: [types[0].shape], dtype=F.boolean, ns="core", tensors=("targets",
                                                                                                "predictions"))


def _segment(jfn, nfn, empty):
    def lower(data, segment_ids, num_segments, sorted):
        return jfn(data, segment_ids, num_segments, indices_are_sorted=sorted)

    def ref(data, segment_ids, num_segments, sorted):
        out = np.full((num_segments,) + data.shape[1:], empty(data.dtype), data.dtype)
        nfn.at(out, segment_ids, data)
        return out
    return lower, ref


def _lowest(d):
    return -np.inf if np.issubdtype(d, np.floating) else np.iinfo(d).min


def _highest(d):
    return np.inf if np.issubdtype(d, np.floating) else np.iinfo(d).max


def _segment_shape(types, attrs):
    return [(attrs["num_segments"],) + types[0].shape[1:]]


for _n, _j, _r, _e in [("segment_sum", jax.ops.segment_sum, np.add, lambda d: 0),
                       ("segment_max", jax.ops.segment_max, np.maximum, _lowest),
                       ("segment_min", jax.ops.segment_min, np.minimum, _highest),
                       ("segment_prod", jax.ops.segment_prod, np.multiply, lambda d: 1)]:
    _lw, _rf = _segment(_j, _r, _e)
    globals()[_n] = op(_n, "data, segment_ids, num_segments=None, sorted=False", _lw, _rf, shape=_segment_shape,
                       dtype=F.keep, ns="core", prepare=(lambda name: lambda ins, attrs: _need_segments(
                           name, ins, attrs))(_n))


def _need_segments(name, ins, attrs):
    if attrs["num_segments"] is None:        # Keras's JAX backend refuses it too (the shape would depend on values)
        raise ValueError(f"ops.{name}: Argument `num_segments` must be set when using the JAX backend. "
                         "Received: num_segments=None")
    return ins, attrs


# -- scatter and slice updates (Keras's JAX formulas; indices are tensors, start indices static) ------
def _scatter(indices, values, shape, xp=jnp):
    key = tuple(xp.moveaxis(indices, -1, 0))
    if xp is jnp:
        return jnp.zeros(shape, values.dtype).at[key].add(values)
    out = np.zeros(shape, values.dtype)
    np.add.at(out, key, values)
    return out


scatter = op("scatter", "indices, values, shape", _scatter, lambda i, v, shape: _scatter(i, v, shape, np),
             shape=lambda types, attrs: [tuple(attrs["shape"])], dtype=lambda d, a: d[1], ns="core",
             tensors=("indices", "values"))
_REDUCE = {None: ("set", None), "add": ("add", np.add), "max": ("max", np.maximum), "min": ("min", np.minimum),
           "mul": ("multiply", np.multiply)}


def _scatter_update(inputs, indices, updates, reduction):
    if reduction not in _REDUCE:
        raise ValueError(f"Unsupported reduction: {reduction}")
    inputs = jnp.asarray(inputs)
    return getattr(inputs.at[tuple(jnp.transpose(indices))], _REDUCE[reduction][0])(updates)


def _scatter_update_np(inputs, indices, updates, reduction):
    out, key = np.array(inputs), tuple(np.transpose(indices))
    if reduction is None:
        out[key] = updates
    else:
        _REDUCE[reduction][1].at(out, key, updates)
    return out


scatter_update = op("scatter_update", "inputs, indices, updates, reduction=None", _scatter_update,
                    _scatter_update_np, shape=F.unary, dtype=F.keep, ns="core", tensors=("inputs", "indices", "updates"))


def _slice_update_np(inputs, updates, start_indices):
    out = np.array(inputs)
    out[tuple(slice(s, s + n) for s, n in zip(start_indices, updates.shape))] = updates
    return out


_slice_update = op("slice_update", "inputs, updates, start_indices",
                   lambda x, u, start_indices: jax.lax.dynamic_update_slice(x, u.astype(x.dtype), start_indices),
                   _slice_update_np, shape=F.unary, dtype=F.keep, ns=None, tensors=("inputs", "updates"))


def slice_update(inputs, start_indices, updates):
    """``inputs`` with ``updates`` written at ``start_indices`` (static ints; clamped as ``jax.lax``)."""
    if isinstance(start_indices, (KerasTensor, Variable)):
        raise ValueError("ops.slice_update: start_indices must be static ints in a kxla graph")
    return _slice_update(inputs, updates, start_indices=[int(s) for s in np.asarray(start_indices).ravel()])


alias("slice_update", slice_update, ns="core")


def _cdist(x, y, xp=jnp):
    if x.ndim < 2 or y.ndim < 2:
        raise ValueError("`cdist` inputs must have rank >= 2")
    if x.shape[-1] != y.shape[-1]:
        raise ValueError("Last dimension of inputs to `cdist` must match")
    diff = xp.expand_dims(x, -2) - xp.expand_dims(y, -3)
    return xp.sqrt(xp.sum(diff * diff, axis=-1))


cdist = op("cdist", "x, y", _cdist, lambda x, y: _cdist(x, y, np), shape="ref", dtype=F.promote_float, ns="core",
           cast_in="result")
