"""Convolution and pooling ops (keras.ops names): conv, depthwise and transposed conv, max/average pool.

Ops registered here, one per spatial rank (1, 2, 3 unless noted):

  conv{n}d(x, kernel)            kernel (k..., in/groups, out)
  depthwise_conv{n}d(x, kernel)  kernel (k..., in, multiplier)      n = 1, 2
  conv{n}d_transpose(x, kernel)  kernel (k..., out, in)             Keras Conv*DTranspose
  max_pool{n}d(x), avg_pool{n}d(x)

Every op is layout "sensitive": it carries ``data_format`` ("channels_last",
``N, spatial..., C``, or "channels_first", ``N, C, spatial...``) and the
layout pass may flip it. Kernels keep Keras's layout whatever the data format,
so weights move between formats untouched. Padding is "valid" or "same" with
Keras's (TensorFlow's) conventions; average pooling with "same" divides by the
number of non-padded elements in each window, as Keras does.
"""
from __future__ import annotations

import math

import jax
import jax.numpy as jnp
import numpy as np

from ..config import standardize_data_format
from ..ir import Attr, TensorType, is_floating
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


# -- conv ------------------------------------------------------------------------
def _conv_infer(n: int):
    op = f"conv{n}d"

    def infer(types, attrs):
        x, k = types
        fmt = attrs["data_format"]
        _check_rank(op, "input", x, n + 2)
        _check_rank(op, "kernel", k, n + 2)
        _check_kernel_known(op, k)
        strides = _check_list(op, attrs, "strides", n)
        dilation = _check_list(op, attrs, "dilation_rate", n)
        groups = attrs["groups"]
        if groups < 1:
            raise ValueError(f"{op}: groups must be >= 1, got {groups}")
        batch, spatial, cin = _split(x, fmt)
        kin, kout = k.shape[-2], k.shape[-1]
        if cin is not None and cin != kin * groups:
            raise ValueError(f"{op}: the input has {cin} channels ({fmt}, shape {x.shape}) but the kernel "
                             f"{k.shape} expects {kin} per group x {groups} group(s) = {kin * groups}")
        if kout % groups:
            raise ValueError(f"{op}: the kernel's {kout} output channels are not divisible by "
                             f"groups={groups}")
        out = [window_output_length(op, s, w, st, d, attrs["padding"])
               for s, w, st, d in zip(spatial, k.shape[:n], strides, dilation)]
        return [TensorType(_join(batch, out, kout, fmt), promote(x.dtype, k.dtype))]
    return infer


def _conv_attrs(n: int) -> dict:
    return {"strides": Attr("ints", (1,) * n), "padding": Attr("str", "valid", _PADDINGS),
            "data_format": Attr("str", "channels_last", _FORMATS),
            "dilation_rate": Attr("ints", (1,) * n), "groups": Attr("int", 1)}


def _conv_lower(n: int):
    def lower(ctx, x, kernel, strides, padding, data_format, dilation_rate, groups):
        dtype = jnp.promote_types(x.dtype, kernel.dtype)
        return jax.lax.conv_general_dilated(
            x.astype(dtype), kernel.astype(dtype), tuple(strides), padding.upper(),
            rhs_dilation=tuple(dilation_rate), dimension_numbers=_dimension_numbers(n, data_format),
            feature_group_count=groups)
    return lower


for _n in (1, 2, 3):
    defop(f"conv{_n}d", infer=_conv_infer(_n), layout="sensitive", arity=2, attrs=_conv_attrs(_n),
          doc=f"{_n}-D convolution, kernel (k..., in/groups, out)")(_conv_lower(_n))


# -- depthwise conv ---------------------------------------------------------------------
def _depthwise_infer(n: int):
    op = f"depthwise_conv{n}d"

    def infer(types, attrs):
        x, k = types
        fmt = attrs["data_format"]
        _check_rank(op, "input", x, n + 2)
        _check_rank(op, "kernel", k, n + 2)
        _check_kernel_known(op, k)
        strides = _check_list(op, attrs, "strides", n)
        dilation = _check_list(op, attrs, "dilation_rate", n)
        batch, spatial, cin = _split(x, fmt)
        kin, mult = k.shape[-2], k.shape[-1]
        if cin is not None and cin != kin:
            raise ValueError(f"{op}: the input has {cin} channels ({fmt}, shape {x.shape}) but the "
                             f"depthwise kernel {k.shape} expects {kin}")
        out = [window_output_length(op, s, w, st, d, attrs["padding"])
               for s, w, st, d in zip(spatial, k.shape[:n], strides, dilation)]
        return [TensorType(_join(batch, out, kin * mult, fmt), promote(x.dtype, k.dtype))]
    return infer


