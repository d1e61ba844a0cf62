"""Analytic FLOPs of an IR graph, node by node, from the ops' attributes and value types.

Convention (the same as XLA's ``cost_analysis()`` where the two can be compared):

* a multiply-add counts **2** FLOPs;
* the unknown batch dimension (``?`` in axis 0) is ``batch_size`` (default 1,
  so totals are per sample); any other unknown dimension counts as 1;
* ``N(v)`` below is the number of elements of value ``v``; ``out`` is the
  node's (first) result.

Rules per op family:

================================  ==========================================================
family                            FLOPs
================================  ==========================================================
matmul, fused_dense               ``2 * N(out) * K`` (K the contracted size) + bias ``N(out)``
                                  + activation ``N(out)`` (fused ops; "linear" is free)
tensordot, einsum                 ``2 * N(out) * prod(contracted sizes)``
conv{n}d, fused_conv{n}d          ``2 * N(out) * prod(kernel window) * in_channels/groups``
                                  where only kernel taps that land inside the input count
                                  ("same" padding: fewer at the borders, as XLA counts);
                                  + bias and activation as above
depthwise_conv{n}d                ``2 * N(out) * prod(kernel window)`` (taps inside the input)
conv{n}d_transpose                ``2 * N(input) * prod(kernel window) * out_channels``
max_pool / avg_pool               ``N(out) * prod(pool_size)`` (+ ``N(out)`` for the average's divide)
batch_norm                        ``4 * N(x)`` (subtract, two multiplies, add) + ``2 * C``
layer_norm                        ``8 * N(x)`` (mean, variance, normalize, scale, offset)
moments                           ``4 * N(x)``
softmax, log_softmax              ``5 * N(x)`` (max, subtract, exp, sum, divide / log)
sum, mean, max, min, argmax, ...  ``N(input)`` (+ ``N(out)`` for mean's divide)
elementwise (add, relu, exp,      ``N(out)`` — 1 per element, whatever the function
  sigmoid, gelu, where, clip, ..)   (transcendentals are not weighted)
dropout, gaussian_noise           ``2 * N(out)``; random draws ``N(out)``
data movement (reshape,           0
  transpose, slice, concatenate,
  pad, cast, constant, take, ...)
================================  ==========================================================

Ops not in these tables (a custom op) count 0 and are listed in
``FlopsReport.unknown_ops``. XLA, which sees the graph after its own
simplifications, agrees within a few percent on matmul- and
conv-dominated graphs (tests/debug/test_flops.py checks 5%).
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

__all__ = ["node_flops", "graph_flops", "layer_flops", "model_flops", "FlopsReport", "format_flops"]

_ELEMENTWISE = {
    "abs", "add", "subtract", "multiply", "divide", "power", "maximum", "minimum", "negative", "sign", "square",
    "sqrt", "rsqrt", "exp", "log", "erf", "tanh", "sigmoid", "relu", "gelu", "elu", "selu", "softplus",
    "equal", "not_equal", "greater", "greater_equal", "less", "less_equal", "logical_and", "logical_or",
    "logical_xor", "logical_not", "where", "clip", "bias_add",
}
_FREE = {
    "reshape", "transpose", "flatten", "expand_dims", "squeeze", "slice", "split", "concatenate", "stack",
    "pad", "repeat", "tile", "take", "one_hot", "constant", "zeros_like", "ones_like", "cast",
}
_REDUCTIONS = {"sum", "max", "min", "argmax", "argmin"}


def _dims(type_, batch_size: int) -> list[int]:
    return [(batch_size if i == 0 else 1) if d is None else int(d) for i, d in enumerate(type_.shape)]


def _n(type_, batch_size: int) -> int:
    return math.prod(_dims(type_, batch_size))


def _taps(in_size: int, out_size: int, k: int, stride: int, dilation: int, padding: str) -> int:
    """Kernel taps that land inside the input, summed over the output positions of one axis."""
    pad = 0
    if padding == "same":
        pad = max((out_size - 1) * stride + (k - 1) * dilation + 1 - in_size, 0) // 2
    return sum(1 for o in range(out_size) for j in range(k) if 0 <= o * stride + j * dilation - pad < in_size)


def _conv_macs(node, x_type, out_type, window, n: int, batch_size: int) -> int:
    """Multiply-adds per (input channel of a group, output channel) pair: batch x valid kernel taps."""
    fmt = node.attrs.get("data_format", "channels_last")
    xd, od = _dims(x_type, batch_size), _dims(out_type, batch_size)
    xs, os_ = (xd[1:-1], od[1:-1]) if fmt == "channels_last" else (xd[2:], od[2:])
    strides = node.attrs.get("strides", [1] * n)
    dilation = node.attrs.get("dilation_rate", [1] * n)
    padding = node.attrs.get("padding", "valid")
    taps = math.prod(_taps(i, o, k, s, d, padding) for i, o, k, s, d in zip(xs, os_, window, strides, dilation))
    return od[0] * taps


def _einsum_flops(equation: str, in_types, out_type, batch_size) -> int:
    eq = equation.replace(" ", "")
    if "->" not in eq or "." in eq:
        return 2 * _n(out_type, batch_size)          # implicit output or ellipsis: a lower bound
    lhs, _ = eq.split("->")
    sizes: dict[str, int] = {}
    for spec, t in zip(lhs.split(","), in_types):
        for letter, d in zip(spec, _dims(t, batch_size)):
            sizes[letter] = max(sizes.get(letter, 1), d)
    return 2 * math.prod(sizes.values())


def node_flops(node, batch_size: int = 1) -> int | None:
    """FLOPs of one node under the module's convention, or None for an op with no rule."""
    op = node.op
    ins = [v.type for v in node.inputs]
    out = node.results[0].type if node.results else None
    n_out = _n(out, batch_size) if out is not None else 0
    if op in _FREE:
        return 0
    if op in _ELEMENTWISE:
        return n_out
    act = lambda: 0 if node.attrs.get("activation", "linear") == "linear" else n_out   # noqa: E731
    if op in ("matmul", "fused_dense"):
        k = _dims(ins[0], batch_size)[-1] if ins[0].rank else 1
        bias = n_out if op == "fused_dense" and len(ins) == 3 else 0
        return 2 * n_out * k + bias + (act() if op == "fused_dense" else 0)
    if op == "tensordot":
        dims = _dims(ins[0], batch_size)
        return 2 * n_out * math.prod(dims[a] for a in node.attrs.get("axes_a", []))
    if op == "einsum":
        return _einsum_flops(str(node.attrs.get("equation", "")), ins, out, batch_size)
    m = re.fullmatch(r"(fused_)?conv([123])d", op)
    if m:
        n = int(m.group(2))
        kernel = _dims(ins[1], batch_size)
        flops = 2 * _conv_macs(node, ins[0], out, kernel[:n], n, batch_size) * kernel[-2] * kernel[-1]
        if m.group(1):
            flops += (n_out if len(ins) == 3 else 0) + act()
        return flops
    m = re.fullmatch(r"depthwise_conv([123])d", op)
    if m:
        n = int(m.group(1))
        kernel = _dims(ins[1], batch_size)
        return 2 * _conv_macs(node, ins[0], out, kernel[:n], n, batch_size) * kernel[-2] * kernel[-1]
    m = re.fullmatch(r"conv([123])d_transpose", op)
    if m:
        kernel = _dims(ins[1], batch_size)
        return 2 * _n(ins[0], batch_size) * math.prod(kernel[:int(m.group(1))]) * kernel[-2]
    m = re.fullmatch(r"(max|avg)_pool[123]d", op)
    if m:
        window = math.prod(node.attrs.get("pool_size", [1]))
        return n_out * window + (n_out if m.group(1) == "avg" else 0)
    if op == "batch_norm":
        return 4 * _n(ins[0], batch_size) + 2 * _n(ins[1], batch_size)
    if op == "layer_norm":
        return 8 * _n(ins[0], batch_size)
    if op == "moments":
        return 4 * _n(ins[0], batch_size)
    if op in ("softmax", "log_softmax"):
        return 5 * n_out
    if op in _REDUCTIONS:
        return _n(ins[0], batch_size)
    if op == "mean":
        return _n(ins[0], batch_size) + n_out
    if op in ("dropout", "gaussian_noise"):
        return 2 * n_out
    if op in ("random_normal", "random_uniform"):
        return n_out
    return None


