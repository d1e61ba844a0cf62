"""EinsumDense (Keras 3): ``activation(einsum(equation, inputs, kernel) + bias)``.

Weight shapes come from the equation as Keras derives them: each kernel
letter takes its size from the output shape (``output_shape``, the batch dim
excluded) or else from the input; ``bias_axes`` picks the output letters the
bias spans (broadcast over the rest).
"""
from __future__ import annotations

import re

from ... import activations, constraints, initializers, ops, regularizers
from ..layer import InputSpec, Layer
from . import quantized, quantized_float8
from .quantized_einsum import build_int4, flat_size, layout_scale, quantization_layout, quantize_int4, scale_shape


def _split(equation: str):
    eq = re.sub(r"\.\.\.", "0", equation)
    for pattern, left in (("([a-zA-Z]+),([a-zA-Z]+)->([a-zA-Z]+)$", False),
                          ("0([a-zA-Z]+),([a-zA-Z]+)->0([a-zA-Z]+)$", True),
                          ("([a-zA-Z]{2,})0,([a-zA-Z]+)->([a-zA-Z]+)0$", False)):
        m = re.match(pattern, eq)
        if m:
            return m.group(1), m.group(2), m.group(3), left
    raise ValueError(f"Invalid einsum equation '{equation}'. Equations must be in the form "
                     "[X],[Y]->[Z], ...[X],[Y]->...[Z], or [X]...,[Y]->[Z]....")


def analyze_einsum(equation, bias_axes, input_shape, output_shape):
    """(kernel_shape, bias_shape or None, full output shape) for ``equation`` on ``input_shape``."""
    in_spec, w_spec, out_spec, left = _split(equation)
    elided = len(input_shape) - len(in_spec)
    out_shape = [output_shape] if isinstance(output_shape, int) else list(output_shape)
    out_shape.insert(0, input_shape[0])
    if elided > 0 and left:
        for i in range(1, elided):
            out_shape.insert(1, input_shape[i])
    elif elided > 0:
        out_shape.extend(input_shape[len(input_shape) - elided:])
    if left:
        in_map = {d: i + elided - len(input_shape) for i, d in enumerate(in_spec)}
        out_map = {d: i + elided for i, d in enumerate(out_spec)}
    else:
        in_map = {d: i for i, d in enumerate(in_spec)}
        out_map = {d: i for i, d in enumerate(out_spec)}
    for d in in_spec:
        if d in out_map and out_shape[out_map[d]] is not None and out_shape[out_map[d]] != input_shape[in_map[d]]:
            raise ValueError(f"Input shape and output shape do not match at shared dimension '{d}'. Input shape "
                             f"is {input_shape[in_map[d]]}, and output shape is {out_shape[out_map[d]]}.")
    for d in out_spec:
        if d not in in_spec and d not in w_spec:
            raise ValueError(f"Dimension '{d}' was specified in the output '{out_spec}' but has no corresponding "
                             f"dim in the input spec '{in_spec}' or weight spec '{out_spec}'")
    kernel = []
    for d in w_spec:
        if d in out_map:
            kernel.append(out_shape[out_map[d]])
        elif d in in_map:
            kernel.append(input_shape[in_map[d]])
        else:
            raise ValueError(f"Weight dimension '{d}' did not have a match in either the input spec '{in_spec}' "
                             f"or the output spec '{out_spec}'. For this layer, the weight must be fully specified.")
    bias = None
    if bias_axes is not None:
        offset = elided if left else 0
        sizes = {c: out_shape[i + offset] for i, c in enumerate(out_spec)}
        for c in bias_axes:
            if c not in out_spec:
                raise ValueError(f"Bias dimension '{c}' was requested, but is not part of the output spec "
                                 f"'{out_spec}'")
        first = min(out_spec.find(c) for c in bias_axes)
        bias = [sizes[c] if c in bias_axes else 1 for c in out_spec[first:]]
        if not left:
            bias += [1] * max(elided, 0)
    return kernel, bias, out_shape