def _depthwise_lower(n: int):
    def lower(ctx, x, kernel, strides, padding, data_format, dilation_rate):
        dtype = jnp.promote_types(x.dtype, kernel.dtype)
        cin, mult = kernel.shape[-2], kernel.shape[-1]
        kernel = jnp.reshape(kernel, kernel.shape[:-2] + (1, cin * mult))
        return jax.lax.conv_general_dilated(
            x.astype(dtype), kernel.astype(dtype), tuple(strides), padding.upper(),
            rhs_dilation=tuple(dilation_rate), dimension_numbers=_dimension_numbers(n, data_format),
            feature_group_count=cin)
    return lower


for _n in (1, 2):
    _attrs = _conv_attrs(_n)
    del _attrs["groups"]
    defop(f"depthwise_conv{_n}d", infer=_depthwise_infer(_n), layout="sensitive", arity=2, attrs=_attrs,
          doc=f"{_n}-D depthwise convolution, kernel (k..., in, multiplier)")(_depthwise_lower(_n))


# -- transposed conv ----------------------------------------------------------------------
def _transpose_infer(n: int):
    op = f"conv{n}d_transpose"

    def infer(types, attrs):
        x, k = types
        fmt = attrs["data_format"]
        _check_rank(op, "input", x, n + 2)
        _check_rank(op, "kernel", k, n + 2)
        _check_kernel_known(op, k)
        strides = _check_list(op, attrs, "strides", n)
        dilation = _check_list(op, attrs, "dilation_rate", n)
        out_pad = attrs["output_padding"]
        if out_pad is not None and (len(out_pad) != n or
                                    any(not isinstance(p, int) or p < 0 for p in out_pad)):
            raise ValueError(f"{op}: output_padding must be None or {n} integer(s) >= 0, got {out_pad}")
        batch, spatial, cin = _split(x, fmt)
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
        return [TensorType(_join(batch, out, kout, fmt), promote(x.dtype, k.dtype))]
    return infer


def _transpose_lower(n: int):
    def lower(ctx, x, kernel, strides, padding, output_padding, data_format, dilation_rate):
        dtype = jnp.promote_types(x.dtype, kernel.dtype)
        pads = [transpose_padding(kernel.shape[i], strides[i], dilation_rate[i], padding,
                                  None if output_padding is None else output_padding[i])
                for i in range(n)]
        return jax.lax.conv_transpose(
            x.astype(dtype), kernel.astype(dtype), tuple(strides), pads,
            rhs_dilation=tuple(dilation_rate), dimension_numbers=_dimension_numbers(n, data_format),
            transpose_kernel=True)
    return lower


for _n in (1, 2, 3):
    _attrs = _conv_attrs(_n)
    del _attrs["groups"]
    _attrs = {"strides": _attrs["strides"], "padding": _attrs["padding"],
              "output_padding": Attr("optional_ints", None), "data_format": _attrs["data_format"],
              "dilation_rate": _attrs["dilation_rate"]}
    defop(f"conv{_n}d_transpose", infer=_transpose_infer(_n), layout="sensitive", arity=2, attrs=_attrs,
          doc=f"{_n}-D transposed convolution (Keras Conv{_n}DTranspose), kernel (k..., out, in)")(
        _transpose_lower(_n))


# -- pooling ----------------------------------------------------------------------------------
def _pool_infer(n: int, kind: str):
    op = f"{kind}_pool{n}d"

    def infer(types, attrs):
        x = types[0]
        fmt = attrs["data_format"]
        _check_rank(op, "input", x, n + 2)
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


def _pool_attrs(n: int) -> dict:
    return {"pool_size": Attr("ints"), "strides": Attr("ints"), "padding": Attr("str", "valid", _PADDINGS),
            "data_format": Attr("str", "channels_last", _FORMATS)}


for _n in (1, 2, 3):
    defop(f"max_pool{_n}d", infer=_pool_infer(_n, "max"), layout="sensitive", attrs=_pool_attrs(_n),
          doc=f"{_n}-D max pooling")(_max_pool_lower)
    defop(f"avg_pool{_n}d", infer=_pool_infer(_n, "avg"), layout="sensitive", attrs=_pool_attrs(_n),
          doc=f"{_n}-D average pooling (\"same\" divides by the non-padded count)")(_avg_pool_lower)


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
    return apply(f"conv{n}d", inputs, kernel, strides=_int_tuple("conv", "strides", strides, n),
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
    return apply(f"depthwise_conv{n}d", inputs, kernel,
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
    return apply(f"conv{n}d_transpose", inputs, kernel,
                 strides=_int_tuple("conv_transpose", "strides", strides, n),
                 padding=_padding("conv_transpose", padding), output_padding=output_padding,
                 data_format=fmt,
                 dilation_rate=_int_tuple("conv_transpose", "dilation_rate", dilation_rate, n))


def _pool(kind: str, fn: str, inputs, pool_size, strides, padding, data_format):
    fmt = standardize_data_format(data_format)
    n = _spatial_rank(fn, _shape_of(inputs))
    pool_size = _int_tuple(fn, "pool_size", pool_size, n)
    strides = pool_size if strides is None else _int_tuple(fn, "strides", strides, n)
    return apply(f"{kind}_pool{n}d", inputs, pool_size=pool_size, strides=strides,
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
