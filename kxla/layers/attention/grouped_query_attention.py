"""GroupedQueryAttention (Keras 3): query heads share ``num_key_value_heads`` key/value heads.

Projections are EinsumDense layers with Keras's equations and weight names
(query, key, [gate,] value, attention_output); key/value heads are repeated
to the query heads. Without dropout and attention scores Keras uses
``dot_product_attention`` (a query row with every key masked averages the
values); otherwise an explicit masked softmax (such a row is zero) — kxla
follows the same split so both cases match Keras.
"""
from __future__ import annotations

import math

import numpy as np

from ... import constraints, initializers, ops, regularizers
from ..core.einsum_dense import EinsumDense
from ..layer import Layer


def _copy(init):
    return type(init)(**init.get_config()) if isinstance(init, initializers.Initializer) else init


class GroupedQueryAttention(Layer):
    """Grouped-query attention (``keras.layers.GroupedQueryAttention`` / ``GroupQueryAttention``)."""

    def __init__(self, head_dim, num_query_heads, num_key_value_heads, dropout=0.0, use_bias=True,
                 sliding_window=None, flash_attention=None, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, use_gate=False, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True
        if num_query_heads % num_key_value_heads != 0:
            raise ValueError("`num_query_heads` must be divisible by `num_key_value_heads`.")
        if sliding_window is not None and (not isinstance(sliding_window, int) or sliding_window <= 0):
            raise ValueError(f"`sliding_window` must be `None` or a positive integer. Received: "
                             f"sliding_window={sliding_window}")
        self.head_dim, self.num_query_heads, self.num_key_value_heads = head_dim, num_query_heads, num_key_value_heads
        self.num_repeats = num_query_heads // num_key_value_heads
        self.dropout, self.use_bias, self.use_gate, self.sliding_window = dropout, use_bias, use_gate, sliding_window
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.activity_regularizer = regularizers.get(activity_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self.seed = seed

    def _dense(self, equation, shape, bias_axes, name, activation=None):
        return EinsumDense(equation, output_shape=shape, bias_axes=bias_axes if self.use_bias else None, name=name,
                           activation=activation, kernel_initializer=_copy(self.kernel_initializer),
                           bias_initializer=_copy(self.bias_initializer), kernel_regularizer=self.kernel_regularizer,
                           bias_regularizer=self.bias_regularizer, kernel_constraint=self.kernel_constraint,
                           bias_constraint=self.bias_constraint)

    def build(self, query_shape, value_shape=None, key_shape=None):
        if value_shape is None:               # called with the query only: the projections wait for call()
            return
        key_shape = value_shape if key_shape is None else key_shape
        self.feature_dim = query_shape[-1]
        q_heads, kv_heads = (None, self.num_query_heads, self.head_dim), (None, self.num_key_value_heads, self.head_dim)
        self._query_dense = self._dense("bqm,muh->bquh", q_heads, "uh", "query")
        self._query_dense.build(query_shape)
        self._key_dense = self._dense("bkm,mvh->bkvh", kv_heads, "vh", "key")
        self._key_dense.build(key_shape)
        if self.use_gate:
            self._gate_dense = self._dense("bqm,muh->bquh", q_heads, "uh", "gate", activation="sigmoid")
            self._gate_dense.build(query_shape)
        self._value_dense = self._dense("bkm,mvh->bkvh", kv_heads, "vh", "value")
        self._value_dense.build(value_shape)
        self._output_dense = self._dense("bquh,uhm->bqm", (None, self.feature_dim), "m", "attention_output")
        self._output_dense.build((None, None, self.num_query_heads, self.head_dim))
        for sub in self._layers:                      # unique graph names: <layer>/<projection>/<weight>
            for w in sub.weights:
                w.path = f"{self.name}/{sub.name}/{w.name}"
        self.built = True

    def _attention_mask(self, query, value, query_mask, value_mask, key_mask, attention_mask, use_causal_mask):
        auto = None
        for m, axis in ((query_mask, -1), (value_mask, -2), (key_mask, -2)):
            if m is not None:
                m = ops.expand_dims(ops.cast(m, "bool"), axis)
                auto = m if auto is None else ops.logical_and(auto, m)
        tq, tv = query.shape[1], value.shape[1]
        if use_causal_mask or self.sliding_window is not None:
            if tq is None or tv is None:
                raise ValueError("GroupedQueryAttention: causal / sliding-window masks need known sequence lengths")
            rows, cols = np.arange(tq)[:, None], np.arange(tv)[None, :]
            if use_causal_mask:
                causal = (rows >= cols)[None]
                auto = causal if auto is None else ops.logical_and(auto, causal)
            if self.sliding_window is not None:
                band = (np.abs(rows - cols) < self.sliding_window)[None]
                auto = band if auto is None else ops.logical_and(auto, band)
        if auto is not None:
            attention_mask = auto if attention_mask is None else \
                ops.logical_and(ops.cast(attention_mask, "bool"), auto)
        return attention_mask

    def call(self, query, value, key=None, query_mask=None, value_mask=None, key_mask=None, attention_mask=None,
             return_attention_scores=False, training=None, use_causal_mask=False):
        key = value if key is None else key
        if not hasattr(self, "_output_dense"):
            self.build(tuple(query.shape), tuple(value.shape), tuple(key.shape))
        mask = self._attention_mask(query, value, query_mask, value_mask, key_mask, attention_mask, use_causal_mask)
        gate = self._gate_dense(query) if self.use_gate else None
        q, k, v = self._query_dense(query), self._key_dense(key), self._value_dense(value)
        k, v = ops.repeat(k, self.num_repeats, axis=2), ops.repeat(v, self.num_repeats, axis=2)
        q = q * (1.0 / math.sqrt(float(self.head_dim)))
        scores = ops.einsum("bquh,bkuh->buqk", q, k)
        explicit = self.dropout > 0.0 or return_attention_scores
        if mask is not None:
            mask = ops.cast(mask, "bool")
            while len(mask.shape) < 4:
                mask = ops.expand_dims(mask, -3)
            scores = ops.where(mask, scores, -1e9 if scores.dtype != "float16" else -3e4)
        probs = ops.softmax(scores, axis=-1)
        if mask is not None and explicit:
            probs = ops.where(mask, probs, 0.0)
        dropped = ops.dropout(probs, self.dropout, seed=self.seed) if training and self.dropout > 0 else probs
        out = ops.einsum("buqk,bkuh->bquh", dropped, v)
        out = self._output_dense(out * gate if gate is not None else out)
        return (out, probs) if return_attention_scores else out

    def compute_mask(self, inputs, mask=None):
        return mask[0] if isinstance(mask, (list, tuple)) else mask

    def get_config(self):
        return {**super().get_config(), "head_dim": self.head_dim, "num_query_heads": self.num_query_heads,
                "num_key_value_heads": self.num_key_value_heads, "use_bias": self.use_bias,
                "use_gate": self.use_gate, "sliding_window": self.sliding_window, "dropout": self.dropout,
                "kernel_initializer": initializers.serialize(self.kernel_initializer),
                "bias_initializer": initializers.serialize(self.bias_initializer),
                "kernel_regularizer": regularizers.serialize(self.kernel_regularizer),
                "bias_regularizer": regularizers.serialize(self.bias_regularizer),
                "activity_regularizer": regularizers.serialize(self.activity_regularizer),
                "kernel_constraint": constraints.serialize(self.kernel_constraint),
                "bias_constraint": constraints.serialize(self.bias_constraint), "seed": self.seed}


GroupQueryAttention = GroupedQueryAttention
