"""Confusion-matrix metrics: Precision, Recall, AUC and the TP/FP/TN/FN counters (Keras 3 maths)."""
from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from ..losses import EPSILON, _divide_no_nan, squeeze_or_expand_to_same_rank
from .base import Metric

__all__ = ["TruePositives", "FalsePositives", "TrueNegatives", "FalseNegatives", "Precision", "Recall", "AUC",
           "update_confusion_matrix_variables"]

NEG_INF = -1e10
TP, FP, TN, FN = "tp", "fp", "tn", "fn"


def _to_list(x):
    return list(x) if isinstance(x, (list, tuple, np.ndarray)) else [x]


def parse_init_thresholds(thresholds, default_threshold=0.5):
    if thresholds is not None:
        bad = [t for t in _to_list(thresholds) if t is None or t < 0 or t > 1]
        if bad:
            raise ValueError(f"Threshold values must be in [0, 1]. Received: {bad}")
    return _to_list(default_threshold if thresholds is None else thresholds)


def is_evenly_distributed_thresholds(thresholds) -> bool:
    n = len(thresholds)
    if n < 3:
        return False
    even = np.arange(n, dtype=np.float32) / (n - 1)
    return bool(np.allclose(thresholds, even, atol=EPSILON))


def _filter_top_k(x, k):
    _, idx = jax.lax.top_k(x, k)
    mask = jnp.sum(jax.nn.one_hot(idx, x.shape[-1], dtype=x.dtype), axis=-2)
    return x * mask + NEG_INF * (1 - mask)


def _update_optimized(variables, y_true, y_pred, thresholds, multi_label, sample_weights, label_weights,
                      thresholds_with_epsilon):
    """Bucketed (O(n + T)) update for evenly spaced thresholds, as Keras does it."""
    num_thresholds = thresholds.shape[0]
    if sample_weights is None:
        sample_weights = 1.0
    else:
        sample_weights = jnp.broadcast_to(sample_weights.astype(y_pred.dtype), y_pred.shape)
        if not multi_label:
            sample_weights = sample_weights.reshape(-1)
    if label_weights is None:
        label_weights = 1.0
    else:
        label_weights = jnp.broadcast_to(jnp.expand_dims(label_weights, 0), y_pred.shape)
        if not multi_label:
            label_weights = label_weights.reshape(-1)
    weights = jnp.asarray(jnp.multiply(sample_weights, label_weights)).astype(y_true.dtype)
    y_pred = jnp.clip(y_pred, 0.0, 1.0)
    y_true = y_true.astype(bool).astype(y_true.dtype)
    if not multi_label:
        y_true = y_true.reshape(-1)
        y_pred = y_pred.reshape(-1)
    true_labels = y_true * weights
    false_labels = (1.0 - y_true) * weights
    buckets = jnp.ceil(y_pred * (num_thresholds - 1)) - 1
    if thresholds_with_epsilon:
        buckets = jax.nn.relu(buckets)
    buckets = buckets.astype(jnp.int32)

    def seg(data, ids):
        return jax.ops.segment_sum(data, ids, num_segments=num_thresholds)

    if multi_label:
        true_labels, false_labels, buckets = true_labels.T, false_labels.T, buckets.T
        tp = jnp.flip(jnp.cumsum(jnp.flip(jax.vmap(seg)(true_labels, buckets), 1), axis=1), 1).T
        fp = jnp.flip(jnp.cumsum(jnp.flip(jax.vmap(seg)(false_labels, buckets), 1), axis=1), 1).T
        total_true, total_false = jnp.sum(true_labels, axis=1), jnp.sum(false_labels, axis=1)
    else:
        tp = jnp.flip(jnp.cumsum(jnp.flip(seg(true_labels, buckets))))
        fp = jnp.flip(jnp.cumsum(jnp.flip(seg(false_labels, buckets))))
        total_true, total_false = jnp.sum(true_labels), jnp.sum(false_labels)
    counts = {TP: tp, FP: fp, TN: total_false - fp, FN: total_true - tp}
    for key, var in variables.items():
        var.assign(var.value + counts[key])


