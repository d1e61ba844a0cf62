"""GPTQ calibration (Keras 3.15's ``gptq_core``): the model's blocks quantized one after another.

``model.quantize("gptq", config=GPTQConfig(...))`` first gives every Dense
its GPTQ variables (``quantize``), then calibrates the Dense layers of the
structure's ``sequential_blocks`` (from ``config.quantization_layer_structure``
or ``model.get_quantization_layer_structure("gptq")``) with GPTQ
(``kxla.quantizers.gptq``).

What Keras 3.15 computes, not what its docstrings describe: Keras feeds the
calibration windows through the blocks with hooks on each layer's ``call``,
but a quantized layer runs ``quantized_call``, so the hooks never fire and
every Hessian stays zero; GPTQ then runs on the damped zero Hessian
(``(1 + hessian_damping) * I``), i.e. round-to-nearest per column with
Keras's group scales and zeros, no error feedback. kxla computes exactly
that (same integers, scales, zeros and ``g_idx``), and checks the dataset
as Keras does (``get_dataloader``), without running the blocks whose
results Keras discards.
"""
from __future__ import annotations

import math
import numpy as np


def get_dataloader(tokenizer, sequence_length, dataset, num_samples=128, *, seed=42):
    """``(num_samples, 1, sequence_length)`` int32 windows of the tokenized dataset (Keras's "strided")."""
    if not hasattr(dataset, "__iter__") or isinstance(dataset, (str, bytes)):
        raise TypeError("The `dataset` argument must be an iterable (e.g., a list of strings, a generator, or a "
                        f"NumPy array). Got type: {type(dataset).__name__}. Please pass the loaded dataset directly.")
    items = list(dataset)
    if not items:
        raise ValueError("Provided dataset is empty.")
    if isinstance(items[0], str):
        pieces = [np.asarray(tokenizer.tokenize(s)).reshape(-1) for s in items]
    else:
        pieces = [np.asarray(s).reshape(-1).astype(np.int32, copy=False) for s in items]
    tokens = np.concatenate(pieces, axis=0).astype(np.int32, copy=False)
    needed = num_samples * sequence_length
    if tokens.size < needed:
        tokens = np.tile(tokens, math.ceil(needed / max(1, tokens.size)))
    max_start = tokens.size - sequence_length
    if max_start < 0:
        raise ValueError(f"Not enough tokens to form one sample of length {sequence_length} (have {tokens.size}).")
    stride = max(1, (max_start + 1) // num_samples)
    offset = abs(hash(("gptq-calib", seed))) % (max_start + 1) if max_start > 0 else 0
    starts = (offset + np.arange(num_samples, dtype=np.int64) * stride) % (max_start + 1)
    windows = np.lib.stride_tricks.sliding_window_view(tokens, sequence_length)
    return windows[starts].astype(np.int32)[:, None, :]


def _leaves(layer, seen=None):
    from .quantize import _flatten
    return [l for l in _flatten(layer) if len(_flatten(l)) == 1]


def _calibrate(layer, config):
    """GPTQ on one Dense: fill its quantized kernel, scales, zeros and group indices; drop the float kernel."""
    import jax.numpy as jnp
    from ..layers.core.quantized import drop_weight
    from ..quantizers import pack_int4
    from ..quantizers.gptq import compute_quantization_parameters, damped_hessian, quantize_matrix
    rows = layer.kernel.shape[0]
    h = damped_hessian(jnp.zeros((rows, rows), "float32"), config.hessian_damping)   # Keras 3.15's: see above
    find = lambda w: compute_quantization_parameters(   # noqa: E731
        w, bits=config.weight_bits, symmetric=config.symmetric, per_channel=config.per_channel,
        group_size=config.group_size, compute_dtype=layer.dtype_policy.variable_dtype)
    q, scale, zero, g_idx = quantize_matrix(np.transpose(layer.kernel.numpy()), np.asarray(jnp.linalg.inv(h)),
                                            find_params=find, group_size=config.group_size,
                                            activation_order=config.activation_order,
                                            order_metric=np.diagonal(np.asarray(h)))
    q = q.astype("uint8")
    if config.weight_bits == 4:
        q = pack_int4(q, axis=0, dtype="uint8")[0]
    drop_weight(layer, layer.kernel)
    del layer.kernel
    layer.quantized_kernel.assign(np.asarray(q))
    layer.kernel_scale.assign(np.asarray(scale))
    layer.kernel_zero.assign(np.asarray(zero))
    layer.g_idx.assign(np.asarray(g_idx))
    layer.is_gptq_calibrated = True


def apply_gptq_layerwise(config, structure, filters=None):
    """Keras's ``apply_gptq_layerwise``, as it behaves: each block's GPTQ Dense layers quantized in turn."""
    from ..layers.core.dense import Dense
    from .quantize import should_quantize_layer
    blocks = structure.get("sequential_blocks", [])
    if not blocks:
        raise ValueError("No sequential blocks found in the provided structure to quantize.")
    for block in blocks:
        for layer in _leaves(block):
            if isinstance(layer, Dense) and getattr(layer, "quantization_mode", None) == "gptq" and \
                    not layer.is_gptq_calibrated and should_quantize_layer(layer, filters):
                _calibrate(layer, config)


def gptq_quantize(model, config, filters=None):
    """Calibrate ``model``'s GPTQ layers (after ``quantize`` gave them their variables)."""
    structure = config.quantization_layer_structure
    if structure is None and hasattr(model, "get_quantization_layer_structure"):
        structure = model.get_quantization_layer_structure("gptq")
    if structure is None:
        raise ValueError("For mode='gptq', a valid quantization structure must be provided either via "
                         "`config.quantization_layer_structure` or by overriding "
                         "`model.get_quantization_layer_structure(mode)`. The structure should be a dictionary "
                         "with keys 'pre_block_layers' and 'sequential_blocks'.")
    if config.dataset is None or config.tokenizer is None:
        raise ValueError("GPTQ quantization requires a dataset and a tokenizer. Please provide them in the "
                         "`GPTQConfig`.")
    get_dataloader(config.tokenizer, config.sequence_length, config.dataset, num_samples=config.num_samples)
    apply_gptq_layerwise(config, structure, filters=filters)
