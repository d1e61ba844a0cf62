"""What Dense, EinsumDense and Embedding share to be quantized as Keras quantizes them.

``layer.quantize(mode, config=...)`` (through ``Layer.quantize``) replaces the
float kernel by int8 (or packed int4) weights and scales, with Keras's variable
names, shapes and order, and switches the layer's policy to
``"<mode>_from_<policy>"``. A layer built under a quantized policy (loaded from
a quantized model's config) creates the same variables directly. The forward
is one ``quantized_dot`` op (kxla/ops/quantized.py) for Dense and EinsumDense;
Embedding's is take / cast / divide, as Keras's. float8 (which keeps the
float kernel) is in ``quantized_float8``.
"""
from __future__ import annotations

import math

import numpy as np

from ... import ops
from ...quantizers.config import check_supported, validate_and_resolve_config
from ...quantizers import (AbsMaxQuantizer, Int4QuantizationConfig, QuantizationConfig,
                           abs_max_quantize_grouped_with_zero_point, pack_int4)

SAVE_ORDER = {
    "kernel": {None: ["kernel", "bias"], "int8": ["kernel", "bias", "kernel_scale"],
               "int4": ["kernel", "bias", "kernel_scale", "kernel_zero", "g_idx"],
               "float8": ["kernel", "bias", "inputs_scale", "inputs_amax_history", "kernel_scale",
                          "kernel_amax_history", "outputs_grad_scale", "outputs_grad_amax_history"],
               "gptq": ["bias", "quantized_kernel", "kernel_scale", "kernel_zero", "g_idx"]},
    "embeddings": {None: ["embeddings"], "int8": ["embeddings", "embeddings_scale"],
                   "int4": ["embeddings", "embeddings_scale", "embeddings_zero", "g_idx"]},
}


def refuse_subclass(layer, cls, type_check):
    """Keras quantizes exactly Dense / EinsumDense / Embedding unless ``type_check=False``."""
    if type_check and type(layer) is not cls:
        raise NotImplementedError(f"Layer {type(layer).__name__} does not have a `quantize` method implemented.")


def quantize_layer(layer, mode, type_check, config):
    """``Layer.quantize``: Keras's checks (built, not yet quantized, mode, float16), then ``_quantize``."""
    from ..layer import Layer
    config = validate_and_resolve_config(mode, config)
    mode, name = config.mode, type(layer).__name__
    if not layer.built:
        raise ValueError(f"Cannot quantize a layer that isn't yet built. Layer '{layer.name}' (of type "
                         f"'{name}') is not built yet.")
    if getattr(layer, "_is_quantized", False):
        raise ValueError(f"Layer '{layer.name}' is already quantized with dtype_policy="
                         f"'{layer.dtype_policy.name}'. Received: mode={mode}")
    if mode == "int8" and layer.compute_dtype == "float16":
        raise ValueError(f"Quantization mode='{mode}' doesn't work well with compute_dtype='float16'.")
    if type(layer)._quantize is Layer._quantize:
        raise NotImplementedError(f"Layer {name} does not have a `quantize` method implemented.")
    check_supported(mode, f"{name}.quantize")
    input_quantizer_attrs(config.activation_quantizer)            # refuse what the op cannot run, up front
    refuse_gptq(layer, mode)
    layer._quantize(mode, config, type_check)
    layer._is_quantized = True
    from ... import dtype_policies
    if layer.dtype_policy is None or layer.dtype_policy.quantization_mode is None:
        layer.dtype_policy = dtype_policies.get(policy_after(layer, mode, config))


def refuse_table_mode(mode):
    """Keras's Embedding error for a mode it has no table form of (float8): ``model.quantize`` warns."""
    if mode not in ("int8", "int4"):
        raise NotImplementedError(f"Invalid quantization mode. Expected one of ('int8', 'int4'). Received: "
                                  f"quantization_mode={mode}")


def saved_variables(layer, table: str) -> list:
    """The layer's variables in the order Keras's ``save_own_variables`` writes them."""
    names = SAVE_ORDER[table].get(layer.quantization_mode)
    if names is None:
        return list(layer._trainable_variables) + list(layer._non_trainable_variables)
    return [getattr(layer, n) for n in names if getattr(layer, n, None) is not None]


def drop_weight(layer, var) -> None:
    """Forget ``var`` (the float kernel being replaced)."""
    layer._trainable_variables = [v for v in layer._trainable_variables if v is not var]
    layer._non_trainable_variables = [v for v in layer._non_trainable_variables if v is not var]


def int4_block_size(layer, config):
    """Keras's ``get_block_size_for_layer``: the config's block size, else the policy's (-1 -> None)."""
    if isinstance(config, Int4QuantizationConfig):
        return config.block_size
    size = getattr(layer.dtype_policy, "block_size", None)
    return None if size in (None, -1) else size