def update_confusion_matrix_variables(variables, y_true, y_pred, thresholds, top_k=None, class_id=None,
                                      sample_weight=None, multi_label=False, label_weights=None,
                                      thresholds_distributed_evenly=False):
    """Add this batch's TP/FP/TN/FN counts at each threshold to ``variables`` ({"tp": var, ...}).

    A prediction is positive at threshold ``t`` when ``y_pred > t``; a label is positive when nonzero.
    """
    dtype = next(iter(variables.values())).dtype
    y_true = jnp.asarray(y_true).astype(dtype)
    y_pred = jnp.asarray(y_pred).astype(dtype)
    thresholds_with_epsilon = False
    if thresholds_distributed_evenly:
        thresholds_with_epsilon = thresholds[0] < 0.0 or thresholds[-1] > 1.0
    thresholds = jnp.asarray(np.asarray(thresholds), dtype)
    y_pred, y_true = squeeze_or_expand_to_same_rank(y_pred, y_true)
    if sample_weight is not None:
        sample_weight = jnp.expand_dims(jnp.asarray(sample_weight).astype(dtype), -1)
        _, sample_weight = squeeze_or_expand_to_same_rank(y_true, sample_weight, expand_rank_1=False)
    if top_k is not None:
        y_pred = _filter_top_k(y_pred, top_k)
    if class_id is not None:
        if y_pred.ndim == 1:
            raise ValueError("When class_id is provided, y_pred must be a 2D array with shape "
                             f"(num_samples, num_classes), found shape: {y_pred.shape}")
        y_true = y_true[..., class_id, None]
        y_pred = y_pred[..., class_id, None]
    if thresholds_distributed_evenly:
        return _update_optimized(variables, y_true, y_pred, thresholds, multi_label, sample_weight,
                                 label_weights, thresholds_with_epsilon)

    if multi_label:
        preds = y_pred[None]                                       # (1, B, L)
        labels = y_true.astype(bool)[None]
        thresh = thresholds.reshape((-1,) + (1,) * y_pred.ndim)     # (T, 1, 1)
    else:
        preds = y_pred.reshape(1, -1)                              # (1, N)
        labels = y_true.astype(bool).reshape(1, -1)
        thresh = thresholds.reshape(-1, 1)                         # (T, 1)
    pred_is_pos = preds > thresh
    weights = None
    if sample_weight is not None:
        weights = jnp.broadcast_to(sample_weight.astype(y_pred.dtype), y_pred.shape)
        weights = weights[None] if multi_label else weights.reshape(1, -1)
    if label_weights is not None and not multi_label:
        lw = jnp.broadcast_to(jnp.expand_dims(jnp.asarray(label_weights), 0), y_pred.shape).reshape(1, -1)
        weights = lw if weights is None else weights * lw

    def count(label, pred):
        both = jnp.logical_and(label, pred)
        if weights is not None:
            return jnp.sum(jnp.where(both, weights.astype(dtype), 0), axis=1)
        return jnp.sum(both.astype(dtype), axis=1)

    conds = {TP: (labels, pred_is_pos), FN: (labels, ~pred_is_pos), FP: (~labels, pred_is_pos),
             TN: (~labels, ~pred_is_pos)}
    for key, var in variables.items():
        var.assign(var.value + count(*conds[key]))


