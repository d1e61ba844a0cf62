"""MultiHeadAttention (Keras 3) with Keras's EinsumDense-shaped weights, so Keras weights load as they are."""
from __future__ import annotations

import math
import string

import numpy as np

from ... import constraints, initializers, ops, regularizers
from ..layer import Layer
from ..core import quantized_projection


class _Projection(Layer):
    """An EinsumDense-like projection: ``einsum(equation, x, kernel) + bias`` (weights "kernel", "bias")."""

    def __init__(self, equation, kernel_shape, bias_shape, owner, kernel_initializer, bias_initializer,
                 kernel_regularizer, bias_regularizer, kernel_constraint, bias_constraint, **kwargs):
        super().__init__(**kwargs)
        self.equation, self.kernel_shape, self.bias_shape = equation, tuple(kernel_shape), bias_shape
        self._owner = owner
        self._init = (kernel_initializer, bias_initializer, kernel_regularizer, bias_regularizer,
                      kernel_constraint, bias_constraint)

    def build(self, input_shape=None):
        k_init, b_init, k_reg, b_reg, k_con, b_con = self._init
        self.kernel = self.add_weight(shape=self.kernel_shape, initializer=k_init, regularizer=k_reg,
                                      constraint=k_con, name="kernel")
        self.bias = self.add_weight(shape=self.bias_shape, initializer=b_init, regularizer=b_reg,
                                    constraint=b_con, name="bias") if self.bias_shape is not None else None
        for w in self.weights:                 # unique graph names: <mha>/<projection>/<weight>
            w.path = f"{self._owner}/{self.name}/{w.name}"
        self.built = True

    def call(self, inputs):
        if self.quantization_mode:
            return quantized_projection.call(self, inputs)
        out = ops.einsum(self.equation, inputs, self.kernel)
        return out if self.bias is None else out + self.bias

    # quantization: Keras quantizes MultiHeadAttention's EinsumDense projections (int8 / int4)
    def _quantize(self, mode, config, type_check):
        quantized_projection.quantize(self, mode, config)

    def _keras_saved_variables(self):
        from ..core.quantized import saved_variables
        return saved_variables(self, "kernel")


def _initializer_copy(init):
    """A fresh initializer of the same kind (Keras gives each projection its own)."""
    if isinstance(init, initializers.Initializer):
        return type(init)(**init.get_config())
    return init


