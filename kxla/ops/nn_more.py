"""keras.ops.nn names added late: polar, multi_hot, rms_normalization, separable_conv, unfold, fold,
adaptive_average_pool, adaptive_max_pool — one catalogue row each.

Formulas are Keras's (JAX backend). Lowerings written for numpy or jax.numpy
alike (``xp``) are their own numpy reference; the convolution-shaped ones
(separable_conv, unfold, fold) get their result shapes from ``jax.eval_shape``
(``eval_shape_rule``), so shape inference never computes values.
"""
from __future__ import annotations

import math

import numpy as np

from .lazy_jax import jax, jnp, lax
from . import families as F
from .catalog import alias, op


def _xp(x):
    return np if isinstance(x, np.ndarray) else jnp


def eval_shape_rule(fn):
    """A shape rule running ``fn`` abstractly (``jax.eval_shape``); unknown dims are tried at a few sizes: a
    result dim that varies stays unknown; when only one size is accepted, the other inputs pin it."""
    def shapes(types, attrs, fill):
        structs = [jax.ShapeDtypeStruct(tuple(fill if d is None else d for d in t.shape), t.dtype) for t in types]
        try:
            out = jax.eval_shape(lambda *a: fn(*a, **attrs), *structs)
        except TypeError as e:
            raise ValueError(str(e)) from None
        return [o.shape for o in jax.tree_util.tree_leaves(out)]

    def rule(types, attrs):
        if not any(d is None for t in types for d in t.shape):
            return shapes(types, attrs, 1)
        results, error = [], None
        for fill in (2, 3, 1, 4, 5, 6, 8):
            try:
                results.append(shapes(types, attrs, fill))
            except ValueError as e:
                error = e
            if len(results) == 2:
                break
        if not results:
            raise error
        if len(results) == 1:
            return results[0]
        return [tuple(a if a == b else None for a, b in zip(s1, s2)) for s1, s2 in zip(*results)]
    return rule


# -- polar ---------------------------------------------------------------------------------------------
def _polar(abs_, angle):
    xp = _xp(abs_)
    return (abs_ * xp.cos(angle)).astype("complex64") + 1j * (abs_ * xp.sin(angle)).astype("complex64")


polar = op("polar", "abs_, angle", lambda a, b: _polar(a, b).astype("complex64"),
           lambda a, b: _polar(a.astype("float32"), b.astype("float32")).astype("complex64"), shape=F.broadcast,
           dtype=F.fixed("complex64"), ns="nn", traits=("elementwise",), layout="agnostic",
           doc="abs_ * (cos(angle) + i sin(angle)) as complex64")


# -- multi_hot ---------------------------------------------------------------------------------------------
def _multi_hot(x, num_classes, axis, dtype):
    xp = _xp(x)
    x = x.astype("int32")
    hot = xp.expand_dims(x, -1) == xp.arange(num_classes).reshape((1,) * x.ndim + (num_classes,))
    hot = xp.moveaxis(hot, -1, axis if axis >= 0 else x.ndim + 1 + axis)
    return xp.max(hot, axis=1 if x.ndim > 1 else 0).astype(dtype)


def _multi_hot_shape(types, attrs):
    t = types[0]
    shape = list(t.shape)
    axis = attrs["axis"] if attrs["axis"] >= 0 else t.rank + 1 + attrs["axis"]
    shape.insert(axis, attrs["num_classes"])
    del shape[1 if t.rank > 1 else 0]
    return [tuple(shape)]


_multi_hot_row = op("multi_hot", "inputs, num_classes, axis=-1, dtype='float32'", _multi_hot, _multi_hot,
                    shape=_multi_hot_shape, dtype=F.attr_or(F.keep), ns=None, tensors=("inputs",), cost=F.movement,
                    doc="multi-hot encoding: one_hot along a new axis, then max over axis 1 (0 for 1-D)")


