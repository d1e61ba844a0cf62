"""Normalization ops (keras.ops names): batch_norm, layer_norm and moments.

  batch_norm(x, mean, variance, scale, offset) {axis, epsilon}
      ``(x - mean) * rsqrt(variance + epsilon) * scale + offset``; the four
      statistics are rank-1 tensors broadcast along ``axis`` (Keras's formula,
      so results match ``keras.ops.batch_normalization`` bit for bit).
  layer_norm(x, scale, offset) {axis, epsilon}
      normalizes over the ``axis`` list per example; ``scale``/``offset`` have
      the sizes of those axes, in sorted-axis order (as keras.layers.LayerNormalization).
  moments(x) {axes, keepdims} -> (mean, variance)
      mean and biased variance over ``axes``, computed in float32 for 16-bit inputs.

All three are layout "axis": a layout change rewrites their axis attributes.
"""
from __future__ import annotations

from .lazy_jax import jax
from .lazy_jax import jnp
import numpy as np

from ..ir import Attr, TensorType
from . import costs
from .core import apply, defop
from .rules import normalize_axis, promote, remap_axis_attr

__all__ = ["batch_normalization", "layer_normalization", "moments"]


def _axes_of(axis) -> list:
    return [int(axis)] if isinstance(axis, (int, np.integer)) else [int(a) for a in axis]


# -- batch_norm -------------------------------------------------------------------
def _np_bn(x, mean, variance, scale, offset, axis, epsilon):
    shape = [-1 if i == axis % x.ndim else 1 for i in range(x.ndim)]
    r = lambda a: np.reshape(a, shape)     # noqa: E731
    return (x - r(mean)) / np.sqrt(r(variance) + epsilon) * r(scale) + r(offset)


def _np_layer_norm(x, scale, offset, axis, epsilon):
    axes = tuple(sorted(a % x.ndim for a in axis))
    shape = [x.shape[i] if i in axes else 1 for i in range(x.ndim)]
    xf = x.astype(np.promote_types(x.dtype, np.float32))
    norm = (xf - xf.mean(axis=axes, keepdims=True)) / np.sqrt(xf.var(axis=axes, keepdims=True) + epsilon)
    return (norm * np.reshape(scale, shape) + np.reshape(offset, shape)).astype(x.dtype)


def _batch_norm_infer(types, attrs):
    x = types[0]
    axis = normalize_axis(attrs["axis"], x.rank)
    size = x.shape[axis]
    dtype = x.dtype
    for name, t in zip(("mean", "variance", "scale", "offset"), types[1:]):
        if t.rank != 1 or (size is not None and t.shape[0] not in (None, size)):
            raise ValueError(f"batch_norm: {name} of shape {t.shape} does not match axis {attrs['axis']} "
                             f"of the input {x.shape} (expected ({size},))")
        dtype = promote(dtype, t.dtype)
    return [TensorType(x.shape, dtype)]


@defop("batch_norm", infer=_batch_norm_infer, layout="axis", arity=5,
       attrs={"axis": Attr("int", -1), "epsilon": Attr("float", 1e-3)},
       remap_axes=remap_axis_attr("axis"),
       doc="(x - mean) * rsqrt(variance + epsilon) * scale + offset along axis",
       cost=lambda ins, outs, attrs: {"flops": 4 * costs.size(ins[0]) + 2 * costs.size(ins[1]),
                                      "bytes": costs.nbytes(ins) + costs.nbytes(outs)},
       reference=lambda x, m, v, g, b, axis, epsilon: _np_bn(x, m, v, g, b, axis, epsilon),
       public="kxla.ops.batch_normalization")
def _batch_norm(ctx, x, mean, variance, scale, offset, axis, epsilon):
    shape = [1] * x.ndim
    shape[axis % x.ndim] = mean.shape[0]
    inv = jax.lax.rsqrt(jnp.reshape(variance, shape) + epsilon) * jnp.reshape(scale, shape)
    res = jnp.reshape(offset, shape) - jnp.reshape(mean, shape) * inv
    return x * inv + res


def _filler(like, value: float, shape: tuple) -> np.ndarray:
    """A constant standing in for an omitted scale or offset, in ``like``'s dtype."""
    return np.full(shape, value, dtype=jnp.dtype(getattr(like, "dtype", "float32")))


def batch_normalization(x, mean, variance, axis, offset=None, scale=None, epsilon=1e-3):
    """Normalize ``x`` with given statistics along ``axis``, as ``keras.ops.batch_normalization``.

    Arguments:
      x: input tensor.
      mean, variance: rank-1 tensors of size ``x.shape[axis]``.
      axis: the feature axis (int).
      offset: optional rank-1 beta (added); None means 0.
      scale: optional rank-1 gamma (multiplied); None means 1.
      epsilon: added to the variance.

    Returns:
      ``(x - mean) / sqrt(variance + epsilon) * scale + offset``.
    """
    size = tuple(mean.shape)[0] if len(tuple(mean.shape)) == 1 else None
    if size is None:
        raise ValueError(f"batch_normalization: mean must be a rank-1 tensor, got shape {tuple(mean.shape)}")
    scale = _filler(mean, 1.0, (size,)) if scale is None else scale
    offset = _filler(mean, 0.0, (size,)) if offset is None else offset
    return apply("batch_norm", x, mean, variance, scale, offset, axis=int(axis), epsilon=float(epsilon))


# -- layer_norm ---------------------------------------------------------------------
def _norm_axes(op: str, axes: list, rank: int) -> list:
    norm = sorted(normalize_axis(a, rank) for a in axes)
    if not norm or len(set(norm)) != len(norm):
        raise ValueError(f"{op}: axis must be a non-empty list of distinct axes, got {axes}")
    return norm


