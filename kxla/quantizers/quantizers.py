"""Keras 3's quantizer functions: abs-max (int8 / int4), grouped zero-point, float8 scaling, int4 packing.

Each function takes arrays (or kxla symbolic tensors, where Keras's does) and
computes what ``keras.quantizers.<name>`` computes on the JAX backend, through
``kxla.ops``. ``fake_quant_with_min_max_vars`` is an op of its own
(``kxla/ops/quantized.py``), with Keras's straight-through gradients.
"""
from __future__ import annotations

import math

import ml_dtypes
import numpy as np

from .. import ops
from ..ops import KerasTensor

EPSILON = 1e-7      # keras.backend.epsilon()

__all__ = ["Quantizer", "AbsMaxQuantizer", "abs_max_quantize", "abs_max_quantize_grouped_with_zero_point",
           "compute_float8_scale", "compute_float8_amax_history", "quantize_and_dequantize",
           "fake_quant_with_min_max_vars"]


def _dtype_name(x) -> str:
    return str(np.dtype(x.dtype)) if not isinstance(x.dtype, str) else x.dtype


class Quantizer:
    """Base class of quantizers (``keras.Quantizer``): ``__call__(x)`` returns the quantized form."""

    def __init__(self, output_dtype="int8"):
        self.output_dtype = output_dtype

    def __call__(self, x):
        return x

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def get_config(self):
        raise NotImplementedError(f"{self} does not implement get_config()")


def abs_max_quantize(inputs, axis, value_range=(-127, 127), dtype="int8", epsilon=EPSILON, to_numpy=False):
    """Symmetric abs-max quantization along ``axis``.

    Returns:
      ``(quantized, scale)``: ``round(inputs * scale)`` clipped to ``value_range`` as ``dtype``, and
      ``scale = value_range[1] / (max(|inputs|, axis, keepdims) + epsilon)`` in the input's dtype.
    """
    if to_numpy:
        original = _dtype_name(inputs)
        x = np.asarray(inputs)
        axis = tuple(axis) if isinstance(axis, (list, tuple)) else axis
        scale = np.divide(value_range[1], np.add(np.max(np.abs(x), axis=axis, keepdims=True), epsilon))
        out = np.clip(np.round(np.multiply(x, scale)), value_range[0], value_range[1]).astype(dtype)
        return ops.convert_to_tensor(out), ops.convert_to_tensor(scale, dtype=original)
    if not isinstance(inputs, KerasTensor):
        inputs = ops.convert_to_tensor(inputs)
    axis = tuple(axis) if isinstance(axis, list) else axis
    scale = ops.divide(value_range[1], ops.add(ops.max(ops.abs(inputs), axis=axis, keepdims=True), epsilon))
    scale = ops.cast(scale, _dtype_name(inputs))
    outputs = ops.clip(ops.round(ops.multiply(inputs, scale)), value_range[0], value_range[1])
    return ops.cast(outputs, dtype), scale


def abs_max_quantize_grouped_with_zero_point(inputs, block_size, value_range=(-8, 7), dtype="int8",
                                             epsilon=EPSILON, to_numpy=False):
    """Asymmetric quantization of a 2-D ``(input_dim, output_dim)`` tensor in groups of ``block_size`` rows.

    Returns:
      ``(quantized, scale, zero_point)``; scale and zero point have shape ``(n_groups, output_dim)``
      with ``n_groups = ceil(input_dim / block_size)``; the zero point is int8.
    """
    original = _dtype_name(inputs)
    x = np.asarray(inputs)
    if x.ndim != 2:
        raise ValueError(f"abs_max_quantize_grouped_with_zero_point expects a 2-D tensor, got shape {x.shape}")
    input_dim, output_dim = x.shape
    n_groups = math.ceil(input_dim / block_size)
    qmin, qmax = value_range
    padded = np.concatenate([x, np.zeros((n_groups * block_size - input_dim, output_dim), x.dtype)], axis=0)
    grouped = padded.reshape(n_groups, block_size, output_dim)
    lo, hi = grouped.min(axis=1, keepdims=True), grouped.max(axis=1, keepdims=True)
    if not to_numpy:
        if n_groups == 1:           # Keras's tensor path takes one group's statistics without the padding
            lo, hi = x.min(axis=0, keepdims=True)[None], x.max(axis=0, keepdims=True)[None]
        return _grouped_on_device(grouped, lo, hi, input_dim, value_range, dtype, epsilon, original)
    scale = np.divide(np.subtract(hi, lo) + epsilon, qmax - qmin)
    zero = np.clip(np.round(np.divide(-lo, scale)) + qmin, qmin, qmax)
    q = np.clip(np.round(np.divide(grouped, scale)) + zero, qmin, qmax).astype(dtype)
    q = q.reshape(n_groups * block_size, output_dim)[:input_dim]
    return (ops.convert_to_tensor(q), ops.convert_to_tensor(np.squeeze(scale, 1).astype(original)),
            ops.convert_to_tensor(np.squeeze(zero, 1).astype("int8")))


