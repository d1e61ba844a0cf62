"""Quantized ops: the forward of Keras's quantized layers and ``fake_quant_with_min_max_vars``.

  quantized_dot(x, kernel, kernel_scale[, kernel_zero, g_idx])
      {mode, equation, input_range, input_epsilon, unpacked_size, block_size}
      The forward of an int8 / int4 ``Dense`` (``equation`` None: matmul) or
      ``EinsumDense`` (an explicit einsum equation). ``kernel`` is int8 (int4:
      two nibbles per byte along its last axis, ``unpacked_size`` long once
      unpacked). Per channel, ``kernel_scale`` broadcasts against the output:
      with ``input_range`` the inputs are abs-max quantized to int8 over their
      contracted axes and the integer product (int32) is divided by
      ``inputs_scale * kernel_scale``; without it (weight-only) the float
      inputs meet the integer kernel and the product is divided by
      ``kernel_scale``. With ``block_size`` (int4 sub-channel) the kernel is
      dequantized as ``(q - zero[g_idx]) * scale[g_idx]`` before a float matmul.
      With ``kernel_shape`` (int4 EinsumDense) the kernel is stored flattened to
      (contracted, other) and dequantized (``q / scale`` per channel) and reshaped
      to ``kernel_shape`` before a float einsum, as Keras does.
      ``input_gradient="autodiff"`` differentiates that forward as written (the
      gradient reaches ``x`` only through the input scale), as Keras's
      ReversibleEmbedding does; the default is Keras's Dense / EinsumDense rule:
      the gradient of ``x`` is Keras's straight-through one (the dequantized
      kernel's); the integer kernel and the scales get none.

  fake_quant_with_min_max_vars(x, min, max) {num_bits, narrow_range, axis}
      Keras's nudged fake quantization with its custom gradients for x, min and max.
"""
from __future__ import annotations

from .lazy_jax import jax
from .lazy_jax import jnp

from ..ir import Attr, TensorType
from .core import defop

__all__ = []


# -- quantized_dot -------------------------------------------------------------------------------
def _specs(equation):
    ins, out = equation.split("->")
    x_spec, w_spec = ins.split(",")
    return x_spec, w_spec, out


def _unpacked_kernel_shape(k, attrs):
    if attrs["kernel_shape"] is not None:
        return list(attrs["kernel_shape"])
    shape = list(k.shape)
    if attrs["mode"] == "int4":
        shape[-1] = attrs["unpacked_size"]
    return shape


def _quantized_dot_infer(types, attrs):
    x, k = types[0], types[1]
    if attrs["mode"] not in ("int8", "int4"):
        raise ValueError(f"quantized_dot: mode must be 'int8' or 'int4', got {attrs['mode']!r}")
    if k.dtype != "int8":
        raise ValueError(f"quantized_dot: the kernel must be int8, got {k.dtype}")
    if attrs["mode"] == "int4" and attrs["unpacked_size"] is None:
        raise ValueError("quantized_dot: mode 'int4' needs unpacked_size")
    if len(types) != (5 if attrs["block_size"] else 3):
        raise ValueError("quantized_dot takes (x, kernel, kernel_scale) or, with block_size, "
                         f"(x, kernel, kernel_scale, kernel_zero, g_idx); got {len(types)} inputs")
    kshape = _unpacked_kernel_shape(k, attrs)
    if attrs["equation"] is None:
        if len(kshape) != 2 or x.shape[-1] not in (None, kshape[0]):
            raise ValueError(f"quantized_dot: cannot multiply {x.shape} by a kernel of shape {tuple(kshape)}")
        return [TensorType(tuple(x.shape[:-1]) + (kshape[1],), x.dtype)]
    x_spec, w_spec, out = _specs(attrs["equation"])
    if len(x_spec) != x.rank or len(w_spec) != len(kshape):
        raise ValueError(f"quantized_dot: equation {attrs['equation']!r} does not fit {x.shape} and {kshape}")
    sizes = {**dict(zip(w_spec, kshape)), **{l: d for l, d in zip(x_spec, x.shape) if l not in w_spec or d}}
    return [TensorType(tuple(sizes[l] for l in out), x.dtype)]


