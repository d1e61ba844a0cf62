"""Activation functions by Keras 3 name, written with kxla.ops (so they become IR nodes)."""
from __future__ import annotations

from . import ops
from .utils.lookup import resolve


def linear(x):
    """Identity."""
    return x


def relu(x):
    return ops.relu(x)


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


def selu(x):
    return ops.selu(x)


def softplus(x):
    return ops.softplus(x)


def exponential(x):
    return ops.exp(x)


def swish(x):
    return ops.multiply(x, ops.sigmoid(x))


silu = swish

_ACTIVATIONS = {f.__name__: f for f in (linear, relu, sigmoid, tanh, softmax, log_softmax, gelu, elu,
                                        selu, softplus, exponential, swish)}
_ACTIVATIONS["silu"] = silu


def get(identifier):
    """Resolve ``None``, a name or a callable to an activation function."""
    if identifier is None:
        return linear
    if callable(identifier):
        return identifier
    if isinstance(identifier, str):
        return resolve("activation", identifier, _ACTIVATIONS)
    raise ValueError(f"Could not interpret activation {identifier!r}: expected a name or a callable")


def serialize(fn) -> str:
    for name, f in _ACTIVATIONS.items():
        if f is fn:
            return name
    return getattr(fn, "__name__", "custom")
