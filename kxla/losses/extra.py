"""Keras 3's newer losses: Dice, Tversky, Circle, CategoricalGeneralizedCrossEntropy and CTC.

Functional forms (``dice``, ``tversky``, ``circle``,
``categorical_generalized_cross_entropy``, ``ctc``) follow Keras 3's
formulas; the classes wrap them with Keras's names, defaults and configs on
kxla's ``Loss`` reduction protocol. Re-exported by ``kxla.losses``.
"""
from __future__ import annotations

import jax
import jax.numpy as jnp

from . import EPSILON, Loss, LossFunctionWrapper, reduce_weighted_values

__all__ = ["Dice", "Tversky", "Circle", "CategoricalGeneralizedCrossEntropy", "CTC", "dice", "tversky",
           "circle", "categorical_generalized_cross_entropy", "ctc"]


def dice(y_true, y_pred, axis=None):
    """``1 - 2 |y_true . y_pred| / (|y_true| + |y_pred| + eps)``, summed over ``axis`` (None: all)."""
    y_pred = jnp.asarray(y_pred)
    y_true = jnp.asarray(y_true, y_pred.dtype)
    intersection = jnp.sum(y_true * y_pred, axis=axis)
    return 1 - 2.0 * intersection / (jnp.sum(y_true, axis=axis) + jnp.sum(y_pred, axis=axis) + EPSILON)


def tversky(y_true, y_pred, alpha=0.5, beta=0.5, axis=None):
    """``1 - TP / (TP + alpha FP + beta FN + eps)`` with soft counts summed over ``axis``."""
    y_pred = jnp.asarray(y_pred)
    y_true = jnp.asarray(y_true, y_pred.dtype)
    intersection = jnp.sum(y_true * y_pred, axis=axis)
    fp = jnp.sum((1 - y_pred) * y_true, axis=axis)
    fn = jnp.sum(y_pred * (1 - y_true), axis=axis)
    return 1 - intersection / (intersection + fp * alpha + fn * beta + EPSILON)


def categorical_generalized_cross_entropy(y_true, y_pred, q):
    """``(1 - p_true**q) / q`` with integer labels ``y_true`` and probabilities ``y_pred``."""
    y_pred = jnp.asarray(y_pred)
    onehot = jax.nn.one_hot(jnp.asarray(y_true).astype("int32"), y_pred.shape[-1], dtype=y_pred.dtype)
    p = jnp.sum(y_pred * onehot, axis=-1)
    return (1 - jnp.power(p, q)) / q


def _pair_masks(query, keys, remove_diagonal):
    query, keys = query.reshape(-1, 1), keys.reshape(-1, 1)
    positive = query == keys.T
    negative = ~positive
    if remove_diagonal:
        positive = positive & ~jnp.eye(query.shape[0], keys.shape[0], dtype=bool)
    return positive, negative


def circle(y_true, y_pred, ref_labels=None, ref_embeddings=None, remove_diagonal=True, gamma=80, margin=0.4):
    """Circle loss of L2-normalised embeddings ``y_pred`` with integer labels ``y_true`` (one per sample)."""
    y_pred = jnp.asarray(y_pred)
    y_true = jnp.asarray(y_true).astype("int32")
    ref = y_pred if ref_embeddings is None else jnp.asarray(ref_embeddings)
    ref_labels = y_true if ref_labels is None else jnp.asarray(ref_labels).astype("int32")
    distances = jnp.maximum(1 - y_pred @ ref.T, 0.0)
    positive, negative = _pair_masks(y_true, ref_labels, remove_diagonal)
    pos_w = jnp.maximum((margin + distances) * positive.astype(distances.dtype), 0.0)
    neg_w = jnp.maximum((1 + margin - distances) * negative.astype(distances.dtype), 0.0)
    pos = -1 * gamma * pos_w * (margin - distances)
    neg = gamma * neg_w * (1 - margin - distances)
    p_loss = jax.nn.logsumexp(jnp.where(positive, pos, -jnp.inf), axis=1)
    n_loss = jax.nn.logsumexp(jnp.where(negative, neg, -jnp.inf), axis=1)
    return jax.nn.softplus(p_loss + n_loss)


def _ctc_alignment_nll(logprobs, labels, length, blank):
    """-log p(labels[:length] | logprobs) for one sequence (forward algorithm in log space)."""
    n = labels.shape[0]
    ext = jnp.full((2 * n + 1,), blank, labels.dtype).at[1::2].set(labels)
    positions = jnp.arange(2 * n + 1)
    valid = positions < 2 * length + 1
    skip = jnp.concatenate([jnp.zeros(2, bool), (ext[2:] != blank) & (ext[2:] != ext[:-2])])
    neg = -jnp.inf
    alpha = jnp.where(positions < 2, logprobs[0, ext], neg)
    alpha = jnp.where(valid, alpha, neg)

    def step(alpha, lp):
        prev1 = jnp.concatenate([jnp.full((1,), neg), alpha[:-1]])
        prev2 = jnp.concatenate([jnp.full((2,), neg), alpha[:-2]])
        combined = jnp.logaddexp(jnp.logaddexp(alpha, prev1), jnp.where(skip, prev2, neg))
        return jnp.where(valid, combined + lp[ext], neg), None

    alpha, _ = jax.lax.scan(step, alpha, logprobs[1:])
    last = alpha[2 * length]
    before = jnp.where(length > 0, alpha[jnp.maximum(2 * length - 1, 0)], neg)
    return -jnp.logaddexp(last, before)


