"""``dense``: a Dense layer's matmul with its bias and activation as attributes, made by ``kxla.passes``
(fuse-bias-activation).

  dense(x, kernel[, bias]) {activation}
      ``activation(x @ kernel + bias)``; kernel (in, out), bias (out,).

One op, as convolution is one op: the bias is an optional third input and
the activation an attribute (``"linear"``: none). The old name ``fused_dense``
loads as ``dense`` (IR text, saved models).

``activation`` is a form of ``kxla.ir.activation_forms()`` (each activation
op lists its forms in its definition: "gelu" is the tanh approximation,
"gelu_exact" the erf form, "elu" alpha 1, "linear" none). Convolutions need
no fused twin: ``conv``, ``depthwise_conv`` and ``conv_transpose`` take the
same bias input and ``activation`` attribute themselves (kxla/ops/nn_conv.py),
and the old ``fused_conv{n}d`` names load as ``conv``.
"""
from __future__ import annotations

from .lazy_jax import jnp

from ..ir import Attr, TensorType, get_op
from . import costs
from .core import defop
from .nn_conv import check_activation, epilogue
from .rules import promote

__all__ = []


def _dense_infer(types, attrs):
    if len(types) not in (2, 3):
        raise ValueError(f"dense takes 2 or 3 inputs (x, kernel[, bias]), got {len(types)}")
    check_activation("dense", attrs["activation"])
    x, k = types[0], types[1]
    if k.rank != 2 or x.rank < 1:
        raise ValueError(f"dense: kernel must have rank 2 and x rank >= 1, got {x.shape} and {k.shape}")
    (out,) = get_op("matmul").infer([x, k], {})
    if len(types) == 3:
        b = types[2]
        if b.rank != 1 or (out.shape[-1] is not None and b.shape[0] not in (None, out.shape[-1])):
            raise ValueError(f"dense: bias of shape {b.shape} does not match {out.shape[-1]} output units")
        out = TensorType(out.shape, promote(out.dtype, b.dtype))
    return [out]


@defop("dense", infer=_dense_infer, layout="opaque", arity=None, attrs={"activation": Attr("str", "linear")},
       doc="activation(x @ kernel + bias)", traits={"compute_heavy"}, cost=costs.matmul_cost,
       extra={"kernel_out_axis": -1}, aliases=("fused_dense",))
def _dense(ctx, x, kernel, *bias, activation):
    return epilogue(ctx, jnp.matmul(x, kernel), bias[0] if bias else None, activation, -1)
