"""Convolution and pooling ops (keras.ops names): conv, depthwise and transposed conv, max/average pool.

Ops registered here, one each; the spatial rank N (1, 2, 3 unless noted) comes from the input:

  conv(x, kernel[, bias])            kernel (k..., in/groups, out)
  depthwise_conv(x, kernel[, bias])  kernel (k..., in, multiplier)      N = 1, 2
  conv_transpose(x, kernel[, bias])  kernel (k..., out, in)             Keras Conv*DTranspose
  max_pool(x), avg_pool(x)

The three convolutions carry the fusion epilogue: an optional bias input (on
the channel axis) and an ``activation`` attribute (a form of
``kxla.ir.activation_forms()``, "linear" by default), which
``fuse-bias-activation`` fills. Older rank-suffixed names (``conv2d``,
``fused_conv2d``, ``max_pool2d``, ...) are aliases: IR text and saved models
that use them load as these ops. ``strides`` / ``dilation_rate`` none mean 1 per axis.

Every op is layout "sensitive": it carries ``data_format`` ("channels_last",
``N, spatial..., C``, or "channels_first", ``N, C, spatial...``) and the
layout pass may flip it. Kernels keep Keras's layout whatever the data format,
so weights move between formats untouched. Padding is "valid" or "same" with
Keras's (TensorFlow's) conventions; average pooling with "same" divides by the
number of non-padded elements in each window, as Keras does.
"""
from __future__ import annotations

import math

from .lazy_jax import jax
from .lazy_jax import jnp
import numpy as np

from ..config import standardize_data_format
from ..ir import Attr, TensorType, activation_forms, get_op, is_floating
from . import costs
from .core import apply, defop
from .rules import promote

__all__ = ["conv", "depthwise_conv", "conv_transpose", "max_pool", "average_pool"]

_FORMATS = ("channels_last", "channels_first")
_PADDINGS = ("valid", "same")
_SPATIAL = {1: "W", 2: "HW", 3: "DHW"}


# -- shape helpers (pure Python, shared by the shape rules) -----------------------
def _check_rank(op: str, what: str, t: TensorType, rank: int) -> None:
    if t.rank != rank:
        raise ValueError(f"{op}: {what} must have rank {rank}, got shape {t.shape}")


def _check_list(op: str, attrs: dict, name: str, n: int, minimum: int = 1) -> list:
    value = attrs[name]
    if len(value) != n or any(v < minimum for v in value):
        raise ValueError(f"{op}: {name} must be {n} integer(s) >= {minimum}, got {value}")
    return value


def _split(t: TensorType, data_format: str):
    """(batch, spatial dims, channels) of a tensor in ``data_format``."""
    if data_format == "channels_last":
        return t.shape[0], list(t.shape[1:-1]), t.shape[-1]
    return t.shape[0], list(t.shape[2:]), t.shape[1]


def _join(batch, spatial, channels, data_format: str) -> tuple:
    if data_format == "channels_last":
        return (batch, *spatial, channels)
    return (batch, channels, *spatial)