def _dot(equation, a, b, int_accumulate=False):
    pref = jnp.int32 if int_accumulate else None
    if equation is None:
        return jnp.matmul(a, b, preferred_element_type=pref)
    return jnp.einsum(equation, a, b, preferred_element_type=pref)


def unpack_int4_last(packed, size):
    """Signed int4 values from bytes packed along the last axis (``keras.quantizers.unpack_int4``)."""
    low = jnp.bitwise_and(packed, jnp.int8(0x0F))
    high = jnp.bitwise_and(jnp.right_shift(packed, jnp.int8(4)), jnp.int8(0x0F))
    low = jnp.bitwise_xor(low, jnp.int8(8)) - jnp.int8(8)
    high = jnp.bitwise_xor(high, jnp.int8(8)) - jnp.int8(8)
    both = jnp.stack([low, high], axis=-1).reshape(packed.shape[:-1] + (2 * packed.shape[-1],))
    return both[..., :size]


def _input_scale_to_output(scale, equation, out_rank):
    """The input's keepdims scale (1 on contracted axes) laid out to broadcast against the output."""
    if equation is None:
        return scale                           # (..., 1) against (..., units)
    x_spec, _, out = _specs(equation)
    kept = "".join(l for l in x_spec if l in out)
    squeezed = jnp.squeeze(scale, axis=tuple(i for i, l in enumerate(x_spec) if l not in out))
    ordered = "".join(l for l in out if l in kept)
    aligned = jnp.einsum(f"{kept}->{ordered}", squeezed) if kept != ordered else squeezed
    return aligned.reshape(tuple(aligned.shape[ordered.index(l)] if l in kept else 1 for l in out))


def _quantize_inputs(x, equation, value_range, epsilon):
    if equation is None:
        axes = (x.ndim - 1,)
    else:
        x_spec, _, out = _specs(equation)
        axes = tuple(i for i, l in enumerate(x_spec) if l not in out)
    scale = jnp.divide(value_range[1], jnp.max(jnp.abs(x), axis=axes, keepdims=True) + epsilon).astype(x.dtype)
    q = jnp.clip(jnp.round(x * scale), value_range[0], value_range[1]).astype(jnp.int8)
    return q, scale


def _float_kernel(kernel, scale, zero, g_idx, x_dtype):
    """The sub-channel int4 kernel dequantized along its first (input) axis."""
    groups = g_idx.astype(jnp.int32)
    return ((kernel - jnp.take(zero, groups, axis=0).astype(scale.dtype)) *
            jnp.take(scale, groups, axis=0)).astype(x_dtype)


def _dequantized_first(kernel, scale, extra, a, dtype):
    """The int4 EinsumDense kernel: dequantized in its flat layout, then given its einsum shape."""
    if a["block_size"]:
        flat = _float_kernel(kernel, scale, *extra, dtype)
    else:
        flat = jnp.divide(kernel.astype(dtype), scale)
    return flat.reshape(tuple(a["kernel_shape"]))


def _forward(x, kernel, scale, extra, a):
    eq = a["equation"]
    if a["kernel_shape"] is not None:
        w = _dequantized_first(kernel, scale, extra, a, x.dtype)
        if a["input_range"] is None:
            return _dot(eq, x, w)
        xq, iscale = _quantize_inputs(x, eq, a["input_range"], a["input_epsilon"])
        y = _dot(eq, xq, w).astype(x.dtype)
        return jnp.divide(y, _input_scale_to_output(iscale, eq, y.ndim))
    if a["block_size"]:
        return _dot(eq, x, _float_kernel(kernel, scale, *extra, x.dtype))
    if a["input_range"] is not None:
        xq, iscale = _quantize_inputs(x, eq, a["input_range"], a["input_epsilon"])
        y = _dot(eq, xq, kernel, int_accumulate=True).astype(x.dtype)
        return jnp.divide(y, jnp.multiply(scale, _input_scale_to_output(iscale, eq, y.ndim)))
    return jnp.divide(_dot(eq, x, kernel).astype(x.dtype), scale)


def _weight_only(x, kernel, scale, extra, a):
    if a["kernel_shape"] is not None:
        return _dot(a["equation"], x, _dequantized_first(kernel, scale, extra, a, x.dtype))
    if a["block_size"]:
        return _dot(a["equation"], x, _float_kernel(kernel, scale, *extra, x.dtype))
    return jnp.divide(_dot(a["equation"], x, kernel.astype(x.dtype)), scale)


