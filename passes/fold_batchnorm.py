"""``fold-batchnorm``: fold an inference ``batch_norm`` into the conv/matmul (+ bias_add) feeding it.

For ``y = batch_norm(conv(x, k) [+ b], mean, var, gamma, beta){axis, epsilon}``
where the batch_norm normalizes the conv's output channels and is the only
reader of the conv (and bias_add) result::

    scale = rsqrt(var + epsilon) * gamma
    k'    = k * scale                      (broadcast over the out-channel axis: kernels
                                            stay (k..., in, out) and (in, out) for matmul)
    b'    = (b - mean) * scale + beta      (beta - mean * scale without a bias)
    y     = bias_add(conv(x, k'), b')

The folding is IR, not arithmetic on weights: passes never rewrite parameter
values. The new nodes compute the folded kernel and bias from the parameters
at run time, so predictions stay right after ``set_weights`` or more
training, and saved models keep the unfolded weights. XLA hoists the few
per-channel operations; the conv itself runs once, without the normalization.

Only inference batch norms are folded: the statistics and the affine
parameters must be parameters, state or constants (or computed from those
alone). In a training graph the batch statistics are computed from the conv
output itself, which also gives the conv a second reader, so nothing folds.
Producers: ops whose definition says the kernel's last axis holds the output
channels (``extra["kernel_out_axis"] == -1``: ``conv`` of any rank and groups,
either data_format, and ``matmul`` with a 2-D kernel), without a fused bias or
activation of their own. All dtypes involved must agree.
"""
from __future__ import annotations

from dataclasses import dataclass

import kxla.ops  # noqa: F401  (registers the ops)
from kxla.ir import get_op

from .base import Pass

def _channel_axis(node) -> int | None:
    """The output-channel axis of a producer whose kernel may be rescaled, else None."""
    opdef = get_op(node.op)
    rank = node.results[0].type.rank
    if opdef.extra.get("kernel_out_axis") != -1 or len(node.inputs) != 2 or rank < 1 or \
            node.attrs.get("activation", "linear") != "linear":
        return None
    if "convolution" in opdef.traits:
        return rank - 1 if node.attrs["data_format"] == "channels_last" else 1
    return rank - 1 if node.inputs[1].type.rank == 2 else None


class _Static:
    """Memoized: is a value computed from parameters, state and constants only (no graph input)?"""

    def __init__(self):
        self.memo: dict[int, bool] = {}

    def __call__(self, value) -> bool:
        stack = [value]
        while stack:
            v = stack[-1]
            if id(v) in self.memo:
                stack.pop()
                continue
            if v.producer is None:
                self.memo[id(v)] = v.kind in ("param", "state")
                stack.pop()
                continue
            pending = [u for u in v.producer.inputs if id(u) not in self.memo]
            if pending:
                stack.extend(pending)
                continue
            self.memo[id(v)] = get_op(v.producer.op).effect is None and \
                all(self.memo[id(u)] for u in v.producer.inputs)
            stack.pop()
        return self.memo[id(value)]


@dataclass(frozen=True)
class FoldBatchNorm(Pass):
    """Fold inference batch_norm into the preceding conv/matmul (kernel and bias rescaled in the graph)."""

    name = "fold-batchnorm"

    def run(self, graph, rw) -> bool:
        static = _Static()
        folded = 0
        for bn in rw.walk():
            if bn.op == "batch_norm" and self._fold(bn, rw, static):
                folded += 1
        rw.count("folded", folded)
        return folded > 0

    def _fold(self, bn, rw, static) -> bool:
        y, mean, var, gamma, beta = bn.inputs
        if rw.only_reader(y) is not bn or y.producer is None:
            return False
        bias_add, bias = None, None
        conv = y.producer
        if conv.op == "bias_add":
            bias_add, bias = conv, conv.inputs[1]
            z = conv.inputs[0]
            conv = z.producer
            if conv is None or rw.only_reader(z) is not bias_add:
                return False
        axis = _channel_axis(conv)
        rank = y.type.rank
        if axis is None or bn.attrs["axis"] % rank != axis:
            return False
        if bias_add is not None and bias_add.attrs["axis"] % rank != axis:
            return False
        kernel = conv.inputs[1]
        values = [conv.inputs[0], kernel, mean, var, gamma, beta] + ([bias] if bias is not None else [])
        if len({v.type.dtype for v in values + [bn.results[0]]}) != 1:
            return False
        if not all(static(v) for v in (mean, var, gamma, beta)):
            return False
        if not rw.hoist([mean, var, gamma, beta] + ([bias] if bias is not None else []), before=conv):
            return False                   # the new kernel and bias are computed right before conv
        b = rw.builder(before=conv, layer=bn.layer)
        eps = b.constant(bn.attrs["epsilon"], dtype=var.type.dtype)
        scale = b.multiply(b.rsqrt(b.add(var, eps)), gamma)          # rsqrt(var + eps) * gamma
        rw.set_input(conv, 1, b.multiply(kernel, scale))             # k' = k * scale (out-channel axis)
        if bias is not None:
            new_bias = b.add(b.multiply(b.subtract(bias, mean), scale), beta)   # (b - mean) * scale + beta
            rw.set_input(bias_add, 1, new_bias)
            out = bias_add.results[0]
        else:
            new_bias = b.subtract(beta, b.multiply(mean, scale))               # beta - mean * scale
            out = rw.insert("bias_add", [y, new_bias], {"axis": axis}, before=bn).results[0]
        rw.replace_node(bn, [out])
        return True
