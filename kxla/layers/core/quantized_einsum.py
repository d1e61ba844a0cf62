"""EinsumDense's int8 layout (Keras 3): which kernel axes are reduced and how the kernel scale is laid out.

Keras stores the per-channel kernel scale already arranged to broadcast
against the einsum's output: the abs-max scale (1 on the contracted kernel
axes) is transposed into output order, given size-1 axes for output letters
the kernel lacks, and squeezed where contracted axes outnumber those.
``quantization_layout`` derives these steps from the equation the way Keras
does, so saved scales have Keras's shapes.
"""
from __future__ import annotations

import re
import string

import numpy as np


def explicit_specs(equation: str, input_rank: int):
    """``(input, kernel, output)`` letter specs with the ellipsis replaced by unused letters (as Keras)."""
    eq = re.sub(r"\.\.\.", "0", equation)
    m = re.match("([a-zA-Z]+),([a-zA-Z]+)->([a-zA-Z]+)$", eq)
    if m:
        return m.group(1), m.group(2), m.group(3)
    for pattern, left in (("0([a-zA-Z]+),([a-zA-Z]+)->0([a-zA-Z]+)$", True),
                          ("([a-zA-Z]{2,})0,([a-zA-Z]+)->([a-zA-Z]+)0$", False)):
        m = re.match(pattern, eq)
        if m:
            x, w, out = m.group(1), m.group(2), m.group(3)
            free = sorted(set(string.ascii_letters) - set(x) - set(w) - set(out))
            for i in range(input_rank - len(x)):
                x, out = (free[i] + x, free[i] + out) if left else (x + free[i], out + free[i])
            return x, w, out
    raise ValueError(f"Invalid einsum equation '{equation}'.")


def quantization_layout(equation: str, input_rank: int) -> dict:
    """The kernel's reduced axes and the transpose / expand / squeeze steps of its scale."""
    x, w, out = explicit_specs(equation, input_rank)
    reduced = [i for i, l in enumerate(w) if l not in out]
    expand = [i for i, l in enumerate(out) if l not in w]
    transpose = [w.index(l) for l in out if l in w]
    squeeze = []
    index = None
    for axis in reduced:
        if expand:
            index = expand.pop(0)
        else:
            squeeze.append(axis)
        if index is None:
            raise NotImplementedError(f"EinsumDense int8 quantization of {equation!r}: Keras has no scale layout "
                                      "for this equation")
        transpose.insert(index, axis)
    return {"equation": f"{x},{w}->{out}", "reduced": reduced, "transpose": transpose, "expand": expand,
            "squeeze": squeeze}


def layout_scale(scale: np.ndarray, layout: dict) -> np.ndarray:
    """Keras's ``_adjust_scale_for_quant(scale, "kernel")``."""
    if layout["transpose"]:
        scale = np.transpose(scale, layout["transpose"])
    if layout["expand"]:
        scale = np.expand_dims(scale, tuple(layout["expand"]))
    if layout["squeeze"]:
        scale = np.squeeze(scale, tuple(layout["squeeze"]))
    return scale


def scale_shape(kernel_shape, layout: dict) -> tuple:
    """The stored kernel-scale shape (Keras's ``_get_kernel_scale_shape``, per channel)."""
    probe = np.zeros([1 if i in layout["reduced"] else d for i, d in enumerate(kernel_shape)])
    return tuple(layout_scale(probe, layout).shape)


def flat_size(kernel_shape, layout: dict):
    """``(rows, columns)``: the sizes of the contracted and the other kernel axes (int4's flat kernel)."""
    rows = int(np.prod([d for i, d in enumerate(kernel_shape) if i in layout["reduced"]]))
    return rows, int(np.prod(kernel_shape)) // rows


def build_int4(layer, kernel_shape, config):
    """Keras's EinsumDense ``_int4_build``: the kernel flattened to (rows, columns) and packed along the
    columns; a scale per column (per group of rows and column for ``block_size``)."""
    import math
    from .quantized import QuantizationConfig, int4_block_size
    rows, cols = flat_size(kernel_shape, layer._quant_layout)
    layer.inputs_quantizer = QuantizationConfig.activation_quantizer_or_default(config, None)
    block = int4_block_size(layer, config)
    block = None if block in (None, -1) else block
    layer._int4_block_size, layer._int4_kernel_shape = block, tuple(kernel_shape)
    layer.kernel = layer.add_weight(name="kernel", shape=(rows, (cols + 1) // 2), initializer="zeros", dtype="int8",
                                    trainable=False)
    shape = (cols,) if block is None else (math.ceil(rows / block), cols)
    layer.kernel_scale = layer.add_weight(name="kernel_scale", shape=shape, initializer="ones", trainable=False)
    if block is not None:
        layer.kernel_zero = layer.add_weight(name="kernel_zero", shape=shape, initializer="zeros", dtype="int8",
                                             trainable=False)
        groups = (np.arange(rows) // block).astype("float32")
        layer.g_idx = layer.add_weight(name="g_idx", shape=(rows,), initializer=lambda s, d: groups,
                                       dtype="float32", trainable=False)


def quantize_int4(kernel: np.ndarray, layout: dict, config):
    """Keras's EinsumDense int4 weights: abs-max per column of the flat kernel (Keras uses no custom weight
    quantizer here), or grouped with a zero point for ``block_size``."""
    from ...quantizers import Int4QuantizationConfig, abs_max_quantize, abs_max_quantize_grouped_with_zero_point
    flat = kernel.reshape(flat_size(kernel.shape, layout))
    block = config.block_size if isinstance(config, Int4QuantizationConfig) else None
    if block is not None and block != -1:
        values, scale, zero = abs_max_quantize_grouped_with_zero_point(flat, block, to_numpy=True)
        return np.asarray(values), np.asarray(scale), np.asarray(zero)
    values, scale = abs_max_quantize(flat, axis=0, value_range=(-8, 7), dtype="int8", to_numpy=True)
    return np.asarray(values), np.asarray(scale).squeeze(0), None