def multi_hot(inputs, num_classes=None, axis=-1, dtype=None, sparse=False, **kwargs):
    """Multi-hot encode integer ``inputs`` (each row's classes set to 1), as ``keras.ops.nn.multi_hot``."""
    if kwargs and "num_tokens" in kwargs:
        num_classes = kwargs.pop("num_tokens")
    if kwargs:
        raise TypeError(f"multi_hot: unexpected arguments {sorted(kwargs)}")
    if num_classes is None:
        raise ValueError("Argument `num_classes` must be specified.")
    if sparse:
        raise ValueError("multi_hot: sparse=True is not supported (kxla has no sparse tensors)")
    from ..config import floatx
    return _multi_hot_row(inputs, int(num_classes), axis=int(axis), dtype=dtype or floatx())


multi_hot.op_name = "multi_hot"
alias("multi_hot", multi_hot, ns="nn")


# -- rms_normalization ------------------------------------------------------------------------------------
def _rms(x, *scale, axis, epsilon):
    xp = _xp(x)
    dtype = x.dtype
    compute = "float64" if str(dtype) == "float64" else "float32"
    y = x.astype(compute)
    if y.ndim == 0:
        y = y[None]
    axis = tuple(sorted(axis)) if isinstance(axis, (list, tuple)) else axis
    y = y * (1.0 / xp.sqrt(xp.mean(xp.square(y), axis=axis, keepdims=True) + xp.asarray(epsilon, compute)))
    if scale:
        y = y * scale[0].astype(compute)
    return y.astype(dtype)


_rms_row = op("rms_normalization", "x, *scale, axis=-1, epsilon=1e-7", _rms, _rms,
              shape=lambda types, attrs: [types[0].shape if types[0].rank else (1,)], dtype=F.keep, ns=None,
              lists=("scale",), layout="opaque", cost=F.per_input(4),
              doc="x * rsqrt(mean(x**2, axis) + epsilon) * scale, computed in float32 at least")


def rms_normalization(x, scale=None, axis=-1, epsilon=None):
    """Root-mean-square normalization of ``x`` over ``axis`` (times ``scale``), as keras.ops.rms_normalization."""
    from ..config import epsilon as default_epsilon
    return _rms_row(x, *([] if scale is None else [scale]),
                    axis=list(axis) if isinstance(axis, (list, tuple)) else int(axis),
                    epsilon=float(default_epsilon() if epsilon is None else epsilon))


rms_normalization.op_name = "rms_normalization"
alias("rms_normalization", rms_normalization, ns="nn")


# -- separable_conv ---------------------------------------------------------------------------------------
def _tuple(value, n):
    return tuple(value) if isinstance(value, (list, tuple)) else (value,) * n


def _numbers(n, data_format):
    spatial = "DHW"[3 - n:]
    lhs = "NC" + spatial if data_format == "channels_first" else "N" + spatial + "C"
    return lhs, spatial + "IO", lhs


def _separable_conv(x, depthwise_kernel, pointwise_kernel, strides, padding, data_format, dilation_rate):
    n = x.ndim - 2
    if n not in (1, 2, 3) or depthwise_kernel.ndim != n + 2 or pointwise_kernel.ndim != n + 2:
        raise ValueError(f"separable_conv: needs inputs of rank 3-5 with kernels of the same rank, got {x.shape}, "
                         f"{depthwise_kernel.shape}, {pointwise_kernel.shape}")
    channels = x.shape[1 if data_format == "channels_first" else -1]
    if depthwise_kernel.shape[-2] != channels:
        raise ValueError(f"separable_conv: the depthwise kernel's input channels {depthwise_kernel.shape[-2]} "
                         f"differ from the input's {channels}")
    dims = _numbers(n, data_format)
    kernel = jnp.reshape(depthwise_kernel, depthwise_kernel.shape[:-2] + (1, -1))
    dilation = _tuple(dilation_rate, n)
    y = lax.conv_general_dilated(x, kernel, _tuple(strides, n), padding.upper(), rhs_dilation=dilation,
                                 dimension_numbers=dims, feature_group_count=channels)
    return lax.conv_general_dilated(y, pointwise_kernel, (1,) * n, "VALID", rhs_dilation=dilation,
                                    dimension_numbers=dims)