class EinsumDense(Layer):
    """A dense layer of any rank, written as an einsum (``keras.layers.EinsumDense``).

    ``quantize("int8" | "int4")`` stores the kernel as Keras does (int8 with the
    scale laid out against the output; int4 flattened and packed); ``lora_rank``
    is not supported (a clear error).
    """

    def __init__(self, equation, output_shape, activation=None, bias_axes=None,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros", kernel_regularizer=None,
                 bias_regularizer=None, kernel_constraint=None, bias_constraint=None, lora_rank=None,
                 lora_alpha=None, gptq_unpacked_column_size=None, quantization_config=None, **kwargs):
        super().__init__(**kwargs)
        if lora_rank or gptq_unpacked_column_size:
            raise NotImplementedError("kxla's EinsumDense does not support LoRA or GPTQ "
                                      "(lora_rank, gptq_unpacked_column_size)")
        self.quantization_config = quantized.config_arg(quantization_config)
        self.equation = equation
        self.partial_output_shape = (output_shape,) if isinstance(output_shape, int) else tuple(output_shape)
        self.bias_axes = bias_axes
        self.activation = activations.get(activation)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self.lora_rank, self.lora_alpha = None, None
        _split(equation)

    def build(self, input_shape):
        kernel, bias, self.full_output_shape = analyze_einsum(self.equation, self.bias_axes, tuple(input_shape),
                                                              self.partial_output_shape)
        self.input_spec = InputSpec(ndim=len(input_shape))
        if self.quantization_mode == "float8":
            quantized_float8.build_float8(self)          # Keras builds these before the kernel
        if self.quantization_mode and self.quantization_mode != "float8":
            self._quantized_build(tuple(kernel), self.quantization_mode, self.quantization_config)
        else:
            self.kernel = self.add_weight(name="kernel", shape=tuple(kernel), initializer=self.kernel_initializer,
                                          regularizer=self.kernel_regularizer, constraint=self.kernel_constraint)
        self.bias = self.add_weight(name="bias", shape=tuple(bias), initializer=self.bias_initializer,
                                    regularizer=self.bias_regularizer,
                                    constraint=self.bias_constraint) if bias is not None else None
        self.built = True

    def call(self, inputs, training=None):
        if self.quantization_mode == "float8":
            return self.activation(quantized_float8.float8_dot(self, inputs, self.equation))
        if self.quantization_mode:
            shape = getattr(self, "_int4_kernel_shape", None) if self.quantization_mode == "int4" else None
            x = quantized.quantized_dot(self, inputs, self._quant_layout["equation"],
                                        None if shape is None else flat_size(shape, self._quant_layout)[1], shape)
        else:
            x = ops.einsum(self.equation, inputs, self.kernel)
        if self.bias is not None:
            x = x + self.bias
        return self.activation(x)

    def compute_output_shape(self, input_shape):
        return tuple(analyze_einsum(self.equation, self.bias_axes, tuple(input_shape),
                                    self.partial_output_shape)[2])

    def get_config(self):
        return {**super().get_config(), "output_shape": self.partial_output_shape, "equation": self.equation,
                "activation": activations.serialize(self.activation), "bias_axes": self.bias_axes,
                "kernel_initializer": initializers.serialize(self.kernel_initializer),
                "bias_initializer": initializers.serialize(self.bias_initializer),
                "kernel_regularizer": regularizers.serialize(self.kernel_regularizer),
                "bias_regularizer": regularizers.serialize(self.bias_regularizer),
                "activity_regularizer": regularizers.serialize(self.activity_regularizer),
                "kernel_constraint": constraints.serialize(self.kernel_constraint),
                "bias_constraint": constraints.serialize(self.bias_constraint),
                "quantization_config": quantized.serialize_config(self.quantization_config)}

    # -- quantization (Keras's int8 form) -----------------------------------------------------
    def _quantized_build(self, kernel_shape, mode, config):
        quantized.check_buildable(self, mode)
        self._quant_layout = quantization_layout(self.equation, self.input_spec.ndim)
        if mode == "int4":
            build_int4(self, kernel_shape, config)
            return
        quantized.build_quantized_kernel(self, kernel_shape, scale_shape(kernel_shape, self._quant_layout), mode,
                                         config, quantized.AbsMaxQuantizer())

    def _quantize(self, mode, config, type_check):
        quantized.refuse_subclass(self, EinsumDense, type_check)
        if mode == "float8":
            quantized_float8.check_policy(self)
            self.quantization_config = config
            quantized_float8.build_float8(self)
            return
        self.quantization_config = config
        layout = quantization_layout(self.equation, self.input_spec.ndim)
        float_kernel = self.kernel
        if mode == "int4":
            values, scale, zero = quantize_int4(float_kernel.numpy(), layout, config)
        else:
            values, scale, zero = quantized.quantize_kernel(self, float_kernel.numpy(), mode, config,
                                                            tuple(layout["reduced"]),
                                                            lambda s: layout_scale(s, layout))
        quantized.drop_weight(self, float_kernel)
        self._quantized_build(tuple(float_kernel.shape), mode, config)
        quantized.assign_quantized(self, values, scale, zero, mode)

    def _keras_saved_variables(self):
        return quantized.saved_variables(self, "kernel")
