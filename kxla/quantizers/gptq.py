"""GPTQ's array math (Keras 3.15's ``keras.quantizers`` GPTQ functions), run eagerly on host arrays.

``compute_quantization_parameters`` (scale / zero per channel or group),
``quantize_with_zero_point`` / ``dequantize_with_zero_point``, the damped
Hessian (``damped_hessian``) and ``quantize_matrix``: GPTQ's
column-by-column quantization with error feedback through the inverse
Hessian, in blocks of 128 columns, optionally in activation order. The steps
and their order are Keras's, so the integers, scales and zeros are Keras's.
"""
from __future__ import annotations

import jax.numpy as jnp
import numpy as np


def _div(a, b):
    """Division as XLA computes it (not always numpy's last bit); the other steps are exact either way."""
    return np.asarray(jnp.divide(a, b))


def compute_quantization_parameters(x, *, bits, symmetric=False, per_channel=False, group_size=-1,
                                    compute_dtype="float32"):
    """``(scale, zero (uint8), maxq)`` of ``x`` ``[out, in]``: per group ``[out, n_groups]`` or ``[out, 1]``."""
    out_features, in_features = x.shape[0], x.shape[1]
    n_groups = (in_features + group_size - 1) // group_size if per_channel and group_size > 0 else 1
    if n_groups > 1:
        if in_features % group_size:
            x = np.pad(x, [[0, 0], [0, group_size - in_features % group_size]], constant_values=0.0)
        grouped = np.reshape(x, [out_features, n_groups, group_size])
        lo, hi = np.min(grouped, axis=2), np.max(grouped, axis=2)
    else:
        flat = np.reshape(x, [out_features, -1] if per_channel else [1, -1])
        lo, hi = np.min(flat, axis=1), np.max(flat, axis=1)
    if symmetric:
        max_abs = np.maximum(np.abs(lo), hi)
        lo = np.where(lo < 0, -max_abs, lo)
        hi = max_abs
    same = lo == hi
    lo, hi = np.where(same, lo - 1, lo), np.where(same, hi + 1, hi)
    maxq = np.asarray(2 ** bits - 1).astype(compute_dtype)[()]
    scale = _div(hi - lo, maxq)
    scale = np.where(scale <= 0, 1e-8, scale)
    zero = np.full_like(scale, (maxq + 1) / 2) if symmetric else np.round(_div(-lo, scale))
    if n_groups == 1 and per_channel:
        scale, zero = scale.reshape(-1, 1), zero.reshape(-1, 1)
    elif n_groups == 1:
        scale, zero = np.tile(scale.reshape(1, 1), (out_features, 1)), np.tile(zero.reshape(1, 1),
                                                                                 (out_features, 1))
    return scale, np.asarray(jnp.asarray(zero).astype("uint8")), maxq      # float -> uint8 as XLA casts


def quantize_with_zero_point(x, scale, zero, maxq):
    safe = np.where(scale == 0, np.asarray(1e-8, scale.dtype), scale)
    return np.clip(np.round(_div(x, safe) + zero.astype(scale.dtype)), 0, maxq)


def dequantize_with_zero_point(q, scale, zero):
    return np.multiply(scale, q - zero.astype(scale.dtype))


def damped_hessian(hessian, damping):
    """``hessian`` with dead diagonal entries set to 1 and ``damping * mean(diag)`` added to the diagonal."""
    diag = jnp.diagonal(hessian)
    dead = diag == 0.0
    diag = jnp.where(dead, 1.0, diag)
    h = hessian + jnp.diag(jnp.where(dead, 1.0, jnp.zeros_like(diag)))
    diag = diag + jnp.multiply(damping, jnp.mean(diag))
    return h - jnp.diag(jnp.diagonal(h)) + jnp.diag(diag)


def _order(metric):
    n = metric.shape[0]
    jitter = np.arange(n, dtype="int32").astype("float32") / np.float32(n)
    return np.argsort(-(metric + jitter * 1e-12), kind="stable")


def _quantize_block(w, block_w, block_inv, start, params):
    """One block of columns: quantize each, feed its error to the block's later columns."""
    q_cols, errors = [], []
    for j in range(block_w.shape[1]):
        scale, zero, maxq = params(start + j, w)
        col = block_w[:, j]
        q = quantize_with_zero_point(col[:, None], scale, zero, maxq)
        q_cols.append(q.astype("int32"))
        err = _div(col - dequantize_with_zero_point(q, scale, zero)[:, 0], block_inv[j, j])
        errors.append(err)
        if j < block_w.shape[1] - 1:
            update = np.matmul(err[:, None], block_inv[j, j + 1:][None, :])
            block_w = block_w.copy()
            block_w[:, j + 1:] = block_w[:, j + 1:] - update
    return q_cols, np.stack(errors, axis=1)


def quantize_matrix(w_t, inv_h, *, find_params, blocksize=128, group_size=-1, activation_order=False,
                    order_metric=None):
    """GPTQ on ``w_t`` ``[out, in]``: ``(q [out, in] int32, scale, zero, g_idx float32)`` (Keras's
    ``gptq_quantize_matrix``), on numpy float32 arrays with XLA's divisions (``_div``)."""
    w_t, inv_h = np.asarray(w_t, "float32"), np.asarray(inv_h, "float32")
    in_features = w_t.shape[1]
    perm = inv_perm = None
    if activation_order:
        metric = order_metric.astype("float32")
        perm = _order(np.where(np.isfinite(metric), metric, np.zeros_like(metric)))
        inv_perm = np.argsort(perm, kind="stable")
        w_t = np.take(w_t, perm, axis=1)
        inv_h = np.take(np.take(inv_h, perm, axis=0), perm, axis=1)
    group = in_features if group_size == -1 else group_size
    scales, zeros, cache = [], [], {}

    def params(col, weights):
        start = (col // group) * group
        if start not in cache:
            cache.clear()
            cache[start] = find_params(weights[:, start:min(start + group, in_features)])
            scales.append(cache[start][0])
            zeros.append(cache[start][1])
        return cache[start]

    q = []
    for start in range(0, in_features, blocksize):
        end = min(start + blocksize, in_features)
        cache.clear()                          # Keras recomputes a group's parameters in each block
        cols, err = _quantize_block(w_t, w_t[:, start:end], inv_h[start:end, start:end], start,
                                    lambda c, _: params(c, w_t))
        q.extend(cols)
        if end < in_features:
            w_t = np.concatenate([w_t[:, :end], w_t[:, end:] - np.matmul(err, inv_h[start:end, end:])], axis=1)
    q = np.concatenate(q, axis=1)
    g_idx = _div(np.arange(in_features, dtype="int32").astype("float32"), np.float32(group))
    if activation_order:
        g_idx, q = np.take(g_idx, inv_perm, axis=0), np.take(q, inv_perm, axis=1)
    return q, np.concatenate(scales, axis=1), np.concatenate(zeros, axis=1), g_idx
