"""kxla.metrics — Keras 3 metrics with a pure functional protocol for the jitted train step.

    m = kxla.metrics.get("accuracy", loss="sparse_categorical_crossentropy")
    state = m.init()                                          # dict of arrays
    state = m.update(state, y_true, y_pred, sample_weight)    # pure; use under jax.jit
    value = m.result(state)                                   # pure scalar
    m.update_state(y_true, y_pred); m.result(); m.reset_state()   # eager Keras API
"""
from __future__ import annotations

import inspect

from .. import losses as _losses
from ..naming import resolve, snake_case
from .accuracy import (Accuracy, AutoAccuracy, BinaryAccuracy, CategoricalAccuracy, SparseCategoricalAccuracy,
                       SparseTopKCategoricalAccuracy, TopKCategoricalAccuracy, accuracy, binary_accuracy,
                       categorical_accuracy, sparse_categorical_accuracy, sparse_top_k_categorical_accuracy,
                       top_k_categorical_accuracy)
from .base import Metric, MetricVariable
from .confusion import (AUC, FalseNegatives, FalsePositives, Precision, Recall, TrueNegatives, TruePositives)
from .reduction import Mean, MeanMetricWrapper, Sum
from .regression import (BinaryCrossentropy, CategoricalCrossentropy, MeanAbsoluteError,
                         MeanAbsolutePercentageError, MeanSquaredError, MeanSquaredLogarithmicError,
                         RootMeanSquaredError, SparseCategoricalCrossentropy)

__all__ = ["Metric", "MetricVariable", "Mean", "Sum", "MeanMetricWrapper", "Accuracy", "BinaryAccuracy",
           "CategoricalAccuracy", "SparseCategoricalAccuracy", "TopKCategoricalAccuracy",
           "SparseTopKCategoricalAccuracy", "AutoAccuracy", "MeanSquaredError", "MeanAbsoluteError",
           "RootMeanSquaredError", "MeanAbsolutePercentageError", "MeanSquaredLogarithmicError",
           "BinaryCrossentropy", "CategoricalCrossentropy", "SparseCategoricalCrossentropy", "Precision",
           "Recall", "AUC", "TruePositives", "FalsePositives", "TrueNegatives", "FalseNegatives",
           "accuracy", "binary_accuracy", "categorical_accuracy", "sparse_categorical_accuracy",
           "top_k_categorical_accuracy", "sparse_top_k_categorical_accuracy", "get", "serialize", "deserialize"]

ALL_CLASSES = (Mean, Sum, MeanMetricWrapper, Accuracy, BinaryAccuracy, CategoricalAccuracy,
               SparseCategoricalAccuracy, TopKCategoricalAccuracy, SparseTopKCategoricalAccuracy,
               MeanSquaredError, MeanAbsoluteError, RootMeanSquaredError, MeanAbsolutePercentageError,
               MeanSquaredLogarithmicError, BinaryCrossentropy, CategoricalCrossentropy,
               SparseCategoricalCrossentropy, Precision, Recall, AUC, TruePositives, FalsePositives,
               TrueNegatives, FalseNegatives)
ALL_OBJECTS = {cls.__name__: cls for cls in ALL_CLASSES if cls is not MeanMetricWrapper}
ALL_OBJECTS.update({snake_case(cls.__name__): cls for cls in ALL_CLASSES if cls is not MeanMetricWrapper})
ALL_OBJECTS.update({"acc": Accuracy, "mse": MeanSquaredError, "mae": MeanAbsoluteError,
                    "mape": MeanAbsolutePercentageError, "msle": MeanSquaredLogarithmicError,
                    "bce": BinaryCrossentropy})

_FUNCTIONS = {fn.__name__: fn for fn in (accuracy, binary_accuracy, categorical_accuracy,
                                         sparse_categorical_accuracy, top_k_categorical_accuracy,
                                         sparse_top_k_categorical_accuracy)}
_FUNCTIONS.update(_losses._FUNCTIONS)


def _resolve_function(name):
    return resolve("metric function", name, _FUNCTIONS) if isinstance(name, str) else name


def _crossentropy_kind(loss):
    """"binary" / "sparse" / "categorical" when ``loss`` is a Keras cross-entropy, else None."""
    if loss is None:
        return None
    if isinstance(loss, str):
        key = loss.lower()
    elif isinstance(loss, _losses.LossFunctionWrapper):
        key = getattr(loss.fn, "__name__", "")
    else:
        key = snake_case(getattr(loss, "__name__", type(loss).__name__))
    key = key.replace("_loss", "")
    if key in ("binary_crossentropy", "bce", "binary_focal_crossentropy"):
        return "binary"
    if key == "sparse_categorical_crossentropy":
        return "sparse"
    if key in ("categorical_crossentropy", "categorical_focal_crossentropy"):
        return "categorical"
    return None


def _accuracy_metric(name, loss, output_shape, target_shape):
    kind = _crossentropy_kind(loss)
    if output_shape is not None:
        output_shape = tuple(output_shape)
        if output_shape[-1] == 1:                       # Keras 3 checks "binary" first
            kind = "binary"
        elif target_shape is not None:
            target_shape = tuple(target_shape)
            sparse = len(target_shape) < len(output_shape) or target_shape[-1] == 1
            kind = "sparse" if sparse else "categorical"
        elif kind == "binary":                          # multi-label targets have the output's shape
            kind = "categorical"
    if kind == "binary":
        return BinaryAccuracy(name=name)
    if kind == "sparse":
        return SparseCategoricalAccuracy(name=name)
    if kind == "categorical":
        return CategoricalAccuracy(name=name)
    return AutoAccuracy(name=name)