class _ConfusionMatrixConditionCount(Metric):
    _cond = None

    def __init__(self, thresholds=None, name=None, dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.init_thresholds = thresholds
        self.thresholds = parse_init_thresholds(thresholds, default_threshold=0.5)
        self._thresholds_distributed_evenly = is_evenly_distributed_thresholds(self.thresholds)
        self.accumulator = self.add_variable(shape=(len(self.thresholds),), initializer="zeros",
                                             name="accumulator")

    def update_state(self, y_true, y_pred, sample_weight=None):
        update_confusion_matrix_variables({self._cond: self.accumulator}, y_true, y_pred,
                                          thresholds=self.thresholds,
                                          thresholds_distributed_evenly=self._thresholds_distributed_evenly,
                                          sample_weight=sample_weight)

    def result(self):
        return self.accumulator.value[0] if len(self.thresholds) == 1 else self.accumulator.value

    def get_config(self):
        return {**super().get_config(), "thresholds": self.init_thresholds}


class TruePositives(_ConfusionMatrixConditionCount):
    """Weighted count of true positives (``y_pred > threshold`` and label nonzero)."""
    _cond = TP


class FalsePositives(_ConfusionMatrixConditionCount):
    """Weighted count of false positives."""
    _cond = FP


class TrueNegatives(_ConfusionMatrixConditionCount):
    """Weighted count of true negatives."""
    _cond = TN


class FalseNegatives(_ConfusionMatrixConditionCount):
    """Weighted count of false negatives."""
    _cond = FN


class _PrecisionRecall(Metric):
    _direction = "up"
    _second = None  # "false_positives" or "false_negatives"

    def __init__(self, thresholds=None, top_k=None, class_id=None, name=None, dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.init_thresholds = thresholds
        self.top_k = top_k
        self.class_id = class_id
        self.thresholds = parse_init_thresholds(thresholds, 0.5 if top_k is None else NEG_INF)
        self._thresholds_distributed_evenly = is_evenly_distributed_thresholds(self.thresholds)
        n = len(self.thresholds)
        self.true_positives = self.add_variable(shape=(n,), initializer="zeros", name="true_positives")
        setattr(self, self._second, self.add_variable(shape=(n,), initializer="zeros", name=self._second))

    def update_state(self, y_true, y_pred, sample_weight=None):
        second = FP if self._second == "false_positives" else FN
        update_confusion_matrix_variables({TP: self.true_positives, second: getattr(self, self._second)},
                                          y_true, y_pred, thresholds=self.thresholds,
                                          thresholds_distributed_evenly=self._thresholds_distributed_evenly,
                                          top_k=self.top_k, class_id=self.class_id, sample_weight=sample_weight)

    def result(self):
        tp = self.true_positives.value
        res = _divide_no_nan(tp, tp + getattr(self, self._second).value)
        return res[0] if len(self.thresholds) == 1 else res

    def get_config(self):
        return {**super().get_config(), "thresholds": self.init_thresholds, "top_k": self.top_k,
                "class_id": self.class_id}


class Precision(_PrecisionRecall):
    """``tp / (tp + fp)`` at each threshold (default 0.5), optionally for ``top_k`` / ``class_id``."""
    _second = "false_positives"


class Recall(_PrecisionRecall):
    """``tp / (tp + fn)`` at each threshold (default 0.5), optionally for ``top_k`` / ``class_id``."""
    _second = "false_negatives"


class AUC(Metric):
    """Area under the ROC (or PR) curve from confusion counts at ``num_thresholds`` evenly spaced
    thresholds, with Keras 3's Riemann sum (``summation_method="interpolation"`` by default; the PR
    curve uses the Davis & Goadrich interpolation).

    Arguments:
        num_thresholds: 200.
        curve: "ROC", "PR" or "PRGAIN".
        summation_method: "interpolation", "minoring" or "majoring".
        name, dtype: as for every metric.
        thresholds: explicit thresholds in [0, 1] instead of ``num_thresholds``.
        multi_label: one curve per label, averaged (requires ``num_labels``).
        num_labels: number of labels when ``multi_label``.
        label_weights: per-label weights.
        from_logits: apply a sigmoid to predictions first.
    """
    _direction = "up"

    def __init__(self, num_thresholds=200, curve="ROC", summation_method="interpolation", name=None, dtype=None,
                 thresholds=None, multi_label=False, num_labels=None, label_weights=None, from_logits=False):
        super().__init__(name=name, dtype=dtype)
        self._init_from_thresholds = thresholds is not None
        if thresholds is not None:
            self.num_thresholds = len(thresholds) + 2
            thresholds = sorted(thresholds)
            self._thresholds_distributed_evenly = is_evenly_distributed_thresholds(
                np.array([0.0] + thresholds + [1.0]))
        else:
            if num_thresholds <= 1:
                raise ValueError(f"Argument `num_thresholds` must be an integer > 1. "
                                 f"Received: num_thresholds={num_thresholds}")
            self.num_thresholds = num_thresholds
            thresholds = [(i + 1) * 1.0 / (num_thresholds - 1) for i in range(num_thresholds - 2)]
            self._thresholds_distributed_evenly = True
        self._thresholds = np.array([0.0 - EPSILON] + thresholds + [1.0 + EPSILON])
        curves = {"roc": "ROC", "pr": "PR", "prgain": "PRGAIN"}
        methods = ("interpolation", "majoring", "minoring")
        if str(curve).lower() not in curves:
            raise ValueError(f'Invalid AUC curve value: "{curve}". Expected values are ["PR", "ROC", "PRGAIN"]')
        if str(summation_method).lower() not in methods:
            raise ValueError(f'Invalid AUC summation method value: "{summation_method}". '
                             'Expected values are ["interpolation", "majoring", "minoring"]')
        self.curve = curves[str(curve).lower()]
        self.summation_method = str(summation_method).lower()
        self.multi_label = multi_label
        self.num_labels = num_labels
        self.label_weights = None if label_weights is None else jnp.asarray(label_weights, self.dtype)
        self._from_logits = from_logits
        if multi_label:
            if not num_labels:
                raise ValueError("kxla's AUC(multi_label=True) needs `num_labels` (its state shape must be "
                                 "known before the first update).")
            shape = (self.num_thresholds, num_labels)
        else:
            if num_labels:
                raise ValueError("`num_labels` is needed only when `multi_label` is True.")
            shape = (self.num_thresholds,)
        for var in ("true_positives", "false_positives", "true_negatives", "false_negatives"):
            setattr(self, var, self.add_variable(shape=shape, initializer="zeros", name=var))

    @property
    def thresholds(self):
        return list(self._thresholds)

    def update_state(self, y_true, y_pred, sample_weight=None):
        if self._from_logits:
            y_pred = jax.nn.sigmoid(jnp.asarray(y_pred))
        update_confusion_matrix_variables(
            {TP: self.true_positives, TN: self.true_negatives, FP: self.false_positives, FN: self.false_negatives},
            y_true, y_pred, self._thresholds, thresholds_distributed_evenly=self._thresholds_distributed_evenly,
            sample_weight=sample_weight, multi_label=self.multi_label,
            label_weights=None if self.multi_label else self.label_weights)

    def _average(self, by_label):
        if self.label_weights is None:
            return jnp.mean(by_label)
        return _divide_no_nan(jnp.sum(by_label * self.label_weights), jnp.sum(self.label_weights))

    def _interpolate_pr_auc(self):
        n = self.num_thresholds
        tp, fp, fn = self.true_positives.value, self.false_positives.value, self.false_negatives.value
        dtp = tp[: n - 1] - tp[1:]
        p = tp + fp
        dp = p[: n - 1] - p[1:]
        prec_slope = _divide_no_nan(dtp, jnp.maximum(dp, 0))
        intercept = tp[1:] - prec_slope * p[1:]
        safe_p_ratio = jnp.where((p[: n - 1] > 0) & (p[1:] > 0),
                                 _divide_no_nan(p[: n - 1], jnp.maximum(p[1:], 0)), jnp.ones_like(p[1:]))
        increment = _divide_no_nan(prec_slope * (dtp + intercept * jnp.log(safe_p_ratio)),
                                   jnp.maximum(tp[1:] + fn[1:], 0))
        if self.multi_label:
            return self._average(jnp.sum(increment, axis=0))
        return jnp.sum(increment)

    def result(self):
        if self.curve == "PR" and self.summation_method == "interpolation":
            return self._interpolate_pr_auc()
        n = self.num_thresholds
        tp, fp = self.true_positives.value, self.false_positives.value
        tn, fn = self.true_negatives.value, self.false_negatives.value
        recall = _divide_no_nan(tp, tp + fn)
        if self.curve == "ROC":
            x, y = _divide_no_nan(fp, fp + tn), recall
        elif self.curve == "PR":
            x, y = recall, _divide_no_nan(tp, tp + fp)
        else:  # PRGAIN
            scale = _divide_no_nan(tp + fn, tn + fp)
            recall_gain = 1.0 - scale * _divide_no_nan(fn, tp)
            precision_gain = 1.0 - scale * _divide_no_nan(fp, tp)
            recall_gain = jnp.maximum(jnp.where(tp == 0.0, 0.0, recall_gain), 0.0)
            precision_gain = jnp.where(tp == 0.0, 1.0, precision_gain)
            x, y = recall_gain, precision_gain
        if self.summation_method == "interpolation":
            heights = (y[: n - 1] + y[1:]) / 2.0
        elif self.summation_method == "minoring":
            heights = jnp.minimum(y[: n - 1], y[1:])
        else:
            heights = jnp.maximum(y[: n - 1], y[1:])
        terms = (x[: n - 1] - x[1:]) * heights
        if self.multi_label:
            return self._average(jnp.sum(terms, axis=0))
        return jnp.sum(terms)

    def get_config(self):
        config = {**super().get_config(), "num_thresholds": self.num_thresholds, "curve": self.curve,
                  "summation_method": self.summation_method, "multi_label": self.multi_label,
                  "num_labels": self.num_labels,
                  "label_weights": None if self.label_weights is None else np.asarray(self.label_weights).tolist(),
                  "from_logits": self._from_logits}
        if self._init_from_thresholds:
            config["thresholds"] = self.thresholds[1:-1]
        return config

