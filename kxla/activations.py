"""Activation functions by Keras 3 name, written with kxla.ops (so they become IR nodes).

Each function follows the formula of Keras 3's JAX backend (``jax.nn``) and is
composed from elementwise ops, so passes see through it; ``sparsemax`` (which
sorts) is one ``jax_call`` node. ``get`` / ``serialize`` / ``deserialize``
resolve Keras's names and aliases (``swish`` = ``silu``, ``hard_swish`` =
``hard_silu``).
"""
from __future__ import annotations

import functools

import jax.numpy as jnp

from . import ops
from .naming import resolve


def linear(x):
    """Identity."""
    return x


def relu(x, negative_slope=0.0, max_value=None, threshold=0.0):
    """``max(x, 0)``, with Keras's ``negative_slope``, ``max_value`` and ``threshold`` options."""
    if negative_slope == 0.0 and max_value is None and threshold == 0.0:
        return ops.relu(x)
    if negative_slope != 0.0 and max_value is None and threshold == 0:
        return leaky_relu(x, negative_slope=negative_slope)
    negative_part = ops.relu(ops.add(ops.negative(x), threshold) if threshold != 0 else ops.negative(x)) \
        if negative_slope != 0.0 else None
    y = ops.where(ops.greater(x, threshold), x, 0.0) if threshold != 0 else ops.relu(x)
    if max_value is not None:
        y = ops.clip(y, 0.0, max_value)
    if negative_part is not None:
        y = ops.subtract(y, ops.multiply(negative_part, negative_slope))
    return y


def leaky_relu(x, negative_slope=0.2):
    """``x`` for ``x >= 0``, ``negative_slope * x`` otherwise."""
    return ops.where(ops.greater_equal(x, 0.0), x, ops.multiply(x, negative_slope))


def relu6(x):
    """``min(max(x, 0), 6)``."""
    return ops.minimum(ops.maximum(x, 0.0), 6.0)


def sigmoid(x):
    return ops.sigmoid(x)


def tanh(x):
    return ops.tanh(x)


def softmax(x, axis=-1):
    return ops.softmax(x, axis=axis)


def log_softmax(x, axis=-1):
    return ops.log_softmax(x, axis=axis)


def gelu(x, approximate=False):
    """Keras 3's ``keras.activations.gelu`` defaults to the exact (erf) form."""
    return ops.gelu(x, approximate=approximate)


def elu(x, alpha=1.0):
    return ops.elu(x, alpha=alpha)


def celu(x, alpha=1.0):
    """``max(x, 0) + alpha * (exp(min(x, 0) / alpha) - 1)``."""
    neg = ops.subtract(ops.exp(ops.divide(ops.minimum(x, 0.0), alpha)), 1.0)
    return ops.add(ops.maximum(x, 0.0), ops.multiply(neg, alpha))


def selu(x):
    return ops.selu(x)


def softplus(x):
    return ops.softplus(x)


def softsign(x):
    """``x / (|x| + 1)``."""
    return ops.divide(x, ops.add(ops.abs(x), 1.0))


def squareplus(x, b=4):
    """``(x + sqrt(x**2 + b)) / 2``."""
    return ops.divide(ops.add(x, ops.sqrt(ops.add(ops.square(x), float(b)))), 2.0)


def soft_shrink(x, threshold=0.5):
    """``x - threshold`` above ``threshold``, ``x + threshold`` below ``-threshold``, else 0."""
    inner = ops.where(ops.less(x, -threshold), ops.add(x, threshold), 0.0)
    return ops.where(ops.greater(x, threshold), ops.subtract(x, threshold), inner)


def hard_shrink(x, threshold=0.5):
    """``x`` where ``|x| > threshold``, else 0."""
    return ops.where(ops.greater(ops.abs(x), threshold), x, 0.0)


def threshold(x, threshold, default_value):
    """``x`` where ``x > threshold``, else ``default_value``."""
    return ops.where(ops.greater(x, threshold), x, float(default_value))


def sparse_plus(x):
    """0 for ``x <= -1``, ``x`` for ``x >= 1``, ``(x + 1)**2 / 4`` between."""
    mid = ops.divide(ops.square(ops.add(x, 1.0)), 4.0)
    return ops.where(ops.less_equal(x, -1.0), 0.0, ops.where(ops.greater_equal(x, 1.0), x, mid))