def serialize(metric: Metric) -> dict:
    """``{"class_name": ..., "config": {...}}``."""
    return {"class_name": type(metric).__name__, "config": metric.get_config()}


def deserialize(config: dict, custom_objects: dict | None = None) -> Metric:
    """Inverse of :func:`serialize`."""
    table = {cls.__name__: cls for cls in ALL_CLASSES}
    table["AutoAccuracy"] = AutoAccuracy
    table.update(custom_objects or {})
    cls = resolve("metric", config["class_name"], table)
    return cls.from_config(dict(config.get("config", {})))


def get(identifier, loss=None, output_shape=None, target_shape=None) -> Metric | None:
    """Resolve a metric identifier the way Keras 3's ``compile(metrics=...)`` does.

    Arguments:
        identifier: a name (``"accuracy"``/``"acc"``, ``"mse"``, ``"mae"``, ``"auc"``, ``"precision"``,
            ``"recall"``, ``"top_k_categorical_accuracy"``, any class name or its snake case), a
            serialized dict, a ``Metric`` class or instance, or a function ``fn(y_true, y_pred)``.
        loss: the compiled loss (name, ``Loss`` or function); decides ``"accuracy"`` when the shapes
            do not: sparse CE -> sparse_categorical_accuracy, categorical CE -> categorical_accuracy,
            binary CE -> binary_accuracy.
        output_shape: the model output's shape. Keras 3 decides from shapes: last dim 1 -> binary;
            targets of lower rank or with a trailing 1 -> sparse; otherwise categorical (so binary CE
            on a multi-label output gives categorical accuracy, as in Keras 3).
        target_shape: the targets' shape, if known.
    Returns:
        a ``Metric``; a string identifier becomes its name (``"acc"`` stays ``"acc"``), an instance
        keeps its name, a function is wrapped in ``MeanMetricWrapper`` named after it. ``"accuracy"``
        with nothing to decide from gives ``AutoAccuracy``, which decides from the shapes it sees.
    Raises:
        ValueError: unknown name (with a did-you-mean hint) or uninterpretable identifier.
    """
    if identifier is None:
        return None
    if isinstance(identifier, Metric):
        return identifier
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if isinstance(identifier, str):
        if identifier.lower() in ("accuracy", "acc"):
            return _accuracy_metric(identifier, loss, output_shape, target_shape)
        try:
            obj = resolve("metric", identifier, ALL_OBJECTS)
        except ValueError:
            if identifier in _FUNCTIONS:
                return MeanMetricWrapper(_FUNCTIONS[identifier], name=identifier)
            raise
        metric = obj()
        metric.name = identifier
        return metric
    if inspect.isclass(identifier) and issubclass(identifier, Metric):
        return identifier()
    if callable(identifier):
        return MeanMetricWrapper(identifier)
    raise ValueError(f"Could not interpret metric identifier: {identifier!r}")

# Keras 3's other metrics (new files) and the loss functions Keras also exports as metric functions.
from .extra import (CategoricalHinge, ConcordanceCorrelation, CosineSimilarity, Hinge,  # noqa: E402
                    KLDivergence, LogCoshError, PearsonCorrelation, Poisson, SquaredHinge,
                    concordance_correlation, pearson_correlation)
from .f_score import F1Score, FBetaScore, R2Score  # noqa: E402
from .iou import IoU, BinaryIoU, MeanIoU, OneHotIoU, OneHotMeanIoU  # noqa: E402
from .threshold_at import (PrecisionAtRecall, RecallAtPrecision, SensitivityAtSpecificity,  # noqa: E402
                           SpecificityAtSensitivity)
from ..losses import (binary_crossentropy, binary_focal_crossentropy, categorical_crossentropy,  # noqa: E402
                      categorical_focal_crossentropy, categorical_hinge, hinge, huber, kl_divergence, log_cosh,
                      mean_absolute_error, mean_absolute_percentage_error, mean_squared_error,
                      mean_squared_logarithmic_error, poisson, sparse_categorical_crossentropy, squared_hinge)

_MORE = (Hinge, SquaredHinge, CategoricalHinge, KLDivergence, Poisson, LogCoshError, CosineSimilarity,
         PearsonCorrelation, ConcordanceCorrelation, F1Score, FBetaScore, R2Score, IoU, BinaryIoU, MeanIoU,
         OneHotIoU, OneHotMeanIoU, PrecisionAtRecall, RecallAtPrecision, SensitivityAtSpecificity,
         SpecificityAtSensitivity)
ALL_CLASSES = ALL_CLASSES + _MORE
ALL_OBJECTS.update({cls.__name__: cls for cls in _MORE})
ALL_OBJECTS.update({snake_case(cls.__name__): cls for cls in _MORE})
ALL_OBJECTS.update({"logcosh": LogCoshError, "cosine_similarity": CosineSimilarity})
_FUNCTIONS.update({fn.__name__: fn for fn in (pearson_correlation, concordance_correlation)})
__all__ += [cls.__name__ for cls in _MORE] + ["pearson_correlation", "concordance_correlation"]
