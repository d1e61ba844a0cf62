"""Float8 training ops: the quantize-dequantize steps of Keras's float8 ``Dense`` / ``EinsumDense``.

  float8_qdq(x, scale, amax_history) {dtype}
      Forward: ``x / scale`` clipped to ``dtype``'s finite range, cast to the
      float8 ``dtype`` (``float8_e4m3fn``) and back, times ``scale`` (Keras's
      ``quantize_and_dequantize``). Gradient: straight through for ``x``; for
      ``scale`` and ``amax_history`` the *next* values (delayed scaling, Keras's
      ``quantized_dequantize_inputs``): the scale from the history's maximum
      (``compute_float8_scale``) and the history rolled by one with
      ``max(|x|)`` in front (``compute_float8_amax_history``).

  float8_grad_qdq(y, scale, amax_history) {dtype}
      Forward: ``y`` unchanged. Gradient: the incoming gradient
      quantize-dequantized in ``dtype`` (``float8_e5m2``) with ``scale``; for
      ``scale`` and ``amax_history`` their next values from that gradient
      (Keras's ``quantized_dequantize_outputs``).

The "gradients" of ``scale`` and ``amax_history`` are their new values: the
layer marks those state variables ``update="gradient"`` and the train step
writes each one's gradient into it (Keras's ``overwrite_with_gradient``).
"""
from __future__ import annotations

import ml_dtypes

from .lazy_jax import jax
from .lazy_jax import jnp

from ..ir import Attr, TensorType
from .core import defop

__all__ = []

FLOAT8_DTYPES = ("float8_e4m3fn", "float8_e5m2")


def _infer(types, attrs):
    x, scale, history = types
    if not (x.dtype.startswith("float") or x.dtype == "bfloat16"):
        raise ValueError(f"float8 quantize-dequantize needs a float tensor, got {x.dtype}")
    if scale.shape != () or len(history.shape) != 1:
        raise ValueError(f"float8 quantize-dequantize takes a scalar scale and a 1-D amax history, got "
                         f"{scale.shape} and {history.shape}")
    return [TensorType(x.shape, x.dtype)]


def _cost(types, out_types, attrs):
    n = 1
    for d in types[0].shape:
        n *= d or 1
    return {"flops": 4 * n, "bytes": 8 * n}


def _dtype_max(dtype, like):
    return jnp.asarray(float(ml_dtypes.finfo(dtype).max), like)


def qdq(x, scale, dtype):
    """Keras's ``quantize_and_dequantize(x, scale, dtype, x.dtype)``."""
    qmax = _dtype_max(dtype, x.dtype)
    scale = scale.astype(x.dtype)
    q = jnp.clip(jnp.divide(x, scale), -qmax, qmax).astype(getattr(jnp, dtype))
    return jnp.multiply(q.astype(x.dtype), scale)


def next_scale(history, scale, dtype):
    """Keras's ``compute_float8_scale(max(history), scale, finfo(dtype).max)`` (margin 0)."""
    amax = jnp.max(history, axis=0)
    old = jnp.reciprocal(scale)
    sf = jnp.divide(_dtype_max(dtype, "float32"), amax)
    sf = jnp.where(amax > 0.0, sf, old)
    sf = jnp.where(jnp.isfinite(amax), sf, old)
    return jnp.reciprocal(sf)


def next_history(x, history):
    """Keras's ``compute_float8_amax_history``: rolled by one, ``max(|x|)`` written at position 0."""
    amax = jnp.max(jnp.abs(x)).astype(history.dtype)
    return jnp.roll(history, -1).at[0].set(amax)


_ATTRS = {"dtype": Attr("str", "float8_e4m3fn", FLOAT8_DTYPES)}


@defop("float8_qdq", infer=_infer, layout="agnostic", arity=3, attrs=_ATTRS, cost=_cost,
       doc="float8 quantize-dequantize of a layer input or kernel (gradient: next scale and amax history)")
def _float8_qdq(ctx, x, scale, history, *, dtype):
    @jax.custom_vjp
    def f(x, scale, history):
        return qdq(x, scale, dtype)

    def fwd(x, scale, history):
        return f(x, scale, history), (x, scale, history)

    def bwd(res, g):
        x, scale, history = res
        return g, next_scale(history, scale, dtype), next_history(x, history)

    f.defvjp(fwd, bwd)
    return f(x, scale, history)


@defop("float8_grad_qdq", infer=_infer, layout="agnostic", arity=3,
       attrs={"dtype": Attr("str", "float8_e5m2", FLOAT8_DTYPES)}, cost=_cost,
       doc="identity forward; the gradient float8 quantize-dequantized (next scale and amax history)")
def _float8_grad_qdq(ctx, y, scale, history, *, dtype):
    @jax.custom_vjp
    def f(y, scale, history):
        return y

    def fwd(y, scale, history):
        return y, (scale, history)

    def bwd(res, g):
        scale, history = res
        return qdq(g, scale, dtype), next_scale(history, scale, dtype), next_history(g, history)

    f.defvjp(fwd, bwd)
    return f(y, scale, history)
