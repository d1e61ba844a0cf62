"""Fused ops produced by ``kxla.passes`` (fuse-bias-activation); users never write them by hand.

  fused_dense(x, kernel[, bias]) {activation}
      ``activation(x @ kernel + bias)``; kernel (in, out), bias (out,).
  fused_conv{n}d(x, kernel[, bias]) {strides, padding, data_format, dilation_rate, groups, activation}
      ``activation(conv{n}d(x, kernel) + bias)`` with the conv's attributes and
      bias on the channel axis of ``data_format``; layout "sensitive" like the conv.

``activation`` is one of ``ACTIVATIONS`` ("gelu" is the tanh approximation,
"gelu_exact" the erf form, "elu" uses alpha 1). The lowering reuses the
conv/matmul lowering rules, so fused and unfused graphs compute the same thing.
Importing this module registers the ops (``kxla.passes`` and ``kxla.testing``
import it; a model file that holds fused ops needs it imported too).
"""
from __future__ import annotations

import jax
import jax.numpy as jnp

from ..ir import Attr, TensorType, get_op, has_op
from .core import defop
from .rules import normalize_axis, promote

__all__ = ["ACTIVATIONS", "activation_of", "activation_attr"]

# activation attribute value -> function of a jax array
ACTIVATIONS = {
    "linear": lambda x: x,
    "relu": jax.nn.relu,
    "sigmoid": jax.nn.sigmoid,
    "tanh": jnp.tanh,
    "gelu": lambda x: jax.nn.gelu(x, approximate=True),
    "gelu_exact": lambda x: jax.nn.gelu(x, approximate=False),
    "selu": jax.nn.selu,
    "softplus": jax.nn.softplus,
    "elu": lambda x: jax.nn.elu(x, 1.0),
}


def activation_attr(op: str, attrs: dict) -> str | None:
    """The fused ``activation`` value equivalent to an activation node ``op{attrs}``, or None."""
    if op in ("relu", "sigmoid", "tanh", "selu", "softplus"):
        return op
    if op == "gelu":
        return "gelu" if attrs.get("approximate", True) else "gelu_exact"
    if op == "elu" and float(attrs.get("alpha", 1.0)) == 1.0:
        return "elu"
    return None


def activation_of(name: str):
    return ACTIVATIONS[name]


_ACT = Attr("str", "linear", tuple(ACTIVATIONS))


def _check_bias(op: str, bias: TensorType, size) -> None:
    if bias.rank != 1 or (size is not None and bias.shape[0] not in (None, size)):
        raise ValueError(f"{op}: bias of shape {bias.shape} does not match {size} output channels")


# -- fused_dense ---------------------------------------------------------------
def _dense_infer(types, attrs):
    if len(types) not in (2, 3):
        raise ValueError(f"fused_dense takes 2 or 3 inputs (x, kernel[, bias]), got {len(types)}")
    x, k = types[0], types[1]
    if k.rank != 2 or x.rank < 1:
        raise ValueError(f"fused_dense: kernel must have rank 2 and x rank >= 1, got {x.shape} and {k.shape}")
    (out,) = get_op("matmul").infer([x, k], {})
    if len(types) == 3:
        _check_bias("fused_dense", types[2], out.shape[-1])
        out = TensorType(out.shape, promote(out.dtype, types[2].dtype))
    return [out]


@defop("fused_dense", infer=_dense_infer, layout="opaque", arity=None, attrs={"activation": _ACT},
       doc="activation(x @ kernel + bias)")
def _fused_dense(ctx, x, kernel, *bias, activation):
    y = jnp.matmul(x, kernel)
    if bias:
        y = y + bias[0]
    return ACTIVATIONS[activation](y)


# -- fused_conv{n}d -----------------------------------------------------------------
def _conv_infer(n: int):
    name = f"fused_conv{n}d"

    def infer(types, attrs):
        if len(types) not in (2, 3):
            raise ValueError(f"{name} takes 2 or 3 inputs (x, kernel[, bias]), got {len(types)}")
        conv_attrs = {k: v for k, v in attrs.items() if k != "activation"}
        (out,) = get_op(f"conv{n}d").infer(types[:2], conv_attrs)
        if len(types) == 3:
            axis = -1 if attrs["data_format"] == "channels_last" else 1
            _check_bias(name, types[2], out.shape[axis])
            out = TensorType(out.shape, promote(out.dtype, types[2].dtype))
        return [out]
    return infer


def _conv_lower(n: int):
    def lower(ctx, x, kernel, *bias, activation, **conv_attrs):
        y = get_op(f"conv{n}d").lower(ctx, x, kernel, **conv_attrs)
        if bias:
            axis = normalize_axis(-1 if conv_attrs["data_format"] == "channels_last" else 1, y.ndim)
            shape = [1] * y.ndim
            shape[axis] = bias[0].shape[0]
            y = y + jnp.reshape(bias[0], shape)
        return ACTIVATIONS[activation](y)
    return lower


for _n in (1, 2, 3):
    if has_op(f"conv{_n}d") and not has_op(f"fused_conv{_n}d"):
        _attrs = dict(get_op(f"conv{_n}d").attrs)
        _attrs["activation"] = _ACT
        defop(f"fused_conv{_n}d", infer=_conv_infer(_n), layout="sensitive", arity=None, attrs=_attrs,
              doc=f"activation(conv{_n}d(x, kernel) + bias)")(_conv_lower(_n))
