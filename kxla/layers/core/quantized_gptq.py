"""GPTQ-quantized Dense (Keras 3.15's ``quantize("gptq", config=GPTQConfig(...))``).

``quantize`` adds Keras's variables, uncalibrated: ``kernel`` (uint8,
``(units, in)``, two 4-bit values per byte along the units axis for 4 bits;
its graph name is ``<layer>.quantized_kernel`` so it never clashes with the
float kernel), ``kernel_scale`` and ``kernel_zero`` (uint8) per unit and
group, and ``g_idx`` (each input row's group). Until the model's calibration
(``kxla.models.quantize_gptq``) fills them, the layer computes with its float
kernel, as Keras's; afterwards the float kernel is gone and the forward is
Keras's ``_gptq_call``: unpack, ``(q - zero[g]) * scale[g]``, transpose,
matmul.
"""
from __future__ import annotations

import math

from ... import ops


def weight_bits(layer, config) -> int:
    return config.weight_bits if config is not None and config.mode == "gptq" else layer.dtype_policy.weight_bits


def group_size(layer, config) -> int:
    return config.group_size if config is not None and config.mode == "gptq" else layer.dtype_policy.group_size


def build_gptq(layer, kernel_shape, config, calibrated):
    """Keras's ``_gptq_build`` for a kernel ``(in, units)``."""
    rows, units = kernel_shape
    bits, group = weight_bits(layer, config), group_size(layer, config)
    layer.is_gptq_calibrated, layer._gptq_bits = calibrated, bits
    layer.quantized_kernel = layer.add_weight(name="kernel", shape=((units + 1) // 2 if bits == 4 else units, rows),
                                              initializer="zeros", dtype="uint8", trainable=False)
    layer.quantized_kernel.path = layer.quantized_kernel.path[:-len("kernel")] + "quantized_kernel"
    n_groups = 1 if group == -1 else math.ceil(rows / group)
    layer.kernel_scale = layer.add_weight(name="kernel_scale", shape=(units, n_groups), initializer="ones",
                                          trainable=False)
    layer.kernel_zero = layer.add_weight(name="kernel_zero", shape=(units, n_groups), initializer="zeros",
                                         dtype="uint8", trainable=False)
    layer.g_idx = layer.add_weight(name="g_idx", shape=(rows,), initializer="zeros", dtype="float32",
                                   trainable=False)


def dequantized_kernel(layer):
    """The calibrated kernel ``(in, units)``: unpacked, ``(q - zero[g_idx]) * scale[g_idx]``, transposed."""
    from ...quantizers import unpack_int4
    q = layer.quantized_kernel
    if layer._gptq_bits == 4:
        q = unpack_int4(q, layer.units, axis=0, dtype="uint8")
    groups = ops.cast(layer.g_idx, "int32")
    scales = ops.take(layer.kernel_scale, groups, axis=-1)
    zeros = ops.cast(ops.take(layer.kernel_zero, groups, axis=-1), scales.dtype)
    return ops.transpose(ops.multiply(ops.subtract(q, zeros), scales))


def gptq_matmul(layer, inputs):
    if not layer.is_gptq_calibrated:
        return ops.matmul(inputs, layer.kernel)
    return ops.matmul(inputs, dequantized_kernel(layer))
