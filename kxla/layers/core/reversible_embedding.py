"""ReversibleEmbedding (Keras 3): an Embedding that also maps vectors back to logits (``reverse=True``)."""
from __future__ import annotations

import numpy as np

from ... import ops
from ...quantizers import AbsMaxQuantizer, QuantizationConfig
from ...quantizers.config import UnsupportedQuantization
from . import quantized
from .embedding import Embedding


class ReversibleEmbedding(Embedding):
    """Embedding whose ``call(x, reverse=True)`` is ``x @ embeddings.T`` (tied) or ``x @ reverse_embeddings``
    (``keras.layers.ReversibleEmbedding``); ``logit_soft_cap`` caps logits with ``tanh``."""

    def __init__(self, input_dim, output_dim, tie_weights=True, embeddings_initializer="uniform",
                 embeddings_regularizer=None, embeddings_constraint=None, mask_zero=False, reverse_dtype=None,
                 logit_soft_cap=None, **kwargs):
        super().__init__(input_dim, output_dim, embeddings_initializer=embeddings_initializer,
                         embeddings_regularizer=embeddings_regularizer, embeddings_constraint=embeddings_constraint,
                         mask_zero=mask_zero, **kwargs)
        self.tie_weights, self.reverse_dtype, self.logit_soft_cap = tie_weights, reverse_dtype, logit_soft_cap
        self._reversed = False

    def build(self, input_shape=None):
        if self.built:
            return
        super().build(input_shape)
        if not self.tie_weights and not self.quantization_mode:
            self.reverse_embeddings = self.add_weight(shape=(self.output_dim, self.input_dim),
                                                      initializer=self.embeddings_initializer,
                                                      name="reverse_embeddings")
        self.built = True

    def call(self, inputs, reverse=False):
        self._reversed = reverse
        if not reverse:
            return super().call(inputs)
        if self.quantization_mode:
            logits = self._quantized_reverse(inputs)
        else:
            kernel = ops.transpose(self.embeddings) if self.tie_weights else self.reverse_embeddings
            if self.reverse_dtype is not None:
                inputs, kernel = ops.cast(inputs, self.reverse_dtype), ops.cast(kernel, self.reverse_dtype)
            logits = ops.matmul(inputs, kernel)
        if self.logit_soft_cap is not None:
            logits = ops.tanh(logits / self.logit_soft_cap) * self.logit_soft_cap
        return logits

    # -- quantization (Keras's int8 form; int4 raises) -------------------------------------------
    def _quantized_build(self, mode, config):
        if mode != "int8":
            raise UnsupportedQuantization(f"kxla's ReversibleEmbedding supports int8 quantization only, not {mode!r}")
        super()._quantized_build(mode, config)
        self.inputs_quantizer = QuantizationConfig.activation_quantizer_or_default(config, AbsMaxQuantizer(axis=-1))
        if not self.tie_weights:
            self.reverse_embeddings = self.add_weight(name="reverse_embeddings", initializer="zeros", dtype="int8",
                                                      shape=(self.output_dim, self.input_dim), trainable=False)
            self.reverse_embeddings_scale = self.add_weight(name="reverse_embeddings_scale", shape=(self.input_dim,),
                                                            initializer="ones", trainable=False)

    def _quantize(self, mode, config, type_check):
        quantized.refuse_subclass(self, ReversibleEmbedding, type_check)
        if mode not in ("int8", "int4"):
            self.quantization_config = config                  # as Keras, before its error
        quantized.refuse_table_mode(mode)
        if mode != "int8":
            raise UnsupportedQuantization(f"kxla's ReversibleEmbedding supports int8 quantization only, not {mode!r}")
        self.quantization_config = config
        table = self.embeddings
        values, scale, _ = quantized.quantize_table(table.numpy(), mode, config)
        quantized.drop_weight(self, table)
        if not self.tie_weights:
            reverse = self.reverse_embeddings
            quantizer = QuantizationConfig.weight_quantizer_or_default(config, AbsMaxQuantizer(axis=0))
            r_values, r_scale = (np.asarray(t) for t in quantizer(reverse.numpy(), to_numpy=True))
            quantized.drop_weight(self, reverse)
        self._quantized_build(mode, config)
        quantized.assign_table(self, values, scale, None, mode)
        if not self.tie_weights:
            self.reverse_embeddings.assign(r_values.astype("int8"))
            self.reverse_embeddings_scale.assign(r_scale.squeeze(0).astype("float32"))

    def _quantized_reverse(self, inputs):
        """Keras's int8 reverse call: ``inputs @ kernel`` on int8 values, divided by both scales."""
        quantizer = self.inputs_quantizer
        if quantizer is not None and quantizer.axis not in (None, (-1,), (len(inputs.shape) - 1,)):
            raise NotImplementedError("kxla's quantized ReversibleEmbedding quantizes its inputs along the last "
                                      f"axis only; got an activation quantizer with axis={quantizer.axis}")
        tied = self.tie_weights
        kernel = ops.transpose(self.embeddings) if tied else self.reverse_embeddings
        scale = self.embeddings_scale if tied else self.reverse_embeddings_scale
        return ops.apply("quantized_dot", inputs, kernel, scale, mode="int8", input_gradient="autodiff",
                         **quantized.input_quantizer_attrs(quantizer))

    def _keras_saved_variables(self):
        names = {None: ["embeddings", "reverse_embeddings"],
                 "int8": ["embeddings", "embeddings_scale", "reverse_embeddings", "reverse_embeddings_scale"]}
        return [getattr(self, n) for n in names[self.quantization_mode] if getattr(self, n, None) is not None]

    def compute_mask(self, inputs, mask=None):
        return None if self._reversed else super().compute_mask(inputs, mask)

    def compute_output_shape(self, input_shape, reverse=False):
        return (*input_shape[:-1], self.input_dim) if reverse else (*input_shape, self.output_dim)

    def get_config(self):
        from ... import regularizers
        return {**super().get_config(), "tie_weights": self.tie_weights, "reverse_dtype": self.reverse_dtype,
                "logit_soft_cap": self.logit_soft_cap,
                "activity_regularizer": regularizers.serialize(self.activity_regularizer),
                "quantization_config": quantized.serialize_config(self.quantization_config)}