_sep_row = op("separable_conv", "inputs, depthwise_kernel, pointwise_kernel, strides=1, padding='valid', "
              "data_format='channels_last', dilation_rate=1", _separable_conv, None,
              shape=eval_shape_rule(_separable_conv), dtype=F.promote_float, ns=None, cast_in="promote",
              layout="sensitive", traits=("compute_heavy", "window"), cost=F.per_output(20),
              doc="depthwise convolution, then a 1x1 pointwise convolution")


def separable_conv(inputs, depthwise_kernel, pointwise_kernel, strides=1, padding="valid", data_format=None,
                   dilation_rate=1):
    """Depthwise-separable convolution, as ``keras.ops.nn.separable_conv``."""
    from ..config import standardize_data_format
    padding = str(padding).lower()
    if padding not in ("valid", "same"):
        raise ValueError(f"separable_conv: padding must be 'valid' or 'same', got {padding!r}")
    return _sep_row(inputs, depthwise_kernel, pointwise_kernel, strides=strides, padding=padding,
                    data_format=standardize_data_format(data_format), dilation_rate=dilation_rate)


separable_conv.op_name = "separable_conv"
alias("separable_conv", separable_conv, ns="nn")


# -- unfold / fold (channels-first image patches, as torch's) ---------------------------------------------
def _pair(v):
    return (v, v) if isinstance(v, int) else tuple(v)


def _unfold(x, kernel_size, dilation, padding, stride):
    if x.ndim != 4:
        raise ValueError(f"unfold: expects a 4-D (N, C, H, W) input, got shape {x.shape}")
    p = _pair(padding)
    x = jnp.pad(x, ((0, 0), (0, 0), (p[0], p[0]), (p[1], p[1])))
    patches = lax.conv_general_dilated_patches(x, _pair(kernel_size), _pair(stride), "VALID",
                                               rhs_dilation=_pair(dilation),
                                               dimension_numbers=("NCHW", "OIHW", "NCHW"))
    return jnp.reshape(patches, patches.shape[:2] + (-1,))


unfold = op("unfold", "x, kernel_size, dilation=1, padding=0, stride=1", _unfold, None,
            shape=eval_shape_rule(_unfold), dtype=F.keep, ns="nn", tensors=("x",), cost=F.movement,
            doc="sliding (N, C, H, W) blocks as columns (N, C*kh*kw, L)")


