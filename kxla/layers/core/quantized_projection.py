"""Quantizing an EinsumDense-shaped projection that is not an EinsumDense (MultiHeadAttention's).

Keras's MultiHeadAttention holds EinsumDense sublayers, which ``model.quantize``
quantizes; kxla's holds ``_Projection`` layers with the same equations and
weights. These functions give them EinsumDense's int8 / int4 forms (same
variables, same ``quantized_dot`` forward).
"""
from __future__ import annotations

from ...quantizers.config import UnsupportedQuantization
from . import quantized, quantized_float8
from .quantized_einsum import build_int4, flat_size, layout_scale, quantization_layout, quantize_int4, scale_shape


def _layout(layer):
    if "..." in layer.equation:
        raise UnsupportedQuantization(f"quantizing the projection {layer.name!r}: equation "
                                                f"{layer.equation!r} has an ellipsis")
    layer._quant_layout = quantization_layout(layer.equation, len(layer.equation.split(",")[0]))
    return layer._quant_layout


def quantize(layer, mode, config):
    """EinsumDense's ``quantize`` for ``layer`` (float kernel -> int8 / packed int4 weights)."""
    if mode == "float8":
        quantized_float8.check_policy(layer)
        layer.quantization_config = config
        quantized_float8.build_float8(layer)
        _owned_paths(layer, quantized_float8.float8_variables(layer))
        return
    layout = _layout(layer)
    layer.quantization_config = config
    float_kernel = layer.kernel
    kernel_shape = tuple(float_kernel.shape)
    if mode == "int4":
        values, scale, zero = quantize_int4(float_kernel.numpy(), layout, config)
    else:
        values, scale, zero = quantized.quantize_kernel(layer, float_kernel.numpy(), mode, config,
                                                        tuple(layout["reduced"]), lambda s: layout_scale(s, layout))
    quantized.drop_weight(layer, float_kernel)
    if mode == "int4":
        build_int4(layer, kernel_shape, config)
    else:
        quantized.build_quantized_kernel(layer, kernel_shape, scale_shape(kernel_shape, layout), mode, config,
                                         quantized.AbsMaxQuantizer())
    _owned_paths(layer, (layer.kernel, layer.kernel_scale, getattr(layer, "kernel_zero", None),
                         getattr(layer, "g_idx", None)))
    quantized.assign_quantized(layer, values, scale, zero, mode)


def _owned_paths(layer, weights):
    owner = getattr(layer, "_owner", None)
    for w in weights:
        if w is not None and owner:
            w.path = f"{owner}/{layer.name}/{w.name}"


def call(layer, inputs):
    """The quantized forward: ``quantized_dot`` plus the bias (float8: Keras's float8 EinsumDense forward)."""
    if layer.quantization_mode == "float8":
        return quantized_float8.float8_dot(layer, inputs, layer.equation)
    shape = getattr(layer, "_int4_kernel_shape", None) if layer.quantization_mode == "int4" else None
    layout = layer._quant_layout
    out = quantized.quantized_dot(layer, inputs, layout["equation"],
                                  None if shape is None else flat_size(shape, layout)[1], shape)
    return out if layer.bias is None else out + layer.bias