@dataclass
class FlopsReport:
    """FLOPs of a graph: per node (in graph order), per layer, the total and the ops with no rule."""

    batch_size: int
    per_node: list = field(default_factory=list)       # [(node, flops)]
    per_layer: dict = field(default_factory=dict)      # {top-level layer name or "(ops)": flops}
    total: int = 0
    unknown_ops: list = field(default_factory=list)


def graph_flops(graph, batch_size: int = 1) -> FlopsReport:
    """Count every node of ``graph`` (see the module docstring for the rules).

    Arguments:
      graph: a kxla.ir.Graph.
      batch_size: the size given to the unknown batch dimension (1: per sample).

    Returns:
      A ``FlopsReport``; ``per_layer`` groups nodes by the first component of
      their layer path (nodes made by direct op calls go under ``"(ops)"``).
    """
    report = FlopsReport(batch_size=batch_size)
    for node in graph.nodes:
        flops = node_flops(node, batch_size)
        if flops is None:
            if node.op not in report.unknown_ops:
                report.unknown_ops.append(node.op)
            flops = 0
        report.per_node.append((node, flops))
        layer = node.layer.split("/")[0] if node.layer else "(ops)"
        report.per_layer[layer] = report.per_layer.get(layer, 0) + flops
        report.total += flops
    return report


def layer_flops(graph, batch_size: int = 1) -> dict:
    """``{top-level layer name: FLOPs}`` (see ``graph_flops``)."""
    return graph_flops(graph, batch_size).per_layer


def model_flops(model, batch_size: int = 1, training: bool = False) -> FlopsReport:
    """``graph_flops`` of the model's traced (unoptimized) graph: the forward pass as written."""
    return graph_flops(model.trace(training).graph, batch_size)


def format_flops(n: float) -> str:
    """``1234567`` -> ``"1.23M"`` (k, M, G, T)."""
    for unit, scale in (("T", 1e12), ("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if abs(n) >= scale:
            return f"{n / scale:.2f}{unit}"
    return str(int(n))
