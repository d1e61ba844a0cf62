"""keras.ops.nn sequence ops: dot_product_attention, ctc_loss, ctc_decode — one catalogue row each.

``dot_product_attention`` lowers to ``jax.nn.dot_product_attention`` with
the XLA implementation, which is what Keras's JAX backend runs off TPU
(grouped-query attention included: fewer key/value heads than query heads).
Optional ``bias`` / ``mask`` are extra inputs flagged by attributes.
``ctc_loss`` is the CTC forward algorithm in log space over the
blank-interleaved label sequence (one ``lax.scan`` over time), with Keras's
``-1e5`` standing in for log(0). ``ctc_decode`` implements Keras's greedy
strategy here and its beam search in ``kxla/ops/ctc.py``.
"""
from __future__ import annotations

import numpy as np

from .lazy_jax import jax, jnp
from ..ir import Attr
from . import families as F
from .catalog import alias, op
from .ctc import ctc_beam_search_decode
from .nn_more import eval_shape_rule

_LOG_EPSILON = -1e5


# -- dot_product_attention --------------------------------------------------------------------------
def _attention(query, key, value, *extra, has_bias, has_mask, scale, is_causal):
    if query.ndim != 4 or key.ndim != 4 or value.ndim != 4:
        raise ValueError("`dot_product_attention` only supports 4D inputs. Received: "
                         f"query.shape={query.shape}, key.shape={key.shape}, value.shape={value.shape}.")
    dtype = jnp.result_type(query.dtype, key.dtype, value.dtype)
    extra = list(extra)
    bias = extra.pop(0).astype(dtype) if has_bias else None
    mask = extra.pop(0).astype(bool) if has_mask else None
    return jax.nn.dot_product_attention(query.astype(dtype), key.astype(dtype), value.astype(dtype), bias=bias,
                                        mask=mask, scale=scale, is_causal=is_causal, implementation="xla")


_attention_row = op("dot_product_attention", "query, key, value, *extra, has_bias=False, has_mask=False, scale=None, "
                    "is_causal=False", _attention, None, shape=eval_shape_rule(_attention),
                    dtype=lambda dtypes, attrs: F.promote_all(dtypes[:3], attrs), ns=None, lists=("extra",),
                    traits=("compute_heavy",), cost=F.per_input(4),
                    attrs_kinds={"has_bias": Attr("bool", False), "has_mask": Attr("bool", False)},
                    doc="softmax(q k^T * scale + bias, masked) v over [batch, time, heads, depth] tensors")


def dot_product_attention(query, key, value, bias=None, mask=None, scale=None, is_causal=False,
                          flash_attention=None, attn_logits_soft_cap=None):
    """Scaled dot-product attention, as ``keras.ops.nn.dot_product_attention`` (Keras's JAX backend off TPU).

    ``flash_attention=True`` and ``attn_logits_soft_cap`` (TPU-only in Keras) raise a clear error.
    """
    if attn_logits_soft_cap is not None:
        raise ValueError("attn_logits_soft_cap is only supported for JAX on TPU. "
                         "Set attn_logits_soft_cap=None when not using JAX on TPU.")
    if flash_attention:
        raise ValueError("dot_product_attention: flash_attention=True is not supported by kxla (it lowers to "
                         "XLA's attention); pass flash_attention=None or False")
    extra = [t for t in (bias, mask) if t is not None]
    return _attention_row(query, key, value, *extra, has_bias=bias is not None, has_mask=mask is not None,
                          scale=None if scale is None else float(scale), is_causal=bool(is_causal))


dot_product_attention.op_name = "dot_product_attention"
alias("dot_product_attention", dot_product_attention, ns="nn")


# -- ctc_loss --------------------------------------------------------------------------------------
def _logsumexp3(a, b, c):
    m = jnp.maximum(jnp.maximum(a, b), c)
    return m + jnp.log(jnp.exp(a - m) + jnp.exp(b - m) + jnp.exp(c - m))