def _fold(x, output_size, kernel_size, dilation, padding, stride):
    if x.ndim != 3:
        raise ValueError(f"fold: expects a 3-D (N, C*kh*kw, L) input, got shape {x.shape}")
    (oh, ow), (kh, kw), (dh, dw), (ph, pw), (sh, sw) = map(_pair, (output_size, kernel_size, dilation, padding,
                                                                    stride))
    n, ckk, length = x.shape
    nh = (oh + 2 * ph - dh * (kh - 1) - 1) // sh + 1
    nw = (ow + 2 * pw - dw * (kw - 1) - 1) // sw + 1
    if ckk % (kh * kw) or nh * nw != length:
        raise ValueError(f"fold: input {x.shape} does not hold (C*{kh}*{kw}, {nh}*{nw}) blocks of output {oh}x{ow}")
    blocks = jnp.reshape(x, (n, ckk // (kh * kw), kh, kw, nh, nw))
    out = jnp.zeros((n, ckk // (kh * kw), oh + 2 * ph, ow + 2 * pw), x.dtype)
    for i in range(kh):
        for j in range(kw):
            out = out.at[:, :, i * dh:i * dh + sh * (nh - 1) + 1:sh, j * dw:j * dw + sw * (nw - 1) + 1:sw].add(
                blocks[:, :, i, j])
    return out[:, :, ph:ph + oh, pw:pw + ow]


fold = op("fold", "x, output_size, kernel_size, dilation=1, padding=0, stride=1", _fold, None,
          shape=eval_shape_rule(_fold), dtype=F.keep, ns="nn", tensors=("x",), cost=F.per_output(),
          doc="sum sliding-block columns (N, C*kh*kw, L) back into (N, C, H, W) (inverse layout of unfold)")


# -- adaptive pooling ----------------------------------------------------------------------------------------
def _bins(length, out):
    return [(math.floor(i * length / out), math.ceil((i + 1) * length / out)) for i in range(out)]


def _windows(length, out):
    """Gather indices [out, widest bin] of each output cell's bin (the last index repeated as padding) and
    the count of real entries per cell."""
    bins = _bins(length, out)
    width = max(end - start for start, end in bins)
    index = np.array([[min(start + j, end - 1) for j in range(width)] for start, end in bins], np.int32)
    counts = np.array([end - start for start, end in bins])
    return index, counts


def _adaptive(kind):
    def pool(inputs, output_size, data_format):
        xp = _xp(inputs)
        n = inputs.ndim - 2
        if n not in (1, 2, 3):
            raise ValueError(f"adaptive_{kind}_pool supports only 1D/2D/3D inputs, got shape {inputs.shape}")
        first = 2 if data_format == "channels_first" else 1
        x = inputs
        for axis, out in zip(range(first, first + n), _tuple(output_size, n)):
            index, counts = _windows(x.shape[axis], out)
            cells = xp.take(x, index, axis=axis)                  # the bin axis follows the pooled axis
            if kind == "max":
                x = xp.max(cells, axis=axis + 1)
                continue
            valid = (np.arange(index.shape[1])[None, :] < counts[:, None]).astype(np.float32)
            shape = [1] * cells.ndim
            shape[axis:axis + 2] = valid.shape
            x = xp.sum(cells * xp.asarray(valid.reshape(shape), cells.dtype), axis=axis + 1) / \
                xp.asarray(counts.reshape(shape[:axis + 1] + shape[axis + 2:]), cells.dtype)
        return x.astype(inputs.dtype)
    return pool


def _adaptive_shape(types, attrs):
    t = types[0]
    n = t.rank - 2
    if n not in (1, 2, 3):
        raise ValueError(f"adaptive pooling supports only 1D/2D/3D inputs, got shape {t.shape}")
    size = _tuple(attrs["output_size"], n)
    if len(size) != n:
        raise ValueError(f"output_size {attrs['output_size']} needs {n} entries for input shape {t.shape}")
    first = 2 if attrs["data_format"] == "channels_first" else 1
    if any(d is None for d in t.shape[first:first + n]):
        raise ValueError(f"adaptive pooling needs known spatial dims, got input shape {t.shape}")
    shape = list(t.shape)
    shape[first:first + n] = size
    return [tuple(shape)]


for _kind in ("average", "max"):
    _row = op(f"adaptive_{_kind}_pool", "inputs, output_size, data_format='channels_last'", _adaptive(_kind),
              _adaptive(_kind), shape=_adaptive_shape, dtype=F.floating if _kind == "average" else F.keep, ns=None,
              tensors=("inputs",), layout="sensitive", traits=("window",), cost=F.per_input(),
              doc=f"{_kind} pooling into output_size cells per spatial dim (bins floor(i*L/o)..ceil((i+1)*L/o))")

    def _public(inputs, output_size, data_format=None, _row=_row, _kind=_kind):
        from ..config import standardize_data_format
        size = list(output_size) if isinstance(output_size, (list, tuple)) else int(output_size)
        return _row(inputs, size, data_format=standardize_data_format(data_format))
    _public.__name__ = _public.__qualname__ = f"adaptive_{_kind}_pool"
    _public.__doc__ = f"Adaptive {_kind} pooling to ``output_size``, as ``keras.ops.nn.adaptive_{_kind}_pool``."
    _public.op_name = f"adaptive_{_kind}_pool"
    globals()[_public.__name__] = alias(_public.__name__, _public, ns="nn")

