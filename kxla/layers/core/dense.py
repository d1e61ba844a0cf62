"""Dense: ``activation(inputs @ kernel + bias)``, kernel ``(in, units)`` as in Keras 3.

``quantize("int8" | "int4")`` makes the kernel int8 (or packed int4) with
Keras's variables; the forward is then one ``quantized_dot`` op.
``quantize("float8")`` keeps the float kernel and adds Keras's float8 scales
and amax histories (``quantized_float8``); ``quantize("gptq")`` adds Keras's
GPTQ variables, filled by the model's calibration (``quantized_gptq``).
"""
from __future__ import annotations

from ... import activations, constraints, initializers, ops, regularizers
from ..layer import InputSpec, Layer
from . import quantized, quantized_float8, quantized_gptq


class Dense(Layer):
    def __init__(self, units, activation=None, use_bias=True, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, kernel_constraint=None, bias_constraint=None, quantization_config=None,
                 **kwargs):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        self.quantization_config = quantized.config_arg(quantization_config)
        if not isinstance(units, int) or units <= 0:
            raise ValueError(f"Dense units must be a positive integer, got {units!r}")
        self.units = units
        self.activation = activations.get(activation)
        self.use_bias = use_bias
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self.input_spec = InputSpec(min_ndim=2)
        self.supports_masking = True

    def build(self, input_shape):
        in_dim = input_shape[-1]
        if in_dim is None:
            raise ValueError(f"the last dimension of the input to Dense must be known, got {input_shape}")
        if self.quantization_mode == "float8":
            quantized_float8.build_float8(self)          # Keras builds these before the kernel
        if self.quantization_mode == "gptq":                # loaded: calibrated values come with it
            quantized.check_buildable(self, "gptq")
            quantized_gptq.build_gptq(self, (in_dim, self.units), self.quantization_config, calibrated=True)
        elif self.quantization_mode and self.quantization_mode != "float8":
            self._quantized_build((in_dim, self.units), self.quantization_mode, self.quantization_config)
        else:
            self.kernel = self.add_weight(shape=(in_dim, self.units), initializer=self.kernel_initializer,
                                          regularizer=self.kernel_regularizer,
                                          constraint=self.kernel_constraint, name="kernel")
        self.bias = self.add_weight(shape=(self.units,), initializer=self.bias_initializer,
                                    regularizer=self.bias_regularizer, constraint=self.bias_constraint,
                                    name="bias") if self.use_bias else None
        self.input_spec = InputSpec(min_ndim=2, axes={-1: in_dim})
        self.built = True

    def call(self, inputs):
        if self.quantization_mode == "float8":
            return self.activation(quantized_float8.float8_dot(self, inputs))
        if self.quantization_mode == "gptq":
            x = quantized_gptq.gptq_matmul(self, inputs)
        elif self.quantization_mode:
            x = quantized.quantized_dot(self, inputs, None, self.units)
        else:
            x = ops.matmul(inputs, self.kernel)
        if self.use_bias:
            x = ops.bias_add(x, self.bias)
        return self.activation(x)

    def get_config(self):
        return {**super().get_config(), "units": self.units,
                "activation": activations.serialize(self.activation), "use_bias": self.use_bias,
                "kernel_initializer": initializers.serialize(self.kernel_initializer),
                "bias_initializer": initializers.serialize(self.bias_initializer),
                "kernel_regularizer": regularizers.serialize(self.kernel_regularizer),
                "bias_regularizer": regularizers.serialize(self.bias_regularizer),
                "kernel_constraint": constraints.serialize(self.kernel_constraint),
                "bias_constraint": constraints.serialize(self.bias_constraint),
                "quantization_config": quantized.serialize_config(self.quantization_config)}

    # -- quantization (Keras's int8 / int4 forms) ------------------------------------------
    def _quantized_build(self, kernel_shape, mode, config):
        quantized.check_buildable(self, mode)
        quantized.build_quantized_kernel(self, kernel_shape, (kernel_shape[1],), mode, config,
                                         quantized.AbsMaxQuantizer() if mode == "int8" else None)

    def _quantize(self, mode, config, type_check):
        quantized.refuse_subclass(self, Dense, type_check)
        if mode == "float8":
            quantized_float8.check_policy(self)
            self.quantization_config = config
            quantized_float8.build_float8(self)
            return
        self.quantization_config = config
        if mode == "gptq":                  # calibrated later by model.quantize (kxla.models.quantize_gptq)
            quantized_gptq.build_gptq(self, tuple(self.kernel.shape), config, calibrated=False)
            return
        float_kernel = self.kernel
        values, scale, zero = quantized.quantize_kernel(self, float_kernel.numpy(), mode, config, 0,
                                                        lambda s: s.squeeze(0))
        quantized.drop_weight(self, float_kernel)
        self._quantized_build(tuple(float_kernel.shape), mode, config)
        quantized.assign_quantized(self, values, scale, zero, mode)

    def _keras_saved_variables(self):
        return quantized.saved_variables(self, "kernel")
