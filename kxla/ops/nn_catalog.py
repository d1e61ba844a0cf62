"""keras.ops.nn activations and helpers missing from the older op files — one table row per op.

Formulas are Keras's JAX backend ones (``jax.nn`` where Keras calls it).
"""
from __future__ import annotations

from .lazy_jax import jax
from .lazy_jax import jnp
import numpy as np

from ..ir import Attr
from . import families as F
from .catalog import alias, op

_E = ("elementwise", "activation")


def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


def _act(name, jfn, nfn, sig="x", dtype=F.floating):
    return op(name, sig, jfn, nfn, shape=F.unary, dtype=dtype, ns="nn", traits=_E, cast_in="result",
              tensors=("x",))


relu6 = _act("relu6", jax.nn.relu6, lambda x: np.clip(x, 0, 6))
leaky_relu = _act("leaky_relu", lambda x, negative_slope: jax.nn.leaky_relu(x, negative_slope),
                  lambda x, negative_slope: np.where(x >= 0, x, negative_slope * x), "x, negative_slope=0.2")
celu = _act("celu", lambda x, alpha: jax.nn.celu(x, alpha),
            lambda x, alpha: np.maximum(x, 0) + np.minimum(0, alpha * np.expm1(x / alpha)), "x, alpha=1.0")
silu = _act("silu", jax.nn.silu, lambda x: x * _sigmoid(x))
swish = alias("swish", silu, ns="nn")
hard_sigmoid = _act("hard_sigmoid", jax.nn.hard_sigmoid, lambda x: np.clip(x / 6 + 0.5, 0, 1))
hard_silu = _act("hard_silu", jax.nn.hard_silu, lambda x: x * np.clip(x / 6 + 0.5, 0, 1))
hard_swish = alias("hard_swish", hard_silu, ns="nn")
hard_tanh = _act("hard_tanh", jax.nn.hard_tanh, lambda x: np.clip(x, -1, 1), dtype=F.keep)
log_sigmoid = _act("log_sigmoid", jax.nn.log_sigmoid, lambda x: -np.logaddexp(0, -x))
softsign = _act("softsign", jax.nn.soft_sign, lambda x: x / (1 + np.abs(x)))
sparse_plus = _act("sparse_plus", jax.nn.sparse_plus,
                   lambda x: np.where(x <= -1, 0, np.where(x >= 1, x, (x + 1) ** 2 / 4)))
sparse_sigmoid = _act("sparse_sigmoid", jax.nn.sparse_sigmoid, lambda x: np.clip((x + 1) / 2, 0, 1))
squareplus = _act("squareplus", lambda x, b: jax.nn.squareplus(x, b),
                  lambda x, b: (x + np.sqrt(x * x + b)) / 2, "x, b=4")
tanh_shrink = _act("tanh_shrink", lambda x: x - jnp.tanh(x), lambda x: x - np.tanh(x))
soft_shrink = _act("soft_shrink", lambda x, threshold: jnp.where(
    x > threshold, x - threshold, jnp.where(x < -threshold, x + threshold, 0.0)),
    lambda x, threshold: np.where(x > threshold, x - threshold, np.where(x < -threshold, x + threshold, 0.0)),
    "x, threshold=0.5")
hard_shrink = _act("hard_shrink", lambda x, threshold: jnp.where(jnp.abs(x) > threshold, x, 0.0),
                   lambda x, threshold: np.where(np.abs(x) > threshold, x, 0.0), "x, threshold=0.5")
threshold = _act("threshold", lambda x, threshold, default_value: jnp.where(x > threshold, x, default_value),
                 lambda x, threshold, default_value: np.where(x > threshold, x, default_value),
                 "x, threshold, default_value")
glu = op("glu", "x, axis=-1", lambda x, axis: jax.nn.glu(x, axis),
         lambda x, axis: np.split(x, 2, axis)[0] * _sigmoid(np.split(x, 2, axis)[1]), shape="ref",
         dtype=F.floating, ns="nn", cast_in="result")


def _sparsemax(x, axis):
    srt = -jnp.sort(-x, axis=axis)
    cum = jnp.cumsum(srt, axis=axis)
    shape = [1] * x.ndim
    shape[axis] = -1
    r = jnp.arange(1, x.shape[axis] + 1).reshape(shape)
    support = srt - (cum - 1) / r > 0
    k = jnp.sum(support, axis=axis, keepdims=True)
    tau = (jnp.sum(jnp.where(support, cum, 0.0), axis=axis, keepdims=True) - 1) / k
    return jnp.maximum(x - tau, 0.0)


def _sparsemax_np(x, axis):
    return np.asarray(_sparsemax(jnp.asarray(x), axis))


sparsemax = op("sparsemax", "x, axis=-1", _sparsemax, _sparsemax_np, shape=F.unary, dtype=F.floating, ns="nn",
               cast_in="result")


def _normalize(x, axis, order, epsilon):
    eps = epsilon if epsilon is not None else 1e-7
    norm = jnp.linalg.norm(x, ord=order, axis=axis, keepdims=True)
    return x / jnp.maximum(norm, eps)


normalize = op("normalize", "x, axis=-1, order=2, epsilon=None", _normalize,
               lambda x, axis, order, epsilon: x / np.maximum(np.linalg.norm(x, ord=order, axis=axis, keepdims=True),
                                                               1e-7 if epsilon is None else epsilon),
               shape=F.unary, dtype=F.floating, ns="nn", cast_in="result")


def _psnr(x1, x2, max_val):
    mse = jnp.mean(jnp.square(x1 - x2))
    return 20 * jnp.log10(jnp.asarray(max_val, x2.dtype)) - 10 * jnp.log10(mse)


