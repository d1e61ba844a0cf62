"""Keras 3's other metrics (hinge family, correlations, IoU family, F-scores, R2, metrics at an operating
point) against Keras over several batches, through test_metric_values' harness; configs and names."""
import numpy as np
import pytest

from kxla import metrics
from tests.metrics.test_metric_values import _batches, _functional_value, _keras_value

CASES = [
    ("Hinge", {}, "multilabel", True), ("SquaredHinge", {}, "multilabel", False),
    ("CategoricalHinge", {}, "onehot", True), ("KLDivergence", {}, "positive", True),
    ("Poisson", {}, "positive", False), ("LogCoshError", {}, "regression", True),
    ("CosineSimilarity", {}, "regression", True), ("CosineSimilarity", {"axis": 0}, "regression", False),
    ("PearsonCorrelation", {}, "regression", True), ("ConcordanceCorrelation", {}, "regression", False),
    ("IoU", {"num_classes": 3, "target_class_ids": [0, 2]}, "exact", False),
    ("IoU", {"num_classes": 3, "target_class_ids": [1], "ignore_class": 2}, "exact", False),
    ("MeanIoU", {"num_classes": 3}, "exact", False),
    ("BinaryIoU", {"dtype": "float32"}, "binary", True),
    ("BinaryIoU", {}, "binary", False), ("BinaryIoU", {"target_class_ids": [1], "threshold": 0.3}, "binary", False),
    ("OneHotIoU", {"num_classes": 5, "target_class_ids": [0, 3]}, "onehot", False),
    ("OneHotMeanIoU", {"num_classes": 5}, "onehot", False),
    ("SensitivityAtSpecificity", {"specificity": 0.5}, "binary", True),
    ("SpecificityAtSensitivity", {"sensitivity": 0.6, "num_thresholds": 30}, "binary", False),
    ("PrecisionAtRecall", {"recall": 0.4}, "multilabel", True),
    ("RecallAtPrecision", {"precision": 0.5, "class_id": 1}, "multilabel", False),
    ("F1Score", {}, "onehot", False), ("F1Score", {"average": "macro", "threshold": 0.5}, "multilabel", True),
    ("FBetaScore", {"beta": 2.0, "average": "weighted"}, "onehot", True),
    ("FBetaScore", {"average": "micro", "beta": 0.5}, "multilabel", False),
    ("R2Score", {}, "regression", True), ("R2Score", {"class_aggregation": None}, "regression", False),
    ("R2Score", {"class_aggregation": "variance_weighted_average", "num_regressors": 2}, "regression", False),
]


@pytest.mark.parametrize("name,kwargs,kind,weighted", CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_metric_matches_keras(keras, name, kwargs, kind, weighted):
    batches = _batches(kind, weighted=weighted)
    yt, yp, _ = batches[0]
    theirs = getattr(keras.metrics, name)(**kwargs)
    if hasattr(theirs, "_build"):                     # Keras sizes these from the first batch
        theirs._build(yt.shape, yp.shape)
    want = _keras_value(keras, name, kwargs, batches) if not hasattr(theirs, "_build") else \
        _keras_built_value(theirs, batches)
    eager = getattr(metrics, name)(**kwargs)
    for t, p, w in batches:
        eager.update_state(t, p, sample_weight=w)
    np.testing.assert_allclose(eager.result(), want, rtol=1e-5, atol=1e-6)
    functional = getattr(metrics, name)(**kwargs)
    if hasattr(functional, "build"):
        functional.build(yt.shape, yp.shape)
    np.testing.assert_allclose(_functional_value(functional, batches), want, rtol=1e-5, atol=1e-6)
    mine, ref = functional.get_config(), theirs.get_config()
    assert ref.pop("name").startswith(mine.pop("name"))          # Keras numbers repeated default names
    assert mine == ref
    again = metrics.deserialize(metrics.serialize(functional))
    assert type(again) is type(functional) and again.get_config() == functional.get_config()


def _keras_built_value(m, batches):
    for t, p, w in batches:
        m.update_state(t, p, sample_weight=w)
    return np.asarray(m.result())


def test_every_keras_metric_name_is_present(keras):
    assert {n for n in dir(keras.metrics) if not n.startswith("_")} <= set(dir(metrics))


@pytest.mark.parametrize("name", ["pearson_correlation", "concordance_correlation", "hinge", "log_cosh"])
def test_functions_match_keras(keras, name):
    (yt, yp, _), = _batches("regression")[:1]
    np.testing.assert_allclose(np.asarray(getattr(metrics, name)(yt, yp)),
                               np.asarray(getattr(keras.metrics, name)(yt, yp)), rtol=1e-5, atol=1e-6)


def test_unbuilt_metric_names_build_and_errors():
    with pytest.raises(ValueError, match="build"):
        metrics.F1Score().init()
    with pytest.raises(ValueError, match="2D inputs"):
        metrics.R2Score().update_state(np.zeros(3), np.zeros(3))
    with pytest.raises(ValueError, match="out of range"):
        metrics.IoU(2, [2])
    with pytest.raises(ValueError, match="range"):
        metrics.PrecisionAtRecall(1.5)
    assert isinstance(metrics.get("hinge"), metrics.Hinge)
