"""Embedding (Keras 3): integer ids -> rows of an (input_dim, output_dim) table, via the ``take`` op.

``quantize("int8" | "int4")`` stores the table as int8 (or packed int4) with a
scale per row (per row and group for int4 sub-channel), as Keras; the forward
is then take / cast / divide in the IR.
"""
from __future__ import annotations

import warnings

from ... import constraints, initializers, ops, regularizers
from ..layer import Layer
from . import quantized


class Embedding(Layer):
    """Turns non-negative integer ids into dense vectors (``keras.layers.Embedding``).

    Arguments:
      input_dim: vocabulary size (largest id + 1).
      output_dim: size of each vector.
      embeddings_initializer: default "uniform" (``RandomUniform(-0.05, 0.05)``, as Keras).
      embeddings_regularizer, embeddings_constraint: as for any weight.
      mask_zero: id 0 is padding: the layer then produces a mask ``ids != 0`` that
        flows to mask-consuming layers (RNNs, GlobalAveragePooling1D, attention);
        id 0 still has a row in the table, so ``input_dim`` must count it.
      weights: optional ``[table]`` to start from.
      input_length: accepted and ignored (Keras 2).

    Weights: embeddings (input_dim, output_dim). Input of any shape; output adds a last axis.
    """

    def __init__(self, input_dim, output_dim, embeddings_initializer="uniform", embeddings_regularizer=None,
                 embeddings_constraint=None, mask_zero=False, weights=None, quantization_config=None, **kwargs):
        for name, value in (("input_dim", input_dim), ("output_dim", output_dim)):
            if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
                raise ValueError(f"Embedding: {name} must be a positive integer, got {value!r}")
        if kwargs.pop("input_length", None) is not None:
            warnings.warn("Embedding: argument `input_length` is deprecated and ignored.", stacklevel=2)
        super().__init__(**kwargs)
        self.input_dim = input_dim
        self.output_dim = output_dim
        if isinstance(embeddings_initializer, str) and embeddings_initializer.lower() == "uniform":
            embeddings_initializer = initializers.RandomUniform()       # Keras's alias
        elif isinstance(embeddings_initializer, str) and embeddings_initializer.lower() == "normal":
            embeddings_initializer = initializers.RandomNormal()
        self.embeddings_initializer = initializers.get(embeddings_initializer)
        self.embeddings_regularizer = regularizers.get(embeddings_regularizer)
        self.embeddings_constraint = constraints.get(embeddings_constraint)
        self.quantization_config = quantized.config_arg(quantization_config)
        self.mask_zero = bool(mask_zero)
        self.supports_masking = self.mask_zero
        if weights is not None:
            self.build()
            self.set_weights(weights if isinstance(weights, list) and len(weights) == 1 else [weights])

    def build(self, input_shape=None):
        if self.built:
            return
        if self.quantization_mode:
            self._quantized_build(self.quantization_mode, self.quantization_config)
            self.built = True
            return
        self.embeddings = self.add_weight(shape=(self.input_dim, self.output_dim),
                                          initializer=self.embeddings_initializer,
                                          regularizer=self.embeddings_regularizer,
                                          constraint=self.embeddings_constraint, name="embeddings")
        self.built = True

    def call(self, inputs):
        if inputs.dtype not in ("int32", "int64"):
            inputs = ops.cast(inputs, "int32")
        if self.quantization_mode:
            return quantized.embedding_lookup(self, inputs)
        return ops.take(self.embeddings, inputs, axis=0)

    def compute_mask(self, inputs, mask=None):
        if not self.mask_zero:
            return None
        return ops.not_equal(inputs, 0)

    def compute_output_shape(self, input_shape):
        return (*input_shape, self.output_dim)

    def get_config(self):
        return {**super().get_config(), "input_dim": self.input_dim, "output_dim": self.output_dim,
                "embeddings_initializer": initializers.serialize(self.embeddings_initializer),
                "embeddings_regularizer": regularizers.serialize(self.embeddings_regularizer),
                "embeddings_constraint": constraints.serialize(self.embeddings_constraint),
                "mask_zero": self.mask_zero,
                "quantization_config": quantized.serialize_config(self.quantization_config)}

    # -- quantization (Keras's int8 / int4 forms) ------------------------------------------
    def _quantized_build(self, mode, config):
        quantized.check_buildable(self, mode)
        quantized.build_quantized_table(self, mode, config)

    def _quantize(self, mode, config, type_check):
        quantized.refuse_subclass(self, Embedding, type_check)
        self.quantization_config = config
        quantized.refuse_table_mode(mode)
        table = self.embeddings
        values, scale, zero = quantized.quantize_table(table.numpy(), mode, config)
        quantized.drop_weight(self, table)
        self._quantized_build(mode, config)
        quantized.assign_table(self, values, scale, zero, mode)

    def _keras_saved_variables(self):
        return quantized.saved_variables(self, "embeddings")
