"""``fuse-bias-activation``: matmul/conv + bias_add + activation -> one ``fused_dense`` / ``fused_conv{n}d``.

The fused ops are defined in ``kxla/ops/fused.py`` (shape rule, lowering,
layout). Interior values must have exactly one reader, so nothing else sees
the unfused intermediate. Rows, largest pattern first::

    act(bias_add(matmul(x, k), b))  -> fused_dense(x, k, b){activation=act}
    act(matmul(x, k))               -> fused_dense(x, k){activation=act}
    bias_add(matmul(x, k), b)       -> fused_dense(x, k, b){activation="linear"}
    (the same three for conv1d/conv2d/conv3d -> fused_conv{n}d, bias on the channel axis)

The matmul kernel must be 2-D and the bias on the last axis; the conv bias on
the channel axis of its ``data_format``. Activations: relu, sigmoid, tanh,
gelu (both forms), selu, softplus and elu with alpha 1.
"""
from __future__ import annotations

from dataclasses import dataclass

import kxla.ops  # noqa: F401  (registers the ops)
import kxla.ops.fused  # noqa: F401  (registers fused_dense / fused_conv*)
from kxla.ops.fused import activation_attr

from .base import Pass
from .pattern import P, V, apply_rules

X, K, B = V("x"), V("k"), V("bias")
ACTIVATION_OPS = ("relu", "sigmoid", "tanh", "gelu", "selu", "softplus", "elu")
CONVS = ("conv1d", "conv2d", "conv3d")


def _is_act(node) -> bool:
    return activation_attr(node.op, node.attrs) is not None


def _dense_kernel(node) -> bool:
    return node.inputs[1].type.rank == 2 and node.inputs[0].type.rank >= 1


def _channel_axis(conv) -> int:
    rank = conv.results[0].type.rank
    return rank - 1 if conv.attrs["data_format"] == "channels_last" else 1


def _bias_on_last(node) -> bool:
    rank = node.results[0].type.rank
    return node.attrs["axis"] % rank == rank - 1


def _bias_on_channels(node) -> bool:
    conv = node.inputs[0].producer
    rank = node.results[0].type.rank
    return conv is not None and conv.op in CONVS and node.attrs["axis"] % rank == _channel_axis(conv)


def _feeds_activation(node) -> bool:
    """True when the bias_add's only reader is a fusable activation (let the bigger row match there)."""
    users = node.results[0].users
    return len(users) == 1 and _is_act(users[0])


def _standalone_bias(pred):
    return lambda node: pred(node) and not _feeds_activation(node)


MATMUL = P("matmul", X, K, name="mm", where=_dense_kernel, one_use=True)
CONV = P(CONVS, X, K, name="conv", one_use=True)
BIASED_MATMUL = P("bias_add", MATMUL, B, where=_bias_on_last, one_use=True)
BIASED_CONV = P("bias_add", CONV, B, where=_bias_on_channels, one_use=True)


def _fused_conv(b, x, k, conv, activation, *bias):
    return b.op("fused_" + conv.op, x, k, *bias, **conv.attrs, activation=activation)


RULES = [
    # act(matmul(x, k) + b) -> fused_dense(x, k, b){act}
    (P(ACTIVATION_OPS, BIASED_MATMUL, where=_is_act),
     lambda b, x, k, bias, root: b.fused_dense(x, k, bias, activation=activation_attr(root.op, root.attrs))),
    # act(matmul(x, k)) -> fused_dense(x, k){act}
    (P(ACTIVATION_OPS, MATMUL, where=_is_act),
     lambda b, x, k, root: b.fused_dense(x, k, activation=activation_attr(root.op, root.attrs))),
    # matmul(x, k) + b -> fused_dense(x, k, b){linear}
    (P("bias_add", MATMUL, B, where=_standalone_bias(_bias_on_last)),
     lambda b, x, k, bias: b.fused_dense(x, k, bias, activation="linear")),
    # act(conv(x, k) + b) -> fused_conv(x, k, b){act}
    (P(ACTIVATION_OPS, BIASED_CONV, where=_is_act),
     lambda b, x, k, bias, conv, root: _fused_conv(b, x, k, conv, activation_attr(root.op, root.attrs), bias)),
    # act(conv(x, k)) -> fused_conv(x, k){act}
    (P(ACTIVATION_OPS, CONV, where=_is_act),
     lambda b, x, k, conv, root: _fused_conv(b, x, k, conv, activation_attr(root.op, root.attrs))),
    # conv(x, k) + b -> fused_conv(x, k, b){linear}
    (P("bias_add", CONV, B, where=_standalone_bias(_bias_on_channels)),
     lambda b, x, k, bias, conv: _fused_conv(b, x, k, conv, "linear", bias)),
]


@dataclass(frozen=True)
class FuseBiasActivation(Pass):
    """matmul/conv + bias_add + activation -> fused_dense / fused_conv*."""

    name = "fuse-bias-activation"

    def run(self, graph, rw) -> bool:
        n = apply_rules(rw, RULES)
        rw.count("fused", n)
        return n > 0