def sparse_sigmoid(x):
    """0 for ``x <= -1``, 1 for ``x >= 1``, ``(x + 1) / 2`` between."""
    mid = ops.divide(ops.add(x, 1.0), 2.0)
    return ops.where(ops.less_equal(x, -1.0), 0.0, ops.where(ops.greater_equal(x, 1.0), 1.0, mid))


def silu(x):
    """``x * sigmoid(x)``."""
    return ops.multiply(x, ops.sigmoid(x))


swish = silu


def hard_sigmoid(x):
    """``relu6(x + 3) / 6``."""
    return ops.divide(relu6(ops.add(x, 3.0)), 6.0)


def hard_silu(x):
    """``x * hard_sigmoid(x)``."""
    return ops.multiply(x, hard_sigmoid(x))


hard_swish = hard_silu


def hard_tanh(x):
    """``x`` clipped to ``[-1, 1]``."""
    return ops.where(ops.greater(x, 1.0), 1.0, ops.where(ops.less(x, -1.0), -1.0, x))


def tanh_shrink(x):
    """``x - tanh(x)``."""
    return ops.subtract(x, ops.tanh(x))


def log_sigmoid(x):
    """``-softplus(-x)``."""
    return ops.negative(ops.softplus(ops.negative(x)))


def mish(x):
    """``x * tanh(softplus(x))``."""
    return ops.multiply(x, ops.tanh(ops.softplus(x)))


def glu(x, axis=-1):
    """Split ``x`` in two halves ``a, b`` along ``axis``; ``a * sigmoid(b)``."""
    a, b = ops.split(x, 2, axis=axis)
    return ops.multiply(a, ops.sigmoid(b))


def exponential(x):
    return ops.exp(x)


def _sparsemax_jax(x, axis):
    srt = -jnp.sort(-x, axis=axis)
    cums = jnp.cumsum(srt, axis=axis)
    shape = [1] * x.ndim
    shape[axis] = -1
    r = jnp.arange(1, x.shape[axis] + 1, dtype=x.dtype).reshape(shape)
    support = srt - (cums - 1) / r > 0
    k = jnp.sum(support, axis=axis, keepdims=True).astype(x.dtype)
    tau = (jnp.sum(jnp.where(support, cums, 0.0), axis=axis, keepdims=True) - 1) / k
    return jnp.maximum(x - tau, 0.0)


def sparsemax(x, axis=-1):
    """Euclidean projection of ``x`` onto the probability simplex along ``axis`` (one jax_call node)."""
    axis = int(axis)
    fn = functools.partial(_sparsemax_jax, axis=axis)
    return ops.jax_call(fn, x, name=f"kxla.activations.sparsemax(axis={axis})")


_ACTIVATIONS = {f.__name__: f for f in (
    linear, relu, leaky_relu, relu6, sigmoid, tanh, softmax, log_softmax, gelu, elu, celu, selu,
    softplus, softsign, squareplus, soft_shrink, hard_shrink, threshold, sparse_plus, sparse_sigmoid,
    silu, hard_sigmoid, hard_silu, hard_tanh, tanh_shrink, log_sigmoid, mish, glu, exponential,
    sparsemax)}
_ACTIVATIONS["swish"] = silu
_ACTIVATIONS["hard_swish"] = hard_silu


def get(identifier):
    """Resolve ``None``, a name, a serialized dict or a callable to an activation function."""
    if identifier is None:
        return linear
    if isinstance(identifier, (str, dict)):
        return deserialize(identifier)
    if callable(identifier):
        return identifier
    raise ValueError(f"Could not interpret activation function identifier: {identifier!r}")


def serialize(fn) -> str:
    """The Keras name of a built-in activation (``"relu"``), the registered name of a registered function
    (``"my_package>fn"``), else the function's ``__name__``."""
    for name, f in _ACTIVATIONS.items():
        if f is fn:
            return name
    from .object_registration import registered_name
    return registered_name(fn) or getattr(fn, "__name__", "custom")


def deserialize(config, custom_objects=None):
    """A name or a ``{"class_name": "function", "config": name}`` dict -> the activation function."""
    if isinstance(config, dict):
        config = config.get("config", config.get("class_name"))
    if not isinstance(config, str):
        raise ValueError(f"Could not interpret activation function identifier: {config!r}")
    if custom_objects and config in custom_objects:
        return custom_objects[config]
    if config not in _ACTIVATIONS:          # registered (@register_keras_serializable), scoped or global custom
        from .object_registration import get_custom_objects, get_registered_object
        found = get_registered_object(config, get_custom_objects())
        if found is not None:
            return found
    return resolve("activation", config, _ACTIVATIONS)
