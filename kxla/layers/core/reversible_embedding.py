"""ReversibleEmbedding (Keras 3): an Embedding that also maps vectors back to logits (``reverse=True``)."""
from __future__ import annotations

from ... import ops
from .embedding import Embedding


class ReversibleEmbedding(Embedding):
    """Embedding whose ``call(x, reverse=True)`` is ``x @ embeddings.T`` (tied) or ``x @ reverse_embeddings``
    (``keras.layers.ReversibleEmbedding``); ``logit_soft_cap`` caps logits with ``tanh``."""

    def __init__(self, input_dim, output_dim, tie_weights=True, embeddings_initializer="uniform",
                 embeddings_regularizer=None, embeddings_constraint=None, mask_zero=False, reverse_dtype=None,
                 logit_soft_cap=None, **kwargs):
        if kwargs.pop("quantization_config", None) is not None:
            raise ValueError("kxla's ReversibleEmbedding does not support quantization_config")
        super().__init__(input_dim, output_dim, embeddings_initializer=embeddings_initializer,
                         embeddings_regularizer=embeddings_regularizer, embeddings_constraint=embeddings_constraint,
                         mask_zero=mask_zero, **kwargs)
        self.tie_weights, self.reverse_dtype, self.logit_soft_cap = tie_weights, reverse_dtype, logit_soft_cap
        self._reversed = False

    def build(self, input_shape=None):
        if self.built:
            return
        super().build(input_shape)
        if not self.tie_weights:
            self.reverse_embeddings = self.add_weight(shape=(self.output_dim, self.input_dim),
                                                      initializer=self.embeddings_initializer,
                                                      name="reverse_embeddings")
        self.built = True

    def call(self, inputs, reverse=False):
        self._reversed = reverse
        if not reverse:
            return super().call(inputs)
        kernel = ops.transpose(self.embeddings) if self.tie_weights else self.reverse_embeddings
        if self.reverse_dtype is not None:
            inputs, kernel = ops.cast(inputs, self.reverse_dtype), ops.cast(kernel, self.reverse_dtype)
        logits = ops.matmul(inputs, kernel)
        if self.logit_soft_cap is not None:
            logits = ops.tanh(logits / self.logit_soft_cap) * self.logit_soft_cap
        return logits

    # Keras quantizes ReversibleEmbedding (int8 / int4); kxla does not: a clear error, in model.quantize too.
    _quantize_unsupported = True

    def _quantize(self, mode, config, type_check):
        raise NotImplementedError(f"kxla's ReversibleEmbedding does not support quantization (mode={mode!r}); "
                                  "Keras quantizes it, kxla does not yet")

    def _quantized_build(self, mode, config):
        raise NotImplementedError(f"kxla's ReversibleEmbedding does not support quantized dtype policies "
                                  f"({self.dtype_policy.name!r})")

    def compute_mask(self, inputs, mask=None):
        return None if self._reversed else super().compute_mask(inputs, mask)

    def compute_output_shape(self, input_shape, reverse=False):
        return (*input_shape[:-1], self.input_dim) if reverse else (*input_shape, self.output_dim)

    def get_config(self):
        from ... import regularizers
        return {**super().get_config(), "tie_weights": self.tie_weights, "reverse_dtype": self.reverse_dtype,
                "logit_soft_cap": self.logit_soft_cap,
                "activity_regularizer": regularizers.serialize(self.activity_regularizer), "quantization_config": None}
