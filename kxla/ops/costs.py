"""Cost rules for ``defop(cost=...)``: FLOPs and bytes of one node from its types and attributes.

No jax: ``kxla.debug.flops`` and ``summary(show_flops=True)`` call these
through ``OpDef.cost``. A rule is ``cost(input_types, output_types, attrs) ->
{"flops": int, "bytes": int}``. Unknown dimensions count as 1 (the caller
substitutes the batch size first). Conventions, as XLA's ``cost_analysis()``:

* a multiply-add counts **2** FLOPs; every other arithmetic step 1 per element
  (transcendentals are not weighted);
* ``bytes`` is what the op reads and writes: the sizes of its inputs and
  results (0 for ops that only reinterpret a buffer: reshape and friends).

Rule factories: ``per_element(k)`` (k FLOPs per result element),
``per_input_element(k, plus_out)``, ``free`` (data movement), ``bitcast``
(no data movement at all), ``matmul_cost``, ``conv_cost``,
``depthwise_conv_cost``, ``conv_transpose_cost`` (counts every tap: an upper
bound where XLA skips the zeros a stride inserts), ``pool_cost(kind)``, ``reduction_cost``,
``tensordot_cost``, ``einsum_cost``.
"""
from __future__ import annotations

import math

__all__ = ["dims", "size", "nbytes", "per_element", "per_input_element", "free", "bitcast", "matmul_cost",
           "conv_cost", "depthwise_conv_cost", "conv_transpose_cost", "pool_cost", "reduction_cost", "tensordot_cost",
           "einsum_cost", "epilogue_flops"]

_ITEMSIZE = {"float16": 2, "bfloat16": 2, "float32": 4, "float64": 8, "int8": 1, "int16": 2, "int32": 4,
             "int64": 8, "uint8": 1, "uint16": 2, "uint32": 4, "uint64": 8, "bool": 1}


def dims(t) -> list[int]:
    """Shape of type ``t`` with unknown dims counted as 1."""
    return [1 if d is None else int(d) for d in t.shape]


def size(t) -> int:
    return math.prod(dims(t))


def nbytes(types) -> int:
    return sum(size(t) * _ITEMSIZE.get(t.dtype, 4) for t in types)


def _cost(flops, ins, outs) -> dict:
    return {"flops": int(flops), "bytes": nbytes(ins) + nbytes(outs)}


def per_element(k: int = 1):
    """``k`` FLOPs per element of the (first) result."""
    def cost(ins, outs, attrs):
        return _cost(k * size(outs[0]) if outs else 0, ins, outs)
    return cost


def per_input_element(k: int = 1, plus_out: int = 0):
    """``k`` FLOPs per element of the first input, plus ``plus_out`` per result element (mean's divide)."""
    def cost(ins, outs, attrs):
        return _cost(k * size(ins[0]) + plus_out * size(outs[0]), ins, outs)
    return cost


def free(ins, outs, attrs) -> dict:
    """Data movement: no FLOPs; reads its inputs and writes its results."""
    return _cost(0, ins, outs)


def bitcast(ins, outs, attrs) -> dict:
    """Reinterpretation of one buffer (reshape, expand_dims, squeeze): no FLOPs, no traffic."""
    return {"flops": 0, "bytes": 0}


def epilogue_flops(ins, outs, attrs, n_main: int) -> int:
    """FLOPs of a fused bias (third input) and activation (attribute other than "linear")."""
    n = size(outs[0])
    return (n if len(ins) == 3 else 0) + (0 if attrs.get("activation", "linear") == "linear" else n)


def matmul_cost(ins, outs, attrs) -> dict:
    """``2 * N(out) * K`` (+ bias and activation for the fused form)."""
    k = dims(ins[0])[-1] if ins[0].rank else 1
    return _cost(2 * size(outs[0]) * k + epilogue_flops(ins, outs, attrs, 2), ins, outs)


def _taps(in_size: int, out_size: int, k: int, stride: int, dilation: int, padding: str) -> int:
    """Kernel taps that land inside the input, summed over the output positions of one axis."""
    pad = 0
    if padding == "same":
        pad = max((out_size - 1) * stride + (k - 1) * dilation + 1 - in_size, 0) // 2
    return sum(1 for o in range(out_size) for j in range(k) if 0 <= o * stride + j * dilation - pad < in_size)


def _window_macs(x, out, window, attrs) -> int:
    """Batch x kernel taps inside the input (XLA counts no padded taps)."""
    n = len(window)
    xd, od = dims(x), dims(out)
    if attrs.get("data_format", "channels_last") == "channels_last":
        xs, os_ = xd[1:-1], od[1:-1]
    else:
        xs, os_ = xd[2:], od[2:]
    strides = attrs.get("strides") or [1] * n
    dilation = attrs.get("dilation_rate") or [1] * n
    padding = attrs.get("padding", "valid")
    return od[0] * math.prod(_taps(i, o, k, s, d, padding)
                             for i, o, k, s, d in zip(xs, os_, window, strides, dilation))


def conv_cost(ins, outs, attrs) -> dict:
    """``2 * taps * in/groups * out`` (taps inside the input) + bias and activation."""
    kernel = dims(ins[1])
    n = len(kernel) - 2
    flops = 2 * _window_macs(ins[0], outs[0], kernel[:n], attrs) * kernel[-2] * kernel[-1]
    return _cost(flops + epilogue_flops(ins, outs, attrs, 2), ins, outs)


def depthwise_conv_cost(ins, outs, attrs) -> dict:
    """``2 * taps * channels * multiplier`` + bias and activation."""
    return conv_cost(ins, outs, attrs)


def conv_transpose_cost(ins, outs, attrs) -> dict:
    """``2 * N(input) * prod(window) * out_channels`` + bias and activation."""
    kernel = dims(ins[1])
    flops = 2 * size(ins[0]) * math.prod(kernel[:len(kernel) - 2]) * kernel[-2]
    return _cost(flops + epilogue_flops(ins, outs, attrs, 2), ins, outs)


def pool_cost(kind: str):
    """``N(out) * (prod(pool_size) - 1)`` comparisons or adds (+ ``N(out)`` for the average's divide)."""
    def cost(ins, outs, attrs):
        n = size(outs[0])
        return _cost(n * (math.prod(attrs.get("pool_size") or [1]) - 1) + (n if kind == "avg" else 0), ins, outs)
    return cost


def reduction_cost(ins, outs, attrs) -> dict:
    """``N(in) - N(out)``: combining N values into one takes N - 1 steps."""
    return _cost(size(ins[0]) - size(outs[0]), ins, outs)


def tensordot_cost(ins, outs, attrs) -> dict:
    d = dims(ins[0])
    return _cost(2 * size(outs[0]) * math.prod(d[a] for a in attrs.get("axes_a", [])), ins, outs)


def einsum_cost(ins, outs, attrs) -> dict:
    """``2 * prod(sizes of all letters)`` for an explicit equation; a lower bound otherwise."""
    eq = str(attrs.get("equation", "")).replace(" ", "")
    if "->" not in eq or "." in eq:
        return _cost(2 * size(outs[0]), ins, outs)
    letters: dict[str, int] = {}
    for spec, t in zip(eq.split("->")[0].split(","), ins):
        for letter, d in zip(spec, dims(t)):
            letters[letter] = max(letters.get(letter, 1), d)
    return _cost(2 * math.prod(letters.values()), ins, outs)