@defop("quantized_dot", infer=_quantized_dot_infer, layout="opaque", arity=None,
       attrs={"mode": Attr("str", "int8", ("int8", "int4")), "equation": Attr("optional_str", None),
              "input_range": Attr("optional_ints", None), "input_epsilon": Attr("float", 1e-7),
              "unpacked_size": Attr("optional_int", None), "block_size": Attr("optional_int", None),
              "kernel_shape": Attr("optional_ints", None),
              "input_gradient": Attr("str", "straight_through", ("straight_through", "autodiff"))},
       doc="int8 / int4 quantized Dense or EinsumDense product (Keras's quantized forward)",
       traits={"compute_heavy"})
def _quantized_dot(ctx, x, kernel, kernel_scale, *extra, **attrs):
    if attrs["mode"] == "int4":
        kernel = unpack_int4_last(kernel, attrs["unpacked_size"])
    if attrs["input_gradient"] == "autodiff":
        return _forward(x, kernel, kernel_scale, extra, attrs)

    @jax.custom_vjp
    def f(x):
        return _forward(x, kernel, kernel_scale, extra, attrs)

    def fwd(x):
        return f(x), x

    def bwd(x, g):
        _, vjp = jax.vjp(lambda v: _weight_only(v, kernel, kernel_scale, extra, attrs), x)
        return vjp(g)

    f.defvjp(fwd, bwd)
    return f(x)


# -- fake_quant_with_min_max_vars ------------------------------------------------------------------
def _fake_quant_infer(types, attrs):
    if not types[0].dtype.startswith("float") and types[0].dtype != "bfloat16":
        raise ValueError(f"fake_quant_with_min_max_vars needs float inputs, got {types[0].dtype}")
    return [TensorType(types[0].shape, types[0].dtype)]


def _nudge(min_range, max_range, num_bits, narrow_range):
    dtype = jnp.result_type(min_range.dtype, jnp.float32)
    lo, hi = min_range.astype(dtype), max_range.astype(dtype)
    qmax, qmin = (1 << num_bits) - 1, (1 if narrow_range else 0)
    scale = (hi - lo) / (qmax - qmin)
    inv_scale = (qmax - qmin) / (hi - lo)
    zero = jnp.round(jnp.clip(qmin - lo / scale, qmin, qmax))
    return (qmin - zero) * scale, (qmax - zero) * scale, scale, inv_scale


@defop("fake_quant_with_min_max_vars", infer=_fake_quant_infer, layout="opaque", arity=3,
       attrs={"num_bits": Attr("int", 8), "narrow_range": Attr("bool", False), "axis": Attr("optional_int", None)},
       doc="fake quantization into [min, max] with Keras's straight-through gradients",
       public="kxla.quantizers.fake_quant_with_min_max_vars")
def _fake_quant(ctx, x, min_vals, max_vals, *, num_bits, narrow_range, axis):
    @jax.custom_vjp
    def f(x, lo, hi):
        nmin, nmax, scale, inv_scale = _nudge(lo, hi, num_bits, narrow_range)
        quant_zero = jnp.floor(-nmin * inv_scale + 0.5)
        shifted = jnp.clip(x.astype(nmin.dtype), nmin, nmax) - nmin
        return (jnp.floor(shifted * inv_scale - quant_zero + 0.5) * scale).astype(x.dtype)

    def fwd(x, lo, hi):
        return f(x, lo, hi), (x, lo, hi)

    def bwd(res, g):
        x, lo, hi = res
        nmin, nmax, _, _ = _nudge(lo, hi, num_bits, narrow_range)
        zero = jnp.zeros((), g.dtype)
        dx = jnp.where((x >= nmin) & (x <= nmax), g, zero)
        axes = None if axis is None else tuple(i for i in range(dx.ndim) if i != axis)
        dlo = jnp.sum(jnp.where(x <= nmin, g, zero), axis=axes).reshape(lo.shape).astype(lo.dtype)
        dhi = jnp.sum(jnp.where(x >= nmax, g, zero), axis=axes).reshape(hi.shape).astype(hi.dtype)
        return dx, dlo, dhi

    f.defvjp(fwd, bwd)
    return f(x, min_vals, max_vals)