class MultiHeadAttention(Layer):
    """Multi-head scaled dot-product attention (``keras.layers.MultiHeadAttention``).

    Arguments:
      num_heads, key_dim: number of heads and size of each query/key head.
      value_dim: size of each value head (default ``key_dim``).
      dropout: dropout rate on the attention probabilities (training only).
      use_bias: whether the four projections have biases.
      use_gate: gated attention (Keras 3.15): each head's output is multiplied
        by ``sigmoid`` of a fifth projection of the query (weights "gate").
      output_shape: last dims of the output (default: the query's feature size).
      attention_axes: only the default (attention over the sequence axis of
        rank-3 inputs; ``None``, ``1`` or ``-2``) is supported.
      kernel_/bias_ initializer, regularizer, constraint: for the projections.

    Inputs are ``(batch, time, features)``. Weights, in Keras's order and
    shapes: query/kernel (dim_q, heads, key_dim), query/bias (heads, key_dim),
    key/kernel, key/bias, value/kernel (dim_v, heads, value_dim), value/bias,
    attention_output/kernel (heads, value_dim, out), attention_output/bias (out,).

    Call: ``layer(query, value, key=None, attention_mask=None,
    return_attention_scores=False, training=None, use_causal_mask=False)``;
    Keras masks on query/value/key (``Embedding(mask_zero=True)``) are used
    too. Masked positions get probability 0 (a query row with every key
    masked gives all-zero probabilities, as Keras's masked softmax).
    """

    def __init__(self, num_heads, key_dim, value_dim=None, dropout=0.0, use_bias=True, output_shape=None,
                 attention_axes=None, kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, use_gate=False, seed=None, **kwargs):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        for name, value in (("num_heads", num_heads), ("key_dim", key_dim)):
            if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
                raise ValueError(f"MultiHeadAttention: {name} must be a positive integer, got {value!r}")
        if value_dim is not None and (not isinstance(value_dim, int) or value_dim <= 0):
            raise ValueError(f"MultiHeadAttention: value_dim must be a positive integer or None, got {value_dim!r}")
        axes = (attention_axes,) if isinstance(attention_axes, int) else attention_axes
        if axes is not None and tuple(axes) not in ((1,), (-2,)):
            raise ValueError(f"MultiHeadAttention: attention_axes={attention_axes!r} is not supported by kxla; "
                             "only attention over the sequence axis of (batch, time, features) inputs "
                             "(attention_axes=None) is")
        if output_shape is not None:
            output_shape = (output_shape,) if isinstance(output_shape, int) else tuple(output_shape)
        self.num_heads = num_heads
        self.key_dim = key_dim
        self.value_dim = value_dim or key_dim
        self.dropout = float(dropout)
        self.use_bias = bool(use_bias)
        self.use_gate = bool(use_gate)
        self._output_shape = output_shape
        self.attention_axes = attention_axes
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self.seed = seed
        self.supports_masking = True

    def _projection(self, name, equation, kernel_shape, bias_shape):
        return _Projection(equation, kernel_shape, bias_shape if self.use_bias else None, self.name,
                           _initializer_copy(self.kernel_initializer), _initializer_copy(self.bias_initializer),
                           self.kernel_regularizer, self.bias_regularizer, self.kernel_constraint,
                           self.bias_constraint, name=name)

    def build(self, query_shape, value_shape=None, key_shape=None):
        value_shape = query_shape if value_shape is None else value_shape
        key_shape = value_shape if key_shape is None else key_shape
        for what, shape in (("query", query_shape), ("value", value_shape), ("key", key_shape)):
            if len(shape) != 3 or shape[-1] is None:
                raise ValueError(f"MultiHeadAttention: {what} must have shape (batch, time, features) with "
                                 f"known features, got {tuple(shape)}")
        if tuple(value_shape[1:-1]) != tuple(key_shape[1:-1]):
            raise ValueError(f"All dimensions of value and key, except the last one, must be equal; got "
                             f"value_shape={tuple(value_shape)} and key_shape={tuple(key_shape)}")
        n, kd, vd = self.num_heads, self.key_dim, self.value_dim
        out = self._output_shape or (query_shape[-1],)
        letters = string.ascii_lowercase[4:4 + len(out)]
        self.query_dense = self._projection("query", "abc,cde->abde", (query_shape[-1], n, kd), (n, kd))
        self.key_dense = self._projection("key", "abc,cde->abde", (key_shape[-1], n, kd), (n, kd))
        if self.use_gate:             # Keras's gated attention: sigmoid(query projection) scales each head
            self._gate_dense = self._projection("gate", "abc,cde->abde", (query_shape[-1], n, vd), (n, vd))
            self._gate_dense.build()
        self.value_dense = self._projection("value", "abc,cde->abde", (value_shape[-1], n, vd), (n, vd))
        self.output_dense = self._projection("attention_output", f"abcd,cd{letters}->ab{letters}",
                                             (n, vd) + tuple(out), tuple(out))
        for sub in (self.query_dense, self.key_dense, self.value_dense, self.output_dense):
            sub.build()
        self.built = True

    def __call__(self, *args, **kwargs):
        if not self.built:
            names = ("query", "value", "key")
            given = dict(zip(names, args))
            given.update({k: kwargs[k] for k in names if kwargs.get(k) is not None})
            if "query" not in given or "value" not in given:
                raise ValueError("MultiHeadAttention must be called with query and value tensors")
            self.build(tuple(given["query"].shape), tuple(given["value"].shape),
                       tuple(given["key"].shape) if given.get("key") is not None else None)
        return super().__call__(*args, **kwargs)

    def call(self, query, value, key=None, query_mask=None, value_mask=None, key_mask=None, attention_mask=None,
             return_attention_scores=False, training=None, use_causal_mask=False):
        if key is None:
            key = value
        attention_mask = self._compute_attention_mask(query, value, query_mask, value_mask, key_mask,
                                                      attention_mask, use_causal_mask)
        q = self.query_dense(query)                                         # (B, T, N, key_dim)
        k = self.key_dense(key)                                             # (B, S, N, key_dim)
        v = self.value_dense(value)                                         # (B, S, N, value_dim)
        q = q * (1.0 / math.sqrt(float(self.key_dim)))
        scores = ops.einsum("aecd,abcd->acbe", k, q)                        # (B, N, T, S)
        if attention_mask is not None:
            mask = ops.expand_dims(attention_mask, -3)                      # (B, 1, T, S)
            scores = ops.softmax(ops.where(mask, scores, -1e9), axis=-1)
            scores = ops.where(mask, scores, 0.0)
        else:
            scores = ops.softmax(scores, axis=-1)
        probs = scores
        if training and self.dropout > 0:
            probs = ops.dropout(scores, self.dropout)
        heads = ops.einsum("acbe,aecd->abcd", probs, v)                    # (B, T, N, value_dim)
        if self.use_gate:
            heads = heads * ops.sigmoid(self._gate_dense(query))
        out = self.output_dense(heads)
        if return_attention_scores:
            return out, scores
        return out

    def _compute_attention_mask(self, query, value, query_mask, value_mask, key_mask, attention_mask,
                                use_causal_mask):
        """Merge Keras masks (query [B,T,1], value/key [B,1,S]), the causal mask and ``attention_mask``."""
        def as_bool(m):
            return m if m.dtype == "bool" else ops.cast(m, "bool")

        auto = None
        for m, axis in ((query_mask, -1), (value_mask, -2), (key_mask, -2)):
            if m is not None:
                m = ops.expand_dims(as_bool(m), axis)
                auto = m if auto is None else ops.logical_and(auto, m)
        if use_causal_mask:
            t, s = query.shape[1], value.shape[1]
            if t is None or s is None:
                raise ValueError("MultiHeadAttention: use_causal_mask needs static sequence lengths, got "
                                 f"query {tuple(query.shape)} and value {tuple(value.shape)}")
            causal = np.tril(np.ones((1, t, s), dtype=bool))
            auto = causal if auto is None else ops.logical_and(auto, causal)
        if attention_mask is not None:
            attention_mask = as_bool(attention_mask)
            if auto is not None:
                attention_mask = ops.logical_and(attention_mask, auto)
        elif auto is not None:
            attention_mask = auto
        return attention_mask

    def compute_output_shape(self, query_shape, value_shape=None, key_shape=None):
        query_shape = tuple(query_shape)
        if self._output_shape:
            return query_shape[:-1] + tuple(self._output_shape)
        return query_shape

    def get_config(self):
        return {**super().get_config(), "num_heads": self.num_heads, "key_dim": self.key_dim,
                "value_dim": self.value_dim, "dropout": self.dropout, "use_bias": self.use_bias,
                "use_gate": self.use_gate,
                "output_shape": self._output_shape, "attention_axes": self.attention_axes,
                "kernel_initializer": initializers.serialize(self.kernel_initializer),
                "bias_initializer": initializers.serialize(self.bias_initializer),
                "kernel_regularizer": regularizers.serialize(self.kernel_regularizer),
                "bias_regularizer": regularizers.serialize(self.bias_regularizer),
                "kernel_constraint": constraints.serialize(self.kernel_constraint),
                "bias_constraint": constraints.serialize(self.bias_constraint), "seed": self.seed}
