"""F-scores and R^2: FBetaScore, F1Score, R2Score (Keras 3's).

Their variables are sized by the number of classes / outputs, which Keras
learns from the first batch: here too the first eager ``update_state`` (or an
explicit ``build(y_true_shape, y_pred_shape)``) creates them; the functional
``init()`` of an unbuilt metric raises, naming ``build``.
"""
from __future__ import annotations

import jax.numpy as jnp

from ..losses import EPSILON, squeeze_or_expand_to_same_rank
from .base import Metric

__all__ = ["FBetaScore", "F1Score", "R2Score"]


class _ShapeBuilt(Metric):
    _names: tuple = ()
    _built = False

    def _check_shapes(self, y_true_shape, y_pred_shape):
        kind = type(self).__name__
        if len(y_pred_shape) != 2 or len(y_true_shape) != 2:
            raise ValueError(f"{kind} expects 2D inputs with shape (batch_size, output_dim). Received input shapes: "
                             f"y_pred.shape={tuple(y_pred_shape)} and y_true.shape={tuple(y_true_shape)}.")
        if y_pred_shape[-1] is None or y_true_shape[-1] is None:
            raise ValueError(f"{kind} expects 2D inputs with shape (batch_size, output_dim), with output_dim fully "
                             f"defined (not None). Received input shapes: y_pred.shape={tuple(y_pred_shape)} and "
                             f"y_true.shape={tuple(y_true_shape)}.")

    def build(self, y_true_shape, y_pred_shape):
        """Create the per-class variables for inputs of these shapes."""
        self._check_shapes(y_true_shape, y_pred_shape)
        shape = self._variable_shape(y_pred_shape[-1])
        for name in self._names:
            setattr(self, name, self.add_variable(shape=shape, initializer="zeros", name=name))
        self._built = True

    def init(self):
        if not self._built:
            raise ValueError(f"{type(self).__name__} sizes its variables from the data: call "
                             f"metric.build(y_true_shape, y_pred_shape) (or update_state once) before init()")
        return super().init()


class FBetaScore(_ShapeBuilt):
    """F-beta score per class, or averaged (``"micro"``, ``"macro"``, ``"weighted"``)."""
    _direction = "up"
    _names = ("true_positives", "false_positives", "false_negatives", "intermediate_weights")

    def __init__(self, average=None, beta=1.0, threshold=None, name="fbeta_score", dtype=None):
        super().__init__(name=name, dtype=dtype)
        if average not in (None, "micro", "macro", "weighted"):
            raise ValueError("Invalid `average` argument value. Expected one of: {None, 'micro', 'macro', "
                             f"'weighted'}}. Received: average={average}")
        if not isinstance(beta, float):
            raise ValueError(f"Invalid `beta` argument value. It should be a Python float. Received: beta={beta} "
                             f"of type '{type(beta)}'")
        if beta <= 0.0:
            raise ValueError(f"Invalid `beta` argument value. It should be > 0. Received: beta={beta}")
        if threshold is not None and (not isinstance(threshold, float) or not 0.0 < threshold <= 1.0):
            raise ValueError(f"Invalid `threshold` argument value. It should be a Python float with "
                             f"0 < threshold <= 1. Received: threshold={threshold}")
        self.average, self.beta, self.threshold = average, beta, threshold
        self.axis = None if average == "micro" else 0

    def _variable_shape(self, num_classes):
        return () if self.average == "micro" else (num_classes,)

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_true, y_pred = jnp.asarray(y_true, self.dtype), jnp.asarray(y_pred, self.dtype)
        if not self._built:
            self.build(y_true.shape, y_pred.shape)
        if self.threshold is None:
            top = jnp.max(y_pred, axis=-1, keepdims=True)
            y_pred = (y_pred >= top) & (jnp.abs(y_pred) > 1e-9)
        else:
            y_pred = y_pred > self.threshold
        y_pred = y_pred.astype(self.dtype)

        def total(v):
            if sample_weight is not None:
                v = v * jnp.expand_dims(jnp.asarray(sample_weight, self.dtype), 1)
            return jnp.sum(v, axis=self.axis)
        self.true_positives.assign_add(total(y_pred * y_true))
        self.false_positives.assign_add(total(y_pred * (1 - y_true)))
        self.false_negatives.assign_add(total((1 - y_pred) * y_true))
        self.intermediate_weights.assign_add(total(y_true))

    def result(self):
        tp = self.true_positives.value
        precision = tp / (tp + self.false_positives.value + EPSILON)
        recall = tp / (tp + self.false_negatives.value + EPSILON)
        score = precision * recall / (self.beta ** 2 * precision + recall + EPSILON) * (1 + self.beta ** 2)
        if self.average == "weighted":
            weights = self.intermediate_weights.value
            return jnp.sum(score * weights / (jnp.sum(weights) + EPSILON))
        return score if self.average is None else jnp.mean(score)

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype, "beta": self.beta, "average": self.average,
                "threshold": self.threshold}


