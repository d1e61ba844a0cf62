"""Keras 3's newer losses (Dice, Tversky, Circle, CategoricalGeneralizedCrossEntropy, CTC) against Keras on
random labels: classes with every reduction and sample weights, functional forms, configs, names."""
import numpy as np
import pytest

from kxla import losses

RNG = np.random.default_rng(0)
BIN_TRUE = RNG.integers(0, 2, (6, 5)).astype("float32")
BIN_PRED = RNG.uniform(size=(6, 5)).astype("float32")
LABELS = RNG.integers(0, 3, (6,))
EMB = RNG.normal(size=(6, 4)).astype("float32")
EMB /= np.linalg.norm(EMB, axis=1, keepdims=True)
PROBS = RNG.dirichlet(np.ones(4), size=6).astype("float32")
CTC_LABELS = np.array([[1, 2, 2, 0], [3, 1, 4, 2], [1, 1, 1, 0], [0, 0, 0, 0], [2, 0, 0, 0], [4, 4, 3, 3]])
CTC_LOGITS = RNG.normal(size=(6, 9, 5)).astype("float32")
WEIGHTS = RNG.uniform(0.1, 2.0, (6,)).astype("float32")
DATA = {"binary": (BIN_TRUE, BIN_PRED), "embedding": (LABELS, EMB), "sparse": (LABELS.astype("float32") % 4, PROBS),
        "ctc": (CTC_LABELS, CTC_LOGITS)}

CASES = [("Dice", {}, "binary"), ("Dice", {"axis": -1}, "binary"), ("Tversky", {}, "binary"),
         ("Tversky", {"alpha": 0.2, "beta": 0.8, "axis": 1}, "binary"), ("Circle", {}, "embedding"),
         ("Circle", {"gamma": 3.0, "margin": 0.2, "remove_diagonal": False}, "embedding"),
         ("CategoricalGeneralizedCrossEntropy", {"q": 0.3}, "sparse"), ("CTC", {}, "ctc")]


@pytest.mark.parametrize("reduction", ["sum_over_batch_size", "none"])
@pytest.mark.parametrize("name,kwargs,data", CASES)
def test_class_matches_keras(keras, name, kwargs, data, reduction):
    y_true, y_pred = DATA[data]
    ours = getattr(losses, name)(reduction=reduction, **kwargs)
    theirs = getattr(keras.losses, name)(reduction=reduction, **kwargs)
    weight = None if np.ndim(ours.per_sample(y_true, y_pred)) == 0 else WEIGHTS
    np.testing.assert_allclose(np.asarray(ours(y_true, y_pred, sample_weight=weight)),
                               np.asarray(theirs(y_true, y_pred, sample_weight=weight)), rtol=2e-5, atol=1e-6)


@pytest.mark.parametrize("name,kwargs,data", [("dice", {}, "binary"), ("tversky", {"alpha": 0.9}, "binary"),
                                              ("circle", {"gamma": 10}, "embedding"), ("ctc", {}, "ctc"),
                                              ("categorical_generalized_cross_entropy", {"q": 0.7}, "sparse")])
def test_function_matches_keras(keras, name, kwargs, data):
    y_true, y_pred = DATA[data]
    np.testing.assert_allclose(np.asarray(getattr(losses, name)(y_true, y_pred, **kwargs)),
                               np.asarray(getattr(keras.losses, name)(y_true, y_pred, **kwargs)), rtol=2e-5, atol=1e-6)


@pytest.mark.parametrize("name,kwargs,_", CASES)
def test_config_matches_keras_and_round_trips(keras, name, kwargs, _):
    ours = getattr(losses, name)(**kwargs)
    assert ours.get_config() == getattr(keras.losses, name)(**kwargs).get_config()
    again = losses.deserialize(losses.serialize(ours))
    assert type(again) is type(ours) and again.get_config() == ours.get_config()
    assert isinstance(losses.get(name), getattr(losses, name))


def test_every_keras_loss_name_is_present(keras):
    assert {n for n in dir(keras.losses) if not n.startswith("_")} <= set(dir(losses))


def test_errors():
    with pytest.raises(ValueError, match="q must be"):
        losses.CategoricalGeneralizedCrossEntropy(q=1.5)
    with pytest.raises(ValueError, match="batch_size, max_length"):
        losses.ctc(np.zeros((2, 3, 1)), CTC_LOGITS)


@pytest.mark.parametrize("reduction", ["sum", "mean_with_sample_weight"])
def test_other_reductions_match_keras(keras, reduction):
    y_true, y_pred = DATA["binary"]
    ours, theirs = losses.Tversky(reduction=reduction, axis=-1), keras.losses.Tversky(reduction=reduction, axis=-1)
    np.testing.assert_allclose(np.asarray(ours(y_true, y_pred, sample_weight=WEIGHTS)),
                               np.asarray(theirs(y_true, y_pred, sample_weight=WEIGHTS)), rtol=2e-5)