def input_quantizer_attrs(quantizer) -> dict:
    """The ``quantized_dot`` attributes of an activation quantizer (None: weight-only)."""
    if quantizer is None:
        return {"input_range": None}
    if type(quantizer) is not AbsMaxQuantizer or quantizer.output_dtype != "int8":
        raise NotImplementedError(f"kxla quantizes layer inputs with AbsMaxQuantizer(output_dtype='int8') only; "
                                  f"got activation_quantizer={quantizer!r}")
    lo, hi = quantizer.value_range
    if lo != int(lo) or hi != int(hi):
        raise NotImplementedError(f"activation quantizer value_range must be integers, got {quantizer.value_range}")
    return {"input_range": [int(lo), int(hi)], "input_epsilon": float(quantizer.epsilon)}


def build_quantized_kernel(layer, kernel_shape, scale_shape, mode, config, default_inputs_quantizer):
    """Create ``kernel`` (int8, packed along its last axis for int4), ``kernel_scale`` and, for int4
    sub-channel, ``kernel_zero`` and ``g_idx`` (Keras's ``_int8_build`` / ``_int4_build``)."""
    layer.inputs_quantizer = QuantizationConfig.activation_quantizer_or_default(config, default_inputs_quantizer)
    stored = list(kernel_shape)
    block = None
    if mode == "int4":
        stored[-1] = (stored[-1] + 1) // 2
        block = int4_block_size(layer, config)
        block = None if block == -1 else block
    layer._int4_block_size = block
    layer.kernel = layer.add_weight(name="kernel", shape=tuple(stored), initializer="zeros", dtype="int8",
                                    trainable=False)
    if block is not None:
        rows = math.prod(kernel_shape[:-1])
        scale_shape = (math.ceil(rows / block), kernel_shape[-1])
    layer.kernel_scale = layer.add_weight(name="kernel_scale", shape=tuple(scale_shape), initializer="ones",
                                          trainable=False)
    if block is not None:
        layer.kernel_zero = layer.add_weight(name="kernel_zero", shape=tuple(scale_shape), initializer="zeros",
                                             dtype="int8", trainable=False)
        groups = (np.arange(rows) // block).astype("float32")
        layer.g_idx = layer.add_weight(name="g_idx", shape=(rows,), initializer=lambda s, d: groups,
                                       dtype="float32", trainable=False)


def quantize_kernel(layer, kernel, mode, config, reduced_axes, int8_scale_layout):
    """Keras's weight quantization: ``(values, scale, zero or None)`` for the float ``kernel``.

    int8 and int4 per channel: abs-max over ``reduced_axes`` (the config's weight quantizer if any),
    the scale laid out by ``int8_scale_layout``; int4 sub-channel: grouped with a zero point.
    """
    if mode == "int4":
        block = config.block_size if isinstance(config, Int4QuantizationConfig) else None
        if block is not None and block != -1:
            rows = kernel.reshape(-1, kernel.shape[-1])
            values, scale, zero = (np.asarray(t) for t in
                                   abs_max_quantize_grouped_with_zero_point(rows, block, to_numpy=True))
            return values.reshape(kernel.shape), scale, zero
        default = AbsMaxQuantizer(axis=reduced_axes, value_range=(-8, 7), output_dtype="int8")
    else:
        default = AbsMaxQuantizer(axis=reduced_axes)
    quantizer = QuantizationConfig.weight_quantizer_or_default(config, default)
    values, scale = quantizer(kernel, to_numpy=True)
    return np.asarray(values), int8_scale_layout(np.asarray(scale)), None


def assign_quantized(layer, values, scale, zero, mode):
    """Write quantized values (packed two per byte along the last axis for int4) into the new weights."""
    if mode == "int4":
        values = np.asarray(pack_int4(values.astype("int8"), axis=-1)[0])
    layer.kernel.assign(values.astype("int8"))
    layer.kernel_scale.assign(np.asarray(scale, dtype="float32").reshape(layer.kernel_scale.shape))
    if zero is not None:
        layer.kernel_zero.assign(np.asarray(zero, dtype="int8").reshape(layer.kernel_zero.shape))


def quantized_dot(layer, inputs, equation, unpacked_size, kernel_shape=None):
    """The ``quantized_dot`` op for this layer's kernel: Dense (``equation`` None) or EinsumDense."""
    attrs = {"mode": layer.quantization_mode, "equation": equation,
             "kernel_shape": None if kernel_shape is None else [int(d) for d in kernel_shape],
             **input_quantizer_attrs(getattr(layer, "inputs_quantizer", None))}
    extra = []
    if layer.quantization_mode == "int4":
        attrs["unpacked_size"] = unpacked_size
        if layer._int4_block_size is not None:
            attrs["block_size"] = int(layer._int4_block_size)
            extra = [layer.kernel_zero, layer.g_idx]
    return ops.apply("quantized_dot", inputs, layer.kernel, layer.kernel_scale, *extra, **attrs)


def policy_after(layer, mode, config) -> str:
    """The policy name Keras gives a layer quantized to ``mode``."""
    name = mode
    if mode == "gptq":
        name = config.dtype_policy_string()
    if mode == "int4":
        block = int4_block_size(layer, config)
        name = f"int4/{-1 if block is None else block}"
    source = layer.dtype_policy.name if layer.dtype_policy is not None else layer.dtype
    return f"{name}_from_{source}"


def serialize_config(config):
    """A layer's ``quantization_config`` in Keras's form (None stays None)."""
    from ...quantizers import serialize
    return None if config is None else serialize(config)


def check_buildable(layer, mode):
    """Building under a quantized policy: only the modes kxla runs (GPTQ: Dense only)."""
    check_supported(mode, f"{type(layer).__name__} with dtype policy {layer.dtype_policy.name!r}")
    refuse_gptq(layer, mode)


def refuse_gptq(layer, mode):
    """kxla runs GPTQ for Dense layers only (Keras also calibrates EinsumDense, MultiHeadAttention's too)."""
    from ...quantizers.config import UnsupportedQuantization
    if mode == "gptq" and type(layer).__name__ in ("EinsumDense", "_Projection"):
        raise UnsupportedQuantization(f"kxla runs GPTQ for Dense layers only, not {type(layer).__name__} "
                                      f"{layer.name!r}")


# -- Embedding ------------------------------------------------------------------------------------
def build_quantized_table(layer, mode, config):
    """Keras's Embedding ``_int8_build`` / ``_int4_build``: the table int8 (int4 packed along the output
    axis), a scale per row, and for int4 sub-channel a zero point per row and group plus ``g_idx``."""
    refuse_table_mode(mode)
    rows, cols = layer.input_dim, layer.output_dim
    block = int4_block_size(layer, config) if mode == "int4" else None
    block = None if block == -1 else block
    layer._int4_block_size = block
    stored = (rows, (cols + 1) // 2) if mode == "int4" else (rows, cols)
    layer.embeddings = layer.add_weight(name="embeddings", shape=stored, initializer="zeros", dtype="int8",
                                        trainable=False)
    scale_shape = (rows,) if block is None else (rows, math.ceil(cols / block))
    layer.embeddings_scale = layer.add_weight(name="embeddings_scale", shape=scale_shape, initializer="ones",
                                              trainable=False)
    if block is not None:
        layer.embeddings_zero = layer.add_weight(name="embeddings_zero", shape=scale_shape, initializer="zeros",
                                                 dtype="int8", trainable=False)
        groups = (np.arange(cols) // block).astype("float32")
        layer.g_idx = layer.add_weight(name="g_idx", shape=(cols,), initializer=lambda s, d: groups,
                                       dtype="float32", trainable=False)


def quantize_table(table, mode, config):
    """Keras's Embedding weight quantization: ``(values, scale, zero or None)`` along the output axis."""
    block = config.block_size if mode == "int4" and isinstance(config, Int4QuantizationConfig) else None
    if block is not None and block != -1:
        values, scale, zero = (np.asarray(t) for t in abs_max_quantize_grouped_with_zero_point(
            np.ascontiguousarray(table.T), block, to_numpy=True))
        return values.T, scale.T, zero.T
    default = AbsMaxQuantizer(axis=-1, value_range=(-8, 7) if mode == "int4" else (-127, 127))
    values, scale = QuantizationConfig.weight_quantizer_or_default(config, default)(table, to_numpy=True)
    return np.asarray(values), np.asarray(scale).squeeze(-1), None


def assign_table(layer, values, scale, zero, mode):
    if mode == "int4":
        values = np.asarray(pack_int4(values.astype("int8"), axis=-1)[0])
    layer.embeddings.assign(values.astype("int8"))
    layer.embeddings_scale.assign(np.asarray(scale, "float32").reshape(layer.embeddings_scale.shape))
    if zero is not None:
        layer.embeddings_zero.assign(np.asarray(zero, "int8").reshape(layer.embeddings_zero.shape))


def embedding_lookup(layer, ids):
    """Keras's quantized Embedding forward: rows taken, then dequantized with their scales (and zeros)."""
    from ...quantizers import unpack_int4
    dtype = layer.compute_dtype
    table = layer.embeddings
    if layer.quantization_mode == "int4":
        table = unpack_int4(table, layer.output_dim, axis=-1)
    rows = ops.cast(ops.take(table, ids, axis=0), dtype)
    scale = ops.take(layer.embeddings_scale, ids, axis=0)
    if layer._int4_block_size is None or layer.quantization_mode == "int8":
        return ops.divide(rows, ops.expand_dims(scale, axis=-1))
    groups = ops.cast(layer.g_idx, "int32")
    zero = ops.cast(ops.take(ops.take(layer.embeddings_zero, ids, axis=0), groups, axis=-1), scale.dtype)
    return ops.multiply(ops.subtract(rows, zero), ops.take(scale, groups, axis=-1))


def config_arg(value):
    """A layer's ``quantization_config`` argument: a config, None, or its serialized form."""
    if isinstance(value, dict):
        from ...quantizers import deserialize
        return deserialize(value)
    return value