def _grouped_on_device(grouped, lo, hi, input_dim, value_range, dtype, epsilon, original):
    """Keras's tensor path (``compute_quantization_parameters``), op by op in XLA as Keras runs it:
    a group whose min equals its max is widened by 1 on each side."""
    import jax.numpy as jnp
    qmin, qmax = value_range
    grouped, lo, hi = jnp.asarray(grouped), jnp.asarray(lo), jnp.asarray(hi)
    same = jnp.equal(lo, hi)
    lo, hi = jnp.where(same, lo - 1, lo), jnp.where(same, hi + 1, hi)
    span = jnp.subtract(hi, lo)
    if epsilon > 0:
        span = jnp.add(span, epsilon)
    scale = jnp.divide(span, jnp.asarray(qmax - qmin, original))
    scale = jnp.where(jnp.less_equal(scale, 0), jnp.asarray(1e-8, scale.dtype), scale)
    zero = jnp.clip(jnp.add(jnp.round(jnp.divide(-lo, scale)), qmin), qmin, qmax)
    q = jnp.clip(jnp.add(jnp.round(jnp.divide(grouped, scale)), zero), qmin, qmax).astype(dtype)
    q = q.reshape(-1, grouped.shape[-1])[:input_dim]
    return q, jnp.squeeze(scale, 1).astype(original), jnp.squeeze(zero, 1).astype("int8")


class AbsMaxQuantizer(Quantizer):
    """``keras.quantizers.AbsMaxQuantizer``: ``abs_max_quantize`` with fixed range, epsilon and dtype."""

    def __init__(self, axis=None, value_range=(-127, 127), epsilon=EPSILON, output_dtype="int8"):
        Quantizer.__init__(self, output_dtype=output_dtype)
        if axis is not None:
            self.axis = (axis,) if isinstance(axis, int) else tuple(axis)
        else:
            self.axis = None
        self.value_range = value_range
        self.epsilon = epsilon
        if output_dtype == "int8" and (value_range[0] < -128 or value_range[1] > 127):
            raise ValueError("Quantizer with output_dtype='int8' requires value_range to be within the interval "
                             f"[-128, 127]. Received: value_range={value_range}")

    def __call__(self, x, axis=None, to_numpy=False):
        axis = self.axis if axis is None else axis
        axis = -1 if axis is None else axis
        return abs_max_quantize(x, axis, self.value_range, self.output_dtype, self.epsilon, to_numpy)

    def get_config(self):
        config = {"value_range": self.value_range, "epsilon": self.epsilon, "output_dtype": self.output_dtype}
        if self.axis is not None:
            config["axis"] = self.axis
        return config


def fake_quant_with_min_max_vars(inputs, min_vals, max_vals, num_bits=8, narrow_range=False, axis=None):
    """Per-tensor (``axis=None``) or per-channel fake quantization into ``[min_vals, max_vals]``.

    Values are quantized to ``[0, 2^num_bits - 1]`` (``[1, ...]`` with ``narrow_range``) and
    dequantized; gradients pass straight through inside the range and flow to ``min_vals`` /
    ``max_vals`` outside it, as Keras defines them.
    """
    def tensor(v):
        return v if isinstance(v, KerasTensor) else ops.convert_to_tensor(v)
    inputs, min_vals, max_vals = tensor(inputs), tensor(min_vals), tensor(max_vals)
    if axis is not None:
        rank = len(inputs.shape)
        if not -rank <= axis < rank:
            raise ValueError(f"axis {axis} is out of bounds for a tensor of rank {rank}")
        axis = axis % rank
    return ops.apply("fake_quant_with_min_max_vars", inputs, min_vals, max_vals, num_bits=int(num_bits),
                     narrow_range=bool(narrow_range), axis=axis)


# -- float8 ------------------------------------------------------------------------------------
def compute_float8_scale(amax, scale, dtype_max, margin=0):
    """The next float8 scale from the history maximum ``amax`` (Transformer Engine's rule)."""
    scale = ops.reciprocal(scale)
    sf = ops.divide(ops.divide(dtype_max, amax), 2 ** margin)
    sf = ops.where(ops.greater(amax, 0.0), sf, scale)
    sf = ops.where(ops.isfinite(amax), sf, scale)
    return ops.reciprocal(sf)


def compute_float8_amax_history(x, amax_history):
    """``amax_history`` rolled by one with ``max(|x|)`` written at position 0."""
    amax_update = ops.cast(ops.max(ops.abs(x)), _dtype_name(amax_history))
    return ops.scatter_update(ops.roll(amax_history, shift=-1), [[0]], ops.reshape(amax_update, [1]))


def quantize_and_dequantize(inputs, scale, quantized_dtype, compute_dtype):
    """``inputs / scale`` clipped to ``quantized_dtype``'s range, cast to it, and scaled back.

    Arrays only: kxla's IR has no float8 dtype, so symbolic inputs raise ``NotImplementedError``.
    """
    import jax.numpy as jnp
    if any(isinstance(v, KerasTensor) for v in (inputs, scale)):
        raise NotImplementedError("quantize_and_dequantize: kxla's IR has no float8 dtype; call it on arrays")
    qmax = jnp.asarray(float(ml_dtypes.finfo(quantized_dtype).max), compute_dtype)
    scale = jnp.asarray(scale).astype(compute_dtype)
    x = jnp.divide(jnp.asarray(inputs), scale)
    x = jnp.clip(x, -qmax, qmax).astype(quantized_dtype)
    return jnp.multiply(x.astype(compute_dtype), scale)