def _psnr_np(x1, x2, max_val):
    return 20 * np.log10(max_val) - 10 * np.log10(np.mean(np.square(x1 - x2)))


psnr = op("psnr", "x1, x2, max_val", _psnr, _psnr_np, shape=lambda types, attrs: [()], dtype=F.promote_float,
          ns="nn", tensors=("x1", "x2"), cast_in="result")


def _depth_space(to_depth):
    """Keras's pixel (un)shuffle; channels are split (new_c, b, b) in channels_first, (b, b, new_c) last."""
    def lower(x, block_size, data_format):
        xp, b = (jnp if isinstance(x, jax.Array) else np), block_size
        if data_format == "channels_last":
            n, h, w, c = x.shape
            if to_depth:
                x = xp.reshape(x, (n, h // b, b, w // b, b, c)).transpose(0, 1, 3, 2, 4, 5)
                return xp.reshape(x, (n, h // b, w // b, c * b * b))
            x = xp.reshape(x, (n, h, w, b, b, c // (b * b))).transpose(0, 1, 3, 2, 4, 5)
            return xp.reshape(x, (n, h * b, w * b, c // (b * b)))
        n, c, h, w = x.shape
        if to_depth:
            x = xp.reshape(x, (n, c, h // b, b, w // b, b)).transpose(0, 1, 3, 5, 2, 4)
            return xp.reshape(x, (n, c * b * b, h // b, w // b))
        x = xp.reshape(x, (n, c // (b * b), b, b, h, w)).transpose(0, 1, 4, 2, 5, 3)
        return xp.reshape(x, (n, c // (b * b), h * b, w * b))
    return lower


for _n, _d in [("depth_to_space", False), ("space_to_depth", True)]:
    globals()[_n] = op(_n, "x, block_size, data_format='channels_last'", _depth_space(_d), _depth_space(_d),
                       shape="ref", dtype=F.keep, ns="nn", tensors=("x",), cost=F.movement)


# -- cross-entropies (Keras's formulas; epsilon is kxla.config.epsilon() at call time) ----------
def _eps(ins, attrs):
    from ..config import epsilon
    attrs["epsilon"] = float(epsilon())
    return ins, attrs


def _log_probs(xp, output, from_logits, axis, epsilon):
    if from_logits:
        m = xp.max(output, axis=axis, keepdims=True)
        return output - m - xp.log(xp.sum(xp.exp(output - m), axis=axis, keepdims=True))
    output = output / xp.sum(output, axis=axis, keepdims=True)
    return xp.log(xp.clip(output, epsilon, 1.0 - epsilon))


def _cce(target, output, from_logits, axis, epsilon):
    xp = np if isinstance(output, np.ndarray) else jnp
    if target.shape != output.shape:
        raise ValueError("Arguments `target` and `output` must have the same shape. "
                         f"Received: target.shape={target.shape}, output.shape={output.shape}")
    return -xp.sum(target * _log_probs(xp, output, from_logits, axis, epsilon), axis=axis)


def _scce(target, output, from_logits, axis, epsilon):
    xp = np if isinstance(output, np.ndarray) else jnp
    if target.ndim == output.ndim and target.shape[-1] == 1:
        target = xp.squeeze(target, -1)
    if target.shape != output.shape[:-1]:
        raise ValueError("Arguments `target` and `output` must have the same shape up until the last dimension: "
                         f"target.shape={target.shape}, output.shape={output.shape}")
    logp = _log_probs(xp, output, from_logits, axis, epsilon)
    onehot = (xp.expand_dims(target, axis) == xp.arange(output.shape[axis]).reshape(
        [-1 if i == axis % output.ndim else 1 for i in range(output.ndim)])).astype(output.dtype)
    return -xp.sum(onehot * logp, axis=axis)


def _bce(target, output, from_logits, epsilon):
    xp = np if isinstance(output, np.ndarray) else jnp
    if target.shape != output.shape:
        raise ValueError("Arguments `target` and `output` must have the same shape. "
                         f"Received: target.shape={target.shape}, output.shape={output.shape}")
    if from_logits:
        log_p = -xp.logaddexp(0.0, -output)
        log_q = -xp.logaddexp(0.0, output)
        return -1.0 * target * log_p - (1.0 - target) * log_q
    output = xp.clip(output, epsilon, 1.0 - epsilon)
    return -(target * xp.log(output) + (1.0 - target) * xp.log(1.0 - output))


def _drop_axis(types, attrs):
    s = types[1].shape
    axis = attrs.get("axis", -1) % len(s)
    return [s[:axis] + s[axis + 1:]]


_EPS = {"epsilon": Attr("float", 1e-7)}
categorical_crossentropy = op("categorical_crossentropy", "target, output, from_logits=False, axis=-1", _cce, _cce,
                              shape=_drop_axis, dtype=lambda d, a: F.floating([d[1]], a), ns="nn", prepare=_eps,
                              extra_attrs=_EPS)
sparse_categorical_crossentropy = op(
    "sparse_categorical_crossentropy", "target, output, from_logits=False, axis=-1", _scce, _scce,
    shape=_drop_axis, dtype=lambda d, a: F.floating([d[1]], a), ns="nn", prepare=_eps, extra_attrs=_EPS)
binary_crossentropy = op("binary_crossentropy", "target, output, from_logits=False", _bce, _bce,
                         shape=lambda types, attrs: [types[1].shape], dtype=F.promote_float, ns="nn",
                         prepare=_eps, extra_attrs=_EPS, cast_in="result")