def ctc(y_true, y_pred):
    """CTC loss of integer labels ``(batch, max_label_length)`` (0 = blank/padding) against logits
    ``(batch, time, classes)``; every input sequence has the full ``time`` length (as in Keras)."""
    y_true = jnp.asarray(y_true)
    y_pred = jnp.asarray(y_pred)
    if y_true.ndim != 2:
        raise ValueError("Targets `y_true` are expected to be a tensor of shape `(batch_size, max_length)` in "
                         f"integer format. Received: y_true.shape={tuple(y_true.shape)}")
    if y_pred.ndim != 3:
        raise ValueError("Logits `y_pred` are expected to be a tensor of shape `(batch_size, max_length, "
                         f"num_classes)`. Received: y_pred.shape={tuple(y_pred.shape)}")
    labels = y_true.astype("int32")
    lengths = jnp.sum(labels != 0, axis=-1)
    logprobs = jax.nn.log_softmax(y_pred.astype(jnp.promote_types(y_pred.dtype, "float32")), axis=-1)
    return jax.vmap(_ctc_alignment_nll, in_axes=(0, 0, 0, None))(logprobs, labels, lengths, 0)


class _Wrapper(LossFunctionWrapper):
    _fn = None
    _options: tuple = ()

    def __init__(self, reduction, name, dtype, **options):
        super().__init__(type(self)._fn, reduction=reduction, name=name, dtype=dtype, **options)
        for key, value in options.items():
            setattr(self, key, value)

    def get_config(self):
        return {**Loss.get_config(self), **{k: getattr(self, k) for k in self._options}}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


class Dice(_Wrapper):
    """Dice loss (``1 - dice coefficient``)."""
    _fn, _options = staticmethod(dice), ("axis",)

    def __init__(self, reduction="sum_over_batch_size", name="dice", axis=None, dtype=None):
        super().__init__(reduction, name, dtype, axis=axis)


class Tversky(_Wrapper):
    """Tversky loss; ``alpha`` weighs false positives, ``beta`` false negatives."""
    _fn, _options = staticmethod(tversky), ("alpha", "beta", "axis")

    def __init__(self, alpha=0.5, beta=0.5, reduction="sum_over_batch_size", name="tversky", axis=None,
                 dtype=None):
        super().__init__(reduction, name, dtype, alpha=alpha, beta=beta, axis=axis)


class CategoricalGeneralizedCrossEntropy(_Wrapper):
    """Generalized cross-entropy for noisy labels, ``q`` in (0, 1)."""
    _fn, _options = staticmethod(categorical_generalized_cross_entropy), ("q",)

    def __init__(self, q=0.5, reduction="sum_over_batch_size", name="categorical_generalized_cross_entropy",
                 dtype=None):
        if not 0 < q < 1:
            raise ValueError("q must be in the interval (0, 1)")
        super().__init__(reduction, name, dtype, q=q)

    def call(self, y_true, y_pred):
        return categorical_generalized_cross_entropy(y_true, y_pred, q=self.q)


class Circle(_Wrapper):
    """Circle loss for metric learning; samples whose loss is 0 are left out of the average (as Keras)."""
    _fn, _options = staticmethod(circle), ("gamma", "margin", "remove_diagonal")

    def __init__(self, gamma=80.0, margin=0.4, remove_diagonal=True, reduction="sum_over_batch_size",
                 name="circle", dtype=None):
        super().__init__(reduction, name, dtype, gamma=gamma, margin=margin, remove_diagonal=remove_diagonal)

    def call(self, y_true, y_pred):
        return circle(y_true, y_pred, gamma=self.gamma, margin=self.margin, remove_diagonal=self.remove_diagonal)

    def __call__(self, y_true, y_pred, sample_weight=None, mask=None):
        values = self.per_sample(y_true, y_pred)
        positive = values > 0
        mask = positive if mask is None else jnp.asarray(mask, bool) & positive
        return reduce_weighted_values(values, sample_weight=sample_weight, mask=mask, reduction=self.reduction,
                                      dtype=self.dtype)


class CTC(_Wrapper):
    """Connectionist temporal classification loss (labels: 0 is the blank and the padding)."""
    _fn = staticmethod(ctc)

    def __init__(self, reduction="sum_over_batch_size", name="ctc", dtype=None):
        super().__init__(reduction, name, dtype)

    def call(self, y_true, y_pred):
        return ctc(y_true, y_pred)
