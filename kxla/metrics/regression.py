"""Regression and probabilistic metrics: MSE, MAE, RMSE, MAPE, MSLE and the cross-entropies."""
from __future__ import annotations

import jax.numpy as jnp

from .. import losses as _losses
from ..losses import squeeze_or_expand_to_same_rank
from .reduction import Mean, MeanMetricWrapper

__all__ = ["MeanSquaredError", "MeanAbsoluteError", "RootMeanSquaredError", "MeanAbsolutePercentageError",
           "MeanSquaredLogarithmicError", "BinaryCrossentropy", "CategoricalCrossentropy",
           "SparseCategoricalCrossentropy"]


class _LossMetric(MeanMetricWrapper):
    """Mean of a loss function; smaller is better."""
    _direction = "down"

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype, **self._fn_kwargs}


class MeanSquaredError(_LossMetric):
    """Mean of ``mean((y_true - y_pred)**2, axis=-1)`` over samples."""

    def __init__(self, name="mean_squared_error", dtype=None):
        super().__init__(fn=_losses.mean_squared_error, name=name, dtype=dtype)


class MeanAbsoluteError(_LossMetric):
    """Mean of ``mean(|y_true - y_pred|, axis=-1)`` over samples."""

    def __init__(self, name="mean_absolute_error", dtype=None):
        super().__init__(fn=_losses.mean_absolute_error, name=name, dtype=dtype)


class MeanAbsolutePercentageError(_LossMetric):
    """Mean absolute percentage error."""

    def __init__(self, name="mean_absolute_percentage_error", dtype=None):
        super().__init__(fn=_losses.mean_absolute_percentage_error, name=name, dtype=dtype)


class MeanSquaredLogarithmicError(_LossMetric):
    """Mean squared logarithmic error."""

    def __init__(self, name="mean_squared_logarithmic_error", dtype=None):
        super().__init__(fn=_losses.mean_squared_logarithmic_error, name=name, dtype=dtype)


class RootMeanSquaredError(Mean):
    """``sqrt`` of the mean squared error over every element seen."""
    _direction = "down"

    def __init__(self, name="root_mean_squared_error", dtype=None):
        super().__init__(name=name, dtype=dtype)

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_true = jnp.asarray(y_true, self.dtype)
        y_pred = jnp.asarray(y_pred, self.dtype)
        y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
        return super().update_state(jnp.square(y_pred - y_true), sample_weight=sample_weight)

    def result(self):
        return jnp.sqrt(super().result())


class BinaryCrossentropy(_LossMetric):
    """Mean binary cross-entropy."""

    def __init__(self, name="binary_crossentropy", dtype=None, from_logits=False, label_smoothing=0):
        super().__init__(fn=_losses.binary_crossentropy, name=name, dtype=dtype, from_logits=from_logits,
                         label_smoothing=label_smoothing)


class CategoricalCrossentropy(_LossMetric):
    """Mean categorical cross-entropy."""

    def __init__(self, name="categorical_crossentropy", dtype=None, from_logits=False, label_smoothing=0,
                 axis=-1):
        super().__init__(fn=_losses.categorical_crossentropy, name=name, dtype=dtype, from_logits=from_logits,
                         label_smoothing=label_smoothing, axis=axis)


class SparseCategoricalCrossentropy(_LossMetric):
    """Mean sparse categorical cross-entropy."""

    def __init__(self, name="sparse_categorical_crossentropy", dtype=None, from_logits=False,
                 ignore_class=None, axis=-1):
        super().__init__(fn=_losses.sparse_categorical_crossentropy, name=name, dtype=dtype,
                         from_logits=from_logits, ignore_class=ignore_class, axis=axis)
        self.ignore_class = ignore_class

    def update_state(self, y_true, y_pred, sample_weight=None):
        if self.ignore_class is None:
            return super().update_state(y_true, y_pred, sample_weight=sample_weight)
        # Keras masks the ignored entries out of the mean (they are not counted).
        labels = jnp.asarray(y_true)
        if labels.ndim == jnp.ndim(y_pred) and labels.shape[-1] == 1:
            labels = jnp.squeeze(labels, -1)
        mask = (labels != self.ignore_class).astype(self.dtype)
        if sample_weight is not None:
            mask, sample_weight = squeeze_or_expand_to_same_rank(mask, jnp.asarray(sample_weight, self.dtype))
            mask = sample_weight * mask
        values = self._fn(y_true, y_pred, **self._fn_kwargs)
        return Mean.update_state(self, values, sample_weight=mask)