class F1Score(FBetaScore):
    """F1 score: ``FBetaScore(beta=1.0)``."""

    def __init__(self, average=None, threshold=None, name="f1_score", dtype=None):
        super().__init__(average=average, beta=1.0, threshold=threshold, name=name, dtype=dtype)

    def get_config(self):
        config = super().get_config()
        del config["beta"]
        return config


class R2Score(_ShapeBuilt):
    """Coefficient of determination per output, aggregated by ``class_aggregation``; adjusted when
    ``num_regressors > 0``."""
    _direction = "up"
    _names = ("squared_sum", "sum", "total_mse", "count")

    def __init__(self, class_aggregation="uniform_average", num_regressors=0, name="r2_score", dtype=None):
        super().__init__(name=name, dtype=dtype)
        if class_aggregation not in (None, "uniform_average", "variance_weighted_average"):
            raise ValueError("Invalid value for argument `class_aggregation`. Expected one of (None, "
                             f"'uniform_average', 'variance_weighted_average'). Received: "
                             f"class_aggregation={class_aggregation}")
        if num_regressors < 0:
            raise ValueError(f"Invalid value for argument `num_regressors`. Expected a value >= 0. Received: "
                             f"num_regressors={num_regressors}")
        self.class_aggregation, self.num_regressors = class_aggregation, num_regressors
        self.num_samples = self.add_variable(shape=(), initializer="zeros", name="num_samples")

    def _variable_shape(self, num_outputs):
        return (num_outputs,)

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_true, y_pred = jnp.asarray(y_true, self.dtype), jnp.asarray(y_pred, self.dtype)
        y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
        if not self._built:
            self.build(y_true.shape, y_pred.shape)
        weight = jnp.asarray(1 if sample_weight is None else sample_weight, self.dtype)
        if weight.ndim == 1:
            weight = weight[:, None]
        weight = jnp.broadcast_to(weight, y_true.shape)
        self.sum.assign_add(jnp.sum(y_true * weight, axis=0))
        self.squared_sum.assign_add(jnp.sum(y_true * y_true * weight, axis=0))
        self.total_mse.assign_add(jnp.sum((y_true - y_pred) ** 2 * weight, axis=0))
        self.count.assign_add(jnp.sum(weight, axis=0))
        self.num_samples.assign_add(y_true.size)

    def result(self):
        mean = self.sum.value / self.count.value
        total = self.squared_sum.value - self.sum.value * mean
        raw = 1 - self.total_mse.value / total
        raw = jnp.where(jnp.isinf(raw), 0.0, raw)
        if self.class_aggregation == "uniform_average":
            score = jnp.mean(raw)
        elif self.class_aggregation == "variance_weighted_average":
            score = jnp.sum(total * raw) / jnp.sum(total)
        else:
            score = raw
        if self.num_regressors:
            n, p = self.num_samples.value.astype("float32"), float(self.num_regressors)
            adjusted = 1.0 - (1.0 - score) * (n - 1.0) / (n - p - 1.0)
            score = jnp.where(p < n - 1, adjusted, score)    # Keras falls back (with a warning) otherwise
        return score

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype, "class_aggregation": self.class_aggregation,
                "num_regressors": self.num_regressors}