def window_output_length(op: str, size, window: int, stride: int, dilation: int, padding: str):
    """Output length of a conv/pool window sweep over ``size`` elements (None when unknown).

    Raises ValueError, naming ``op``, when a "valid" window does not fit.
    """
    if size is None:
        return None
    if padding == "same":
        return -(-size // stride)
    span = (window - 1) * dilation + 1
    out = (size - span) // stride + 1
    if out <= 0:
        raise ValueError(f"{op}: a window of size {span} (after dilation) does not fit in an input "
                         f"dimension of size {size} with padding='valid'; the output would be empty")
    return out


def transpose_padding(kernel: int, stride: int, dilation: int, padding: str, output_padding):
    """Keras's (left, right) padding of a transposed convolution for one spatial dim.

    Output length is ``(in - 1) * stride + 1 + left + right - span + 1`` with
    ``span = (kernel - 1) * dilation + 1``: ``(in - 1) * stride + max(span, stride)``
    for "valid" and ``in * stride`` for "same" when ``output_padding`` is None.
    """
    span = (kernel - 1) * dilation + 1
    if padding == "valid":
        extra = max(span, stride) - span if output_padding is None else output_padding
        return span - 1, span - 1 + extra
    if output_padding is None:
        total = stride + span - 2
    else:
        total = span + span % 2 - 2 + output_padding
    left = min(total // 2 + total % 2, span - 1)
    return left, total - left


def _dimension_numbers(n: int, data_format: str) -> tuple:
    sp = _SPATIAL[n]
    lhs = "N" + sp + "C" if data_format == "channels_last" else "NC" + sp
    return (lhs, sp + "IO", lhs)


def _check_kernel_known(op: str, k: TensorType) -> None:
    if None in k.shape:
        raise ValueError(f"{op}: the kernel shape must be fully known, got {k.shape}")


# -- the fusion epilogue: optional bias input and ``activation`` attribute -----------------
def check_activation(op: str, name: str) -> None:
    """Raise ValueError unless ``name`` is an activation form (``kxla.ir.activation_forms()``)."""
    forms = activation_forms()
    if name not in forms:
        raise ValueError(f"{op}: unknown activation {name!r}; use one of {sorted(forms)}")


def epilogue(ctx, y, bias, activation: str, axis: int):
    """``activation(y + bias)`` with ``bias`` (or None) broadcast along ``axis``: the fused tail."""
    if bias is not None:
        shape = [1] * y.ndim
        shape[axis % y.ndim] = bias.shape[0]
        y = y + jnp.reshape(bias, shape)
    op, attrs = activation_forms()[activation]
    if op is None:
        return y
    opdef = get_op(op)
    return opdef.lower(ctx, y, **opdef.normalize_attrs(attrs))


def _epilogue_infer(op: str, types, attrs, out: TensorType) -> TensorType:
    check_activation(op, attrs["activation"])
    if len(types) == 2:
        return out
    bias = types[2]
    channels = out.shape[-1 if attrs["data_format"] == "channels_last" else 1]
    if bias.rank != 1 or (channels is not None and bias.shape[0] not in (None, channels)):
        raise ValueError(f"{op}: bias of shape {bias.shape} does not match {channels} output channels")
    return TensorType(out.shape, promote(out.dtype, bias.dtype))


def _split_inputs(op: str, types) -> tuple:
    if len(types) not in (2, 3):
        raise ValueError(f"{op} takes 2 or 3 inputs (x, kernel[, bias]), got {len(types)}")
    return types[0], types[1]


def _ones(value, n: int) -> list:
    return [1] * n if value is None else value


def _rank(op: str, x: TensorType, k: TensorType | None, allowed=(1, 2, 3)) -> int:
    n = x.rank - 2
    if n not in allowed:
        ranks = " or ".join(str(r + 2) for r in allowed)
        raise ValueError(f"{op}: the input must have rank {ranks} (batch, spatial..., channels), got {x.shape}")
    if k is not None:
        _check_rank(op, "kernel", k, n + 2)
        _check_kernel_known(op, k)
    return n


def _channel_axis(attrs) -> int:
    return -1 if attrs["data_format"] == "channels_last" else 1


_EPILOGUE = "optional bias (3rd input, on the channel axis) and activation attribute (fusion)"


# -- conv ------------------------------------------------------------------------
def _kernel_window(op: str, types, attrs, allowed=(1, 2, 3)):
    """What every convolution's shape rule starts from: x, kernel, rank, strides, dilation, (b, spatial, c)."""
    x, k = _split_inputs(op, types)
    n = _rank(op, x, k, allowed)
    strides = _check_list(op, {"strides": _ones(attrs["strides"], n)}, "strides", n)
    dilation = _check_list(op, {"dilation_rate": _ones(attrs["dilation_rate"], n)}, "dilation_rate", n)
    return x, k, n, strides, dilation, _split(x, attrs["data_format"])


def _conv_infer(types, attrs):
    op = "conv"
    x, k, n, strides, dilation, (batch, spatial, cin) = _kernel_window(op, types, attrs)
    fmt = attrs["data_format"]
    groups = attrs["groups"]
    if groups < 1:
        raise ValueError(f"{op}: groups must be >= 1, got {groups}")
    kin, kout = k.shape[-2], k.shape[-1]
    if cin is not None and cin != kin * groups:
        raise ValueError(f"{op}: the input has {cin} channels ({fmt}, shape {x.shape}) but the kernel "
                         f"{k.shape} expects {kin} per group x {groups} group(s) = {kin * groups}")
    if kout % groups:
        raise ValueError(f"{op}: the kernel's {kout} output channels are not divisible by groups={groups}")
    out = [window_output_length(op, s, w, st, d, attrs["padding"])
           for s, w, st, d in zip(spatial, k.shape[:n], strides, dilation)]
    return [_epilogue_infer(op, types, attrs, TensorType(_join(batch, out, kout, fmt), promote(x.dtype, k.dtype)))]


_COMMON = {"strides": Attr("optional_ints", None), "padding": Attr("str", "valid", _PADDINGS),
           "data_format": Attr("str", "channels_last", _FORMATS)}
_ACTIVATION = Attr("str", "linear")


@defop("conv", infer=_conv_infer, layout="sensitive", arity=None,
       attrs={**_COMMON, "dilation_rate": Attr("optional_ints", None), "groups": Attr("int", 1),
              "activation": _ACTIVATION},
       doc="N-D convolution (N from the input rank), kernel (k..., in/groups, out); " + _EPILOGUE,
       traits={"convolution", "compute_heavy", "window"}, cost=costs.conv_cost, public="kxla.ops.conv",
       aliases=("conv1d", "conv2d", "conv3d", "fused_conv1d", "fused_conv2d", "fused_conv3d"),
       extra={"kernel_out_axis": -1})
def _conv(ctx, x, kernel, *bias, strides, padding, data_format, dilation_rate, groups, activation):
    n = x.ndim - 2
    dtype = jnp.promote_types(x.dtype, kernel.dtype)
    y = jax.lax.conv_general_dilated(
        x.astype(dtype), kernel.astype(dtype), tuple(_ones(strides, n)), padding.upper(),
        rhs_dilation=tuple(_ones(dilation_rate, n)), dimension_numbers=_dimension_numbers(n, data_format),
        feature_group_count=groups)
    return epilogue(ctx, y, bias[0] if bias else None, activation, _channel_axis({"data_format": data_format}))


_conv_lower = _conv.lower


# -- depthwise conv ---------------------------------------------------------------------
def _depthwise_infer(types, attrs):
    op = "depthwise_conv"
    x, k, n, strides, dilation, (batch, spatial, cin) = _kernel_window(op, types, attrs, allowed=(1, 2))
    fmt = attrs["data_format"]
    kin, mult = k.shape[-2], k.shape[-1]
    if cin is not None and cin != kin:
        raise ValueError(f"{op}: the input has {cin} channels ({fmt}, shape {x.shape}) but the "
                         f"depthwise kernel {k.shape} expects {kin}")
    out = [window_output_length(op, s, w, st, d, attrs["padding"])
           for s, w, st, d in zip(spatial, k.shape[:n], strides, dilation)]
    return [_epilogue_infer(op, types, attrs,
                            TensorType(_join(batch, out, kin * mult, fmt), promote(x.dtype, k.dtype)))]


@defop("depthwise_conv", infer=_depthwise_infer, layout="sensitive", arity=None,
       attrs={**_COMMON, "dilation_rate": Attr("optional_ints", None), "activation": _ACTIVATION},
       doc="1-D or 2-D depthwise convolution, kernel (k..., in, multiplier); " + _EPILOGUE,
       traits={"convolution", "compute_heavy", "window"}, cost=costs.depthwise_conv_cost,
       public="kxla.ops.depthwise_conv", aliases=("depthwise_conv1d", "depthwise_conv2d"))
def _depthwise_conv(ctx, x, kernel, *bias, strides, padding, data_format, dilation_rate, activation):
    cin, mult = kernel.shape[-2], kernel.shape[-1]          # a grouped conv with one group per channel
    return _conv_lower(ctx, x, jnp.reshape(kernel, kernel.shape[:-2] + (1, cin * mult)), *bias, strides=strides,
                       padding=padding, data_format=data_format, dilation_rate=dilation_rate, groups=cin,
                       activation=activation)


# -- transposed conv ----------------------------------------------------------------------
def _transpose_infer(types, attrs):
    op = "conv_transpose"
    x, k, n, strides, dilation, (batch, spatial, cin) = _kernel_window(op, types, attrs)
    fmt = attrs["data_format"]
    out_pad = attrs["output_padding"]
    if out_pad is not None and (len(out_pad) != n or any(not isinstance(p, int) or p < 0 for p in out_pad)):
        raise ValueError(f"{op}: output_padding must be None or {n} integer(s) >= 0, got {out_pad}")
    kout, kin = k.shape[-2], k.shape[-1]
    if cin is not None and cin != kin:
        raise ValueError(f"{op}: the input has {cin} channels ({fmt}, shape {x.shape}) but the "
                         f"transposed-conv kernel {k.shape} (k..., out, in) expects {kin}")
    out = []
    for i, size in enumerate(spatial):
        if size is None:
            out.append(None)
            continue
        span = (k.shape[i] - 1) * dilation[i] + 1
        left, right = transpose_padding(k.shape[i], strides[i], dilation[i], attrs["padding"],
                                        None if out_pad is None else out_pad[i])
        length = (size - 1) * strides[i] + 1 + left + right - span + 1
        if length <= 0:
            raise ValueError(f"{op}: output dimension {i} would be empty ({length})")
        out.append(length)
    return [_epilogue_infer(op, types, attrs, TensorType(_join(batch, out, kout, fmt), promote(x.dtype, k.dtype)))]


@defop("conv_transpose", infer=_transpose_infer, layout="sensitive", arity=None,
       attrs={"strides": _COMMON["strides"], "padding": _COMMON["padding"],
              "output_padding": Attr("optional_ints", None), "data_format": _COMMON["data_format"],
              "dilation_rate": Attr("optional_ints", None), "activation": _ACTIVATION},
       doc="N-D transposed convolution (Keras Conv*DTranspose), kernel (k..., out, in); " + _EPILOGUE,
       traits={"convolution", "compute_heavy", "window"}, cost=costs.conv_transpose_cost,
       public="kxla.ops.conv_transpose", aliases=("conv1d_transpose", "conv2d_transpose", "conv3d_transpose"),
       extra={"kernel_out_axis": -2})
def _conv_transpose(ctx, x, kernel, *bias, strides, padding, output_padding, data_format, dilation_rate,
                    activation):
    n = x.ndim - 2
    strides, dilation_rate = _ones(strides, n), _ones(dilation_rate, n)
    dtype = jnp.promote_types(x.dtype, kernel.dtype)
    pads = [transpose_padding(kernel.shape[i], strides[i], dilation_rate[i], padding,
                              None if output_padding is None else output_padding[i])
            for i in range(n)]
    y = jax.lax.conv_transpose(
        x.astype(dtype), kernel.astype(dtype), tuple(strides), pads,
        rhs_dilation=tuple(dilation_rate), dimension_numbers=_dimension_numbers(n, data_format),
        transpose_kernel=True)
    return epilogue(ctx, y, bias[0] if bias else None, activation, _channel_axis({"data_format": data_format}))


# -- pooling ----------------------------------------------------------------------------------
def _pool_infer(kind: str):
    op = f"{kind}_pool"

    def infer(types, attrs):
        x = types[0]
        fmt = attrs["data_format"]
        n = _rank(op, x, None)
        if kind == "avg" and not is_floating(x.dtype):
            raise ValueError(f"{op}: average pooling needs a floating-point input, got {x.dtype}")
        pool = _check_list(op, attrs, "pool_size", n)
        strides = _check_list(op, attrs, "strides", n)
        batch, spatial, channels = _split(x, fmt)
        out = [window_output_length(op, s, w, st, 1, attrs["padding"])
               for s, w, st in zip(spatial, pool, strides)]
        return [TensorType(_join(batch, out, channels, fmt), x.dtype)]
    return infer


def _full_window(values, data_format: str) -> tuple:
    return (1, *values, 1) if data_format == "channels_last" else (1, 1, *values)


def _max_pool_lower(ctx, x, pool_size, strides, padding, data_format):
    # a Python scalar init lets JAX recognise the max monoid (and differentiate the window)
    init = -float("inf") if jnp.issubdtype(x.dtype, jnp.floating) else int(jnp.iinfo(x.dtype).min)
    return jax.lax.reduce_window(x, init, jax.lax.max, _full_window(pool_size, data_format),
                                 _full_window(strides, data_format), padding.upper())


def _avg_pool_lower(ctx, x, pool_size, strides, padding, data_format):
    window = _full_window(pool_size, data_format)
    steps = _full_window(strides, data_format)
    zero = 0.0 if jnp.issubdtype(x.dtype, jnp.floating) else 0    # Python scalar: the add monoid
    total = jax.lax.reduce_window(x, zero, jax.lax.add, window, steps, padding.upper())
    if padding == "valid":
        return total / jnp.array(math.prod(pool_size), x.dtype)
    # "same": divide by the number of real (non-padded) elements in each window
    ones_shape = [d if w != 1 else 1 for d, w in zip(x.shape, window)]
    counts = jax.lax.reduce_window(jnp.ones(ones_shape, x.dtype), zero, jax.lax.add, window, steps,
                                   padding.upper())
    return total / counts


_POOL_ATTRS = {"pool_size": Attr("ints"), "strides": Attr("ints"), "padding": Attr("str", "valid", _PADDINGS),
               "data_format": Attr("str", "channels_last", _FORMATS)}


defop("max_pool", infer=_pool_infer("max"), layout="sensitive", attrs=_POOL_ATTRS,
      doc="N-D max pooling (N from the input rank)", traits={"pooling", "window"}, cost=costs.pool_cost("max"),
      public="kxla.ops.max_pool", aliases=("max_pool1d", "max_pool2d", "max_pool3d"))(_max_pool_lower)
defop("avg_pool", infer=_pool_infer("avg"), layout="sensitive", attrs=_POOL_ATTRS,
      doc="N-D average pooling (\"same\" divides by the non-padded count)", traits={"pooling", "window"},
      cost=costs.pool_cost("avg"), public="kxla.ops.average_pool",
      aliases=("avg_pool1d", "avg_pool2d", "avg_pool3d"))(_avg_pool_lower)


# -- public functions (keras.ops signatures) ---------------------------------------------------
def _spatial_rank(fn: str, shape: tuple, allowed=(1, 2, 3)) -> int:
    n = len(shape) - 2
    if n not in allowed:
        ranks = " or ".join(str(r + 2) for r in allowed)
        raise ValueError(f"{fn}: inputs must have rank {ranks} (batch, spatial..., channels), "
                         f"got shape {shape}")
    return n


def _int_tuple(fn: str, name: str, value, n: int) -> list:
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        return [int(value)] * n
    try:
        out = [int(v) for v in value]
    except (TypeError, ValueError):
        raise ValueError(f"{fn}: {name} must be an int or a tuple of {n} ints, got {value!r}") from None
    if len(out) != n:
        raise ValueError(f"{fn}: {name} must be an int or a tuple of {n} ints, got {value!r}")
    return out


def _padding(fn: str, padding) -> str:
    p = str(padding).lower()
    if p not in _PADDINGS:
        raise ValueError(f"{fn}: padding must be 'valid' or 'same', got {padding!r}")
    return p


def _shape_of(x) -> tuple:
    return tuple(x.shape if hasattr(x, "shape") else np.shape(x))


def _channels(x_shape: tuple, data_format: str):
    return x_shape[-1] if data_format == "channels_last" else x_shape[1]


def conv(inputs, kernel, strides=1, padding="valid", data_format=None, dilation_rate=1):
    """N-D convolution (N = 1, 2, 3 from the rank of ``inputs``), as ``keras.ops.conv``.

    Arguments:
      inputs: ``(batch, spatial..., C)`` or ``(batch, C, spatial...)`` per ``data_format``.
      kernel: ``(k..., C / groups, out)``; ``groups = C // kernel.shape[-2]``.
      strides, dilation_rate: int or one int per spatial dim.
      padding: "valid" or "same".
      data_format: "channels_last" or "channels_first" (default: ``kxla.config.image_data_format()``).

    Returns:
      The convolution, ``(batch, spatial'..., out)`` in ``data_format``.
    """
    fmt = standardize_data_format(data_format)
    x_shape, k_shape = _shape_of(inputs), _shape_of(kernel)
    n = _spatial_rank("conv", x_shape)
    channels, kin = _channels(x_shape, fmt), k_shape[-2] if len(k_shape) >= 2 else None
    if channels is None:
        raise ValueError(f"conv: the channel dimension of the input must be known, got {x_shape} ({fmt})")
    if not kin or channels % kin:
        raise ValueError(f"conv: the input's {channels} channels must be divisible by the kernel's "
                         f"in_channels (kernel.shape[-2] of {k_shape})")
    return apply("conv", inputs, kernel, strides=_int_tuple("conv", "strides", strides, n),
                 padding=_padding("conv", padding), data_format=fmt,
                 dilation_rate=_int_tuple("conv", "dilation_rate", dilation_rate, n),
                 groups=channels // kin)


def depthwise_conv(inputs, kernel, strides=1, padding="valid", data_format=None, dilation_rate=1):
    """Depthwise 1-D or 2-D convolution, as ``keras.ops.depthwise_conv``.

    Arguments:
      inputs: rank 3 or 4 tensor in ``data_format``.
      kernel: ``(k..., C, multiplier)``; each input channel gets ``multiplier`` filters.
      strides, padding, data_format, dilation_rate: as for ``conv``.

    Returns:
      ``(batch, spatial'..., C * multiplier)`` in ``data_format``.
    """
    fmt = standardize_data_format(data_format)
    n = _spatial_rank("depthwise_conv", _shape_of(inputs), allowed=(1, 2))
    return apply("depthwise_conv", inputs, kernel,
                 strides=_int_tuple("depthwise_conv", "strides", strides, n),
                 padding=_padding("depthwise_conv", padding), data_format=fmt,
                 dilation_rate=_int_tuple("depthwise_conv", "dilation_rate", dilation_rate, n))


def conv_transpose(inputs, kernel, strides=1, padding="valid", output_padding=None, data_format=None,
                   dilation_rate=1):
    """Transposed N-D convolution with Keras ``Conv*DTranspose`` semantics, as ``keras.ops.conv_transpose``.

    Arguments:
      inputs: rank 3, 4 or 5 tensor in ``data_format``.
      kernel: ``(k..., out, in)`` (Keras's transposed-conv layout).
      strides, dilation_rate: int or one int per spatial dim.
      padding: "valid" or "same".
      output_padding: None (Keras's default lengths) or int / one int per spatial dim.
      data_format: "channels_last" or "channels_first".

    Returns:
      ``(batch, spatial'..., out)``: with ``output_padding=None`` each spatial
      length is ``in * stride`` for "same" and ``(in - 1) * stride + max(k, stride)``
      for "valid".
    """
    fmt = standardize_data_format(data_format)
    n = _spatial_rank("conv_transpose", _shape_of(inputs))
    if output_padding is not None:
        output_padding = _int_tuple("conv_transpose", "output_padding", output_padding, n)
    return apply("conv_transpose", inputs, kernel,
                 strides=_int_tuple("conv_transpose", "strides", strides, n),
                 padding=_padding("conv_transpose", padding), output_padding=output_padding,
                 data_format=fmt,
                 dilation_rate=_int_tuple("conv_transpose", "dilation_rate", dilation_rate, n))


def _pool(kind: str, fn: str, inputs, pool_size, strides, padding, data_format):
    fmt = standardize_data_format(data_format)
    n = _spatial_rank(fn, _shape_of(inputs))
    pool_size = _int_tuple(fn, "pool_size", pool_size, n)
    strides = pool_size if strides is None else _int_tuple(fn, "strides", strides, n)
    return apply(f"{kind}_pool", inputs, pool_size=pool_size, strides=strides,
                 padding=_padding(fn, padding), data_format=fmt)


def max_pool(inputs, pool_size, strides=None, padding="valid", data_format=None):
    """Max pooling over 1, 2 or 3 spatial dims, as ``keras.ops.max_pool``.

    Arguments:
      inputs: rank 3, 4 or 5 tensor in ``data_format``.
      pool_size: int or one int per spatial dim.
      strides: int, tuple, or None (= ``pool_size``).
      padding: "valid" or "same".
      data_format: "channels_last" or "channels_first".

    Returns:
      The pooled tensor in ``data_format``.
    """
    return _pool("max", "max_pool", inputs, pool_size, strides, padding, data_format)


def average_pool(inputs, pool_size, strides=None, padding="valid", data_format=None):
    """Average pooling, as ``keras.ops.average_pool``; "same" windows average real elements only.

    Arguments:
      inputs, pool_size, strides, padding, data_format: as for ``max_pool``.

    Returns:
      The pooled tensor in ``data_format``.
    """
    return _pool("avg", "average_pool", inputs, pool_size, strides, padding, data_format)