def _layer_norm_infer(types, attrs):
    x, scale, offset = types
    axes = _norm_axes("layer_norm", attrs["axis"], x.rank)
    want = tuple(x.shape[a] for a in axes)
    dtype = x.dtype
    for name, t in (("scale", scale), ("offset", offset)):
        if t.rank != len(want) or any(w is not None and d is not None and w != d
                                      for w, d in zip(want, t.shape)):
            raise ValueError(f"layer_norm: {name} of shape {t.shape} does not match the normalized "
                             f"axes {axes} of the input {x.shape} (expected {want})")
    return [TensorType(x.shape, dtype)]


def _remap_layer_norm(attrs, perm, input_types=None):
    rank = len(perm)
    old = sorted(a % rank for a in attrs["axis"])
    new = [perm.index(a) for a in old]
    if new != sorted(new):
        raise ValueError("layer_norm: this permutation reorders the normalized axes "
                         f"{old}; scale/offset would need a transpose")
    return {**attrs, "axis": new}


@defop("layer_norm", infer=_layer_norm_infer, layout="axis", arity=3,
       attrs={"axis": Attr("ints", (-1,)), "epsilon": Attr("float", 1e-3)},
       remap_axes=_remap_layer_norm,
       doc="per-example normalization over axis, then * scale + offset", cost=costs.per_input_element(8),
       reference=_np_layer_norm, public="kxla.ops.layer_normalization")
def _layer_norm(ctx, x, scale, offset, axis, epsilon):
    axes = sorted(a % x.ndim for a in axis)
    shape = [1] * x.ndim
    for a in axes:
        shape[a] = x.shape[a]
    out_dtype = x.dtype
    xf = x.astype(jnp.promote_types(x.dtype, jnp.float32))
    mean = jnp.mean(xf, axis=tuple(axes), keepdims=True)
    variance = jnp.var(xf, axis=tuple(axes), keepdims=True)
    inv = jax.lax.rsqrt(variance + epsilon) * jnp.reshape(scale, shape).astype(xf.dtype)
    res = jnp.reshape(offset, shape).astype(xf.dtype) - mean * inv
    return (xf * inv + res).astype(out_dtype)


def layer_normalization(x, gamma=None, beta=None, axis=-1, epsilon=None):
    """Layer normalization over ``axis`` of each example, as ``keras.ops.layer_normalization``.

    Arguments:
      x: input tensor.
      gamma: optional scale with the sizes of the normalized axes (None means 1).
      beta: optional offset, same shape (None means 0).
      axis: int or list of ints.
      epsilon: added to the variance; None means ``kxla.config.epsilon()`` (1e-7) as Keras.

    Returns:
      A tensor of ``x``'s shape and dtype (computed in float32 at least).
    """
    from ..config import epsilon as default_epsilon
    shape = tuple(x.shape)
    axes = _norm_axes("layer_normalization", _axes_of(axis), len(shape))
    want = tuple(shape[a] for a in axes)
    if None in want and (gamma is None or beta is None):
        raise ValueError(f"layer_normalization: the normalized axes {axes} of {shape} must be known")
    gamma = _filler(x, 1.0, want) if gamma is None else gamma
    beta = _filler(x, 0.0, want) if beta is None else beta
    eps = default_epsilon() if epsilon is None else float(epsilon)
    return apply("layer_norm", x, gamma, beta, axis=axes, epsilon=eps)


# -- moments -------------------------------------------------------------------------
def _moments_infer(types, attrs):
    x = types[0]
    axes = set(_norm_axes("moments", attrs["axes"], x.rank))
    if attrs["keepdims"]:
        shape = tuple(1 if i in axes else d for i, d in enumerate(x.shape))
    else:
        shape = tuple(d for i, d in enumerate(x.shape) if i not in axes)
    return [TensorType(shape, x.dtype), TensorType(shape, x.dtype)]


@defop("moments", infer=_moments_infer, layout="axis", arity=1,
       attrs={"axes": Attr("ints"), "keepdims": Attr("bool", False)},
       remap_axes=remap_axis_attr("axes"), doc="mean and biased variance over axes", traits={"reduction"},
       cost=costs.per_input_element(4), public="kxla.ops.moments",
       reference=lambda x, axes, keepdims: (np.mean(x, axis=tuple(axes), keepdims=keepdims),
                                            np.var(x, axis=tuple(axes), keepdims=keepdims)))
def _moments(ctx, x, axes, keepdims):
    dtype = x.dtype
    xf = x.astype(jnp.float32) if dtype in (jnp.float16, jnp.bfloat16) else x
    mean = jnp.mean(xf, axis=tuple(axes), keepdims=keepdims)
    variance = jnp.var(xf, axis=tuple(axes), keepdims=keepdims)
    if xf.dtype != dtype:
        limit = float(jnp.finfo(dtype).max)
        mean = jnp.clip(mean, -limit, limit).astype(dtype)
        variance = jnp.clip(variance, -limit, limit).astype(dtype)
    return mean, variance


def moments(x, axes, keepdims=False, synchronized=False):
    """Mean and (biased) variance of ``x`` over ``axes``, as ``keras.ops.moments``.

    Arguments:
      x: input tensor.
      axes: int or list of ints to reduce over.
      keepdims: keep the reduced axes with size 1.
      synchronized: must be False (cross-device statistics come from data-parallel sharding).

    Returns:
      ``(mean, variance)``.
    """
    if synchronized:
        raise ValueError("moments: synchronized=True is not supported; under data-parallel sharding "
                         "the statistics are already global")
    return apply("moments", x, axes=_axes_of(axes), keepdims=bool(keepdims))
