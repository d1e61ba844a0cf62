"""Attention (Luong dot-product) and AdditiveAttention (Bahdanau) layers (Keras 3).

Called on ``[query, value]`` or ``[query, value, key]``; masks ``[query_mask,
value_mask]`` come from ``mask=`` or the inputs' Keras masks. Value-masked
scores are lowered by 1e9 before the softmax and query-masked rows of the
output are zero, as in Keras.
"""
from __future__ import annotations

import numpy as np

from ... import ops
from ..layer import Layer


def _causal(tq, tv):
    if tq is None or tv is None:
        raise ValueError(f"use_causal_mask=True needs known query/value lengths, got Tq={tq}, Tv={tv}")
    return np.arange(tq)[:, None] >= np.arange(tv)[None, :]


class Attention(Layer):
    """Dot-product attention layer (``keras.layers.Attention``; ``score_mode`` "dot" or "concat")."""

    def __init__(self, use_scale=False, score_mode="dot", dropout=0.0, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.use_scale, self.score_mode, self.dropout, self.seed = use_scale, score_mode, dropout, seed
        if self.score_mode not in ("dot", "concat"):
            raise ValueError("Invalid value for argument score_mode. Expected one of {'dot', 'concat'}. "
                             f"Received: score_mode={score_mode}")
        self.supports_masking = True

    def build(self, input_shape):
        self._validate_inputs(input_shape)
        self.scale = self.add_weight(name="scale", shape=(), initializer="ones") if self.use_scale else None
        self.concat_score_weight = self.add_weight(name="concat_score_weight", shape=(), initializer="ones") \
            if self.score_mode == "concat" else None
        self.built = True

    def _calculate_scores(self, query, key):
        if self.score_mode == "dot":
            n = len(key.shape)
            scores = ops.matmul(query, ops.transpose(key, list(range(n - 2)) + [n - 1, n - 2]))
            return scores * self.scale if self.scale is not None else scores
        q = ops.expand_dims(query, -2)
        k = ops.expand_dims(key, -3)
        x = self.scale * (q + k) if self.scale is not None else q + k
        return self.concat_score_weight * ops.sum(ops.tanh(x), axis=-1)

    def _apply_scores(self, scores, value, scores_mask=None, training=False):
        if scores_mask is not None:
            big = 65504.0 if scores.dtype == "float16" else 1.0e9
            if len(scores_mask.shape) == 2:
                scores_mask = ops.expand_dims(scores_mask, -2)
            scores = ops.where(scores_mask, scores, scores - big)
        weights = ops.softmax(scores, axis=-1)
        if training and self.dropout > 0:
            weights = ops.dropout(weights, self.dropout, seed=self.seed)
        return ops.matmul(weights, value), weights

    def _score_mask(self, scores, v_mask, use_causal_mask):
        if not use_causal_mask:
            return v_mask
        causal = _causal(scores.shape[-2], scores.shape[-1])[None]
        if v_mask is None:
            return causal
        return ops.logical_and(ops.expand_dims(ops.cast(v_mask, "bool"), -2), causal)

    def call(self, inputs, mask=None, training=False, return_attention_scores=False, use_causal_mask=False):
        self._validate_inputs(inputs, mask)
        q, v = inputs[0], inputs[1]
        k = inputs[2] if len(inputs) > 2 else v
        q_mask = mask[0] if mask else None
        v_mask = mask[1] if mask else None
        if v_mask is not None and v_mask.dtype != "bool":
            v_mask = ops.cast(v_mask, "bool")
        scores = self._calculate_scores(q, k)
        out, weights = self._apply_scores(scores, v, self._score_mask(scores, v_mask, use_causal_mask),
                                          training=training)
        if q_mask is not None:
            out = ops.where(ops.expand_dims(ops.cast(q_mask, "bool"), -1), out, 0.0)
        return (out, weights) if return_attention_scores else out

    def compute_mask(self, inputs, mask=None):
        if mask is None or mask[0] is None:
            return None
        return mask[0]

    def compute_output_shape(self, input_shape):
        return (*input_shape[0][:-1], input_shape[1][-1])

    def _validate_inputs(self, inputs, mask=None):
        name = type(self).__name__
        if not isinstance(inputs, list):
            raise ValueError(f"{name} layer must be called on a list of inputs, namely [query, value] or "
                             f"[query, value, key]. Received: inputs={inputs}.")
        if len(inputs) < 2 or len(inputs) > 3:
            raise ValueError(f"{name} layer accepts inputs list of length 2 or 3, namely [query, value] or "
                             f"[query, value, key]. Received length: {len(inputs)}.")
        if mask is not None:
            if not isinstance(mask, list):
                raise ValueError(f"{name} layer mask must be a list, namely [query_mask, value_mask]. "
                                 f"Received: mask={mask}.")
            if len(mask) < 2 or len(mask) > 3:
                raise ValueError(f"{name} layer accepts mask list of length 2 or 3. Received: inputs={inputs}, "
                                 f"mask={mask}.")

    def get_config(self):
        return {**super().get_config(), "use_scale": self.use_scale, "score_mode": self.score_mode,
                "dropout": self.dropout, "seed": self.seed}


class AdditiveAttention(Attention):
    """Additive (Bahdanau) attention (``keras.layers.AdditiveAttention``); ``scale`` has shape ``(dim,)``."""

    def __init__(self, use_scale=True, dropout=0.0, **kwargs):
        super().__init__(use_scale=use_scale, dropout=dropout, **kwargs)

    def build(self, input_shape):
        self._validate_inputs(input_shape)
        dim = input_shape[0][-1]
        self.scale = self.add_weight(name="scale", shape=(dim,), initializer="glorot_uniform") \
            if self.use_scale else None
        self.built = True

    def _calculate_scores(self, query, key):
        x = ops.tanh(ops.expand_dims(query, -2) + ops.expand_dims(key, -3))
        return ops.sum(self.scale * x if self.use_scale else x, axis=-1)

    def get_config(self):
        config = super().get_config()
        del config["score_mode"]
        return config
