"""``fuse-bias-activation``: matmul/conv + bias_add + activation -> one node.

Matmuls become ``dense`` (kxla/ops/fused.py); convolutions (ops with
the "convolution" trait: ``conv``, ``depthwise_conv``, ``conv_transpose``)
stay the same op and take the bias as a third input and the activation as
their ``activation`` attribute. Interior values must have exactly one reader,
so nothing else sees the unfused intermediate. Rows, largest pattern first::

    act(bias_add(matmul(x, k), b))  -> dense(x, k, b){activation=act}
    act(matmul(x, k))               -> dense(x, k){activation=act}
    bias_add(matmul(x, k), b)       -> dense(x, k, b){activation="linear"}
    act(bias_add(conv(x, k), b))    -> conv(x, k, b){..., activation=act}   (same for the others)

The matmul kernel must be 2-D and the bias on the last axis; the conv bias on
the channel axis of its ``data_format``. Activations: every op with the
"activation" trait whose attributes match one of its declared forms
(``kxla.ir.activation_forms()``: relu, sigmoid, tanh, gelu both forms, selu,
softplus, silu, exp, elu with alpha 1). The fused node keeps every source
layer (``// conv2d, activation``).
"""
from __future__ import annotations

from dataclasses import dataclass

import kxla.ops  # noqa: F401  (registers the ops)
from kxla.ir import activation_form, get_op, has_op

from .base import Pass
from .pattern import P, V, apply_rules

X, K, B = V("x"), V("k"), V("bias")


def _is_act(node) -> bool:
    return activation_form(node.op, node.attrs) is not None


def _dense_kernel(node) -> bool:
    return node.inputs[1].type.rank == 2 and node.inputs[0].type.rank >= 1


def _plain_conv(node) -> bool:
    """A convolution (by trait) with no bias and no activation of its own yet."""
    return has_op(node.op) and "convolution" in get_op(node.op).traits and len(node.inputs) == 2 and \
        node.attrs.get("activation", "linear") == "linear"


def _channel_axis(conv) -> int:
    rank = conv.results[0].type.rank
    return rank - 1 if conv.attrs["data_format"] == "channels_last" else 1


def _bias_on_last(node) -> bool:
    rank = node.results[0].type.rank
    return node.attrs["axis"] % rank == rank - 1


def _bias_on_channels(node) -> bool:
    conv = node.inputs[0].producer
    rank = node.results[0].type.rank
    return conv is not None and _plain_conv(conv) and node.attrs["axis"] % rank == _channel_axis(conv)


def _feeds_activation(node) -> bool:
    """True when the bias_add's only reader is a fusable activation (let the bigger row match there)."""
    users = node.results[0].users
    return len(users) == 1 and _is_act(next(iter(users)))


def _standalone_bias(pred):
    return lambda node: pred(node) and not _feeds_activation(node)


def _act(root) -> str:
    return activation_form(root.op, root.attrs)


ACT = None            # any op: the ``where`` (activation trait + a known form) decides
MATMUL = P("matmul", X, K, name="mm", where=_dense_kernel, one_use=True)
CONV = P(None, X, K, name="conv", where=_plain_conv, one_use=True)
BIASED_MATMUL = P("bias_add", MATMUL, B, where=_bias_on_last, one_use=True)
BIASED_CONV = P("bias_add", CONV, B, where=_bias_on_channels, one_use=True)


def _fused_conv(b, x, k, conv, activation, *bias):
    return b.op(conv.op, x, k, *bias, **{**conv.attrs, "activation": activation})


RULES = [
    # act(matmul(x, k) + b) -> dense(x, k, b){act}
    (P(ACT, BIASED_MATMUL, where=_is_act),
     lambda b, x, k, bias, root: b.dense(x, k, bias, activation=_act(root))),
    # act(matmul(x, k)) -> dense(x, k){act}
    (P(ACT, MATMUL, where=_is_act),
     lambda b, x, k, root: b.dense(x, k, activation=_act(root))),
    # matmul(x, k) + b -> dense(x, k, b){linear}
    (P("bias_add", MATMUL, B, where=_standalone_bias(_bias_on_last)),
     lambda b, x, k, bias: b.dense(x, k, bias, activation="linear")),
    # act(conv(x, k) + b) -> conv(x, k, b){act}
    (P(ACT, BIASED_CONV, where=_is_act),
     lambda b, x, k, bias, conv, root: _fused_conv(b, x, k, conv, _act(root), bias)),
    # act(conv(x, k)) -> conv(x, k){act}
    (P(ACT, CONV, where=_is_act),
     lambda b, x, k, conv, root: _fused_conv(b, x, k, conv, _act(root))),
    # conv(x, k) + b -> conv(x, k, b){linear}
    (P("bias_add", CONV, B, where=_standalone_bias(_bias_on_channels)),
     lambda b, x, k, bias, conv: _fused_conv(b, x, k, conv, "linear", bias)),
]


@dataclass(frozen=True)
class FuseBiasActivation(Pass):
    """matmul/conv + bias_add + activation -> dense / conv with bias and activation attributes."""

    name = "fuse-bias-activation"

    def run(self, graph, rw) -> bool:
        n = apply_rules(rw, RULES)
        rw.count("fused", n)
        return n > 0