def _ctc_loss(target, output, target_length, output_length, mask_index):
    if target.ndim != 2 or output.ndim != 3:
        raise ValueError(f"ctc_loss: expects target [batch, max_label_length] and output [batch, max_time, "
                         f"num_classes], got {target.shape} and {output.shape}")
    dtype = jnp.promote_types(output.dtype, jnp.float32)
    logp = jax.nn.log_softmax(output.astype(dtype), axis=-1)                    # [B, T, K]
    batch, labels = target.shape
    states = 2 * labels + 1
    ext = jnp.full((batch, states), mask_index, jnp.int32).at[:, 1::2].set(target.astype(jnp.int32))
    emit = jnp.take_along_axis(logp, jnp.broadcast_to(ext[:, None, :], (batch, logp.shape[1], states)), axis=2)
    emit = jnp.swapaxes(emit, 0, 1)                                             # [T, B, S]
    skip = jnp.zeros((batch, states), bool).at[:, 2:].set((ext[:, 2:] != ext[:, :-2]) & (ext[:, 2:] != mask_index))
    neg = jnp.asarray(_LOG_EPSILON, dtype)
    alpha = jnp.full((batch, states), neg).at[:, :2].set(emit[0, :, :2])
    lengths = output_length.astype(jnp.int32)

    def step(alpha, inputs):
        e, t = inputs
        one = jnp.concatenate([jnp.full((batch, 1), neg), alpha[:, :-1]], axis=1)
        two = jnp.where(skip, jnp.concatenate([jnp.full((batch, 2), neg), alpha[:, :-2]], axis=1), neg)
        new = jnp.maximum(_logsumexp3(alpha, one, two) + e, neg)
        return jnp.where((t < lengths)[:, None], new, alpha), None

    alpha, _ = jax.lax.scan(step, alpha, (emit[1:], jnp.arange(1, emit.shape[0])))
    end = 2 * target_length.astype(jnp.int32)
    last = jnp.take_along_axis(alpha, end[:, None], axis=1)[:, 0]
    before = jnp.take_along_axis(alpha, jnp.maximum(end - 1, 0)[:, None], axis=1)[:, 0]
    return -jnp.where(end > 0, jnp.logaddexp(last, before), last)


ctc_loss = op("ctc_loss", "target, output, target_length, output_length, mask_index=0", _ctc_loss, None,
              shape=lambda types, attrs: [types[1].shape[:1]], dtype=lambda d, a: F.floating([d[1]], a), ns="nn",
              tensors=("target", "output", "target_length", "output_length"), cost=F.per_input(8),
              doc="CTC negative log-likelihood per batch entry")


# -- ctc_decode -------------------------------------------------------------------------------------
def _ctc_greedy(inputs, sequence_lengths, merge_repeated, mask_index):
    xp = np if isinstance(inputs, np.ndarray) else jnp
    batch, time, classes = inputs.shape
    blank = classes - 1 if mask_index is None else mask_index
    inputs = inputs.astype(xp.promote_types(inputs.dtype, xp.float32))
    best = xp.argmax(inputs, axis=-1).astype(xp.int32)
    scores = xp.max(inputs, axis=-1)
    beyond = xp.arange(time)[None, :] >= sequence_lengths.astype(xp.int32)[:, None]
    best = xp.where(beyond, blank, best)
    scores = xp.where(beyond, 0.0, scores)
    if merge_repeated:
        repeat = xp.concatenate([xp.zeros((batch, 1), bool), best[:, 1:] == best[:, :-1]], axis=1)
        best = xp.where(repeat, blank, best)
    dropped = best == blank
    order = xp.argsort(xp.where(dropped, time, xp.arange(time)[None, :]), axis=-1, kind="stable") if xp is np else \
        xp.argsort(xp.where(dropped, time, xp.arange(time)[None, :]), axis=-1, stable=True)
    decoded = xp.take_along_axis(xp.where(dropped, -1, best), order, axis=-1).astype(xp.int32)
    return decoded[None], (-xp.sum(scores, axis=1)[:, None]).astype(scores.dtype)


_greedy_row = op("ctc_greedy_decode", "inputs, sequence_lengths, merge_repeated=True, mask_index=0", _ctc_greedy,
                 _ctc_greedy, shape=lambda types, attrs: [(1,) + types[0].shape[:2], types[0].shape[:1] + (1,)],
                 dtype=[F.fixed("int32"), lambda d, a: F.floating(d, a)], ns=None,
                 tensors=("inputs", "sequence_lengths"), cost=F.per_input(2),
                 doc="greedy CTC decoding: (decoded [1, batch, time] with -1 padding, scores [batch, 1])")


def ctc_decode(inputs, sequence_lengths, strategy="greedy", beam_width=100, top_paths=1, merge_repeated=True,
               mask_index=0):
    """Decode CTC outputs, as ``keras.ops.nn.ctc_decode``: ``strategy="greedy"`` or ``"beam_search"``.

    Returns:
      ``(decoded, scores)``: ``decoded`` int32 ``[1, batch, max_time]`` padded with -1 and ``scores``
      ``[batch, 1]`` (greedy: minus the sum of the best logits); beam search: ``[top_paths, batch,
      max_time]`` and the paths' log probabilities ``[batch, top_paths]``.
    """
    if strategy == "beam_search":           # kxla/ops/ctc.py (merge_repeated has no effect, as in Keras)
        return ctc_beam_search_decode(inputs, sequence_lengths, beam_width=int(beam_width),
                                      top_paths=int(top_paths),
                                      mask_index=None if mask_index is None else int(mask_index))
    if strategy != "greedy":
        raise ValueError(f"Invalid strategy {strategy}. Supported values are 'greedy' and 'beam_search'.")
    return _greedy_row(inputs, sequence_lengths, merge_repeated=bool(merge_repeated),
                       mask_index=None if mask_index is None else int(mask_index))


ctc_decode.op_name = "ctc_greedy_decode"
alias("ctc_decode", ctc_decode, ns="nn")
