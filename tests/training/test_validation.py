"""Bad labels and bad data raise a ValueError naming the argument before anything compiles
(issue 13 items 8 and 9); Keras 3 raises for the cases marked so."""
import datetime

import numpy as np
import pytest

import kxla
from kxla import layers
from kxla.testing import assert_max_compiles

X = np.random.default_rng(0).normal(size=(8, 4)).astype("float32")


def _model(units=3, loss="sparse_categorical_crossentropy", activation="softmax", **kw):
    model = kxla.Sequential([layers.Dense(units, activation=activation, input_shape=(4,))])
    model.compile(optimizer="sgd", loss=loss, **kw)
    model.trace(training=False)          # builds the weights (their initialisation may compile)
    return model


def _raises(match, fn):
    with assert_max_compiles(0):
        with pytest.raises(ValueError, match=match):
            fn()


SPARSE_LABELS = {
    "too_large": (np.array([0, 1, 2, 3] * 2), r"outside \[0, 3\)"),
    "negative": (np.array([0, -1] * 4), r"outside \[0, 3\)"),
    "int64_wrap": (np.array([2 ** 32 + 1] * 8, np.int64), "int32 range"),
    "float_label": (np.array([1.7] * 8, np.float32), "non-integer"),
    "wrong_rank": (np.zeros((8, 3), np.int32), "shape"),
    "strings": (np.array(["a"] * 8), "numeric"),
}


@pytest.mark.parametrize("case", sorted(SPARSE_LABELS))
@pytest.mark.parametrize("method", ["fit", pytest.param("evaluate", marks=pytest.mark.slow),
                                    pytest.param("train_on_batch", marks=pytest.mark.slow)])
def test_bad_sparse_labels(case, method):
    y, match = SPARSE_LABELS[case]
    model = _model()
    kwargs = {"verbose": 0} if method != "train_on_batch" else {}
    _raises(match, lambda: getattr(model, method)(X, y, **kwargs))


def test_ignore_class_label_is_allowed():
    model = _model(loss=kxla.losses.SparseCategoricalCrossentropy(ignore_class=-1))
    y = np.array([0, -1] * 4)
    probs = model.predict(X, verbose=0)
    want = np.asarray(kxla.losses.SparseCategoricalCrossentropy(ignore_class=-1)(y, probs))   # the loss object
    np.testing.assert_allclose(model.evaluate(X, y, verbose=0), want, rtol=1e-5)


@pytest.mark.parametrize("y", [np.array([[5.0]] * 8), np.array([[-2.0]] * 8)])
def test_binary_labels_outside_unit_interval(y):
    model = _model(units=1, loss="binary_crossentropy", activation="sigmoid")
    _raises(r"outside \[0, 1\]", lambda: model.fit(X, y, verbose=0))


def test_y_of_the_wrong_width():
    model = _model(loss="mse", activation=None)
    _raises("does not match the model output", lambda: model.fit(X, np.zeros((8, 2), np.float32), verbose=0))


@pytest.mark.parametrize("bs", [0, True, -1, 2.5, "32"])
@pytest.mark.parametrize("method", ["fit", "evaluate", "predict"])
def test_bad_batch_size(bs, method):
    model = _model()
    args = (X,) if method == "predict" else (X, np.zeros(8, np.int32))
    _raises("batch_size", lambda: getattr(model, method)(*args, batch_size=bs, verbose=0))


def test_class_weight_and_sample_weight():
    model = _model()
    y = np.zeros(8, np.int32)
    _raises("keys must be integer", lambda: model.fit(X, y, class_weight={"0": 2.0}, verbose=0))
    _raises("non-negative", lambda: model.fit(X, y, class_weight={0: -1.0}, verbose=0))
    _raises("at the same time", lambda: model.fit(X, y, class_weight={0: 2.0}, sample_weight=np.ones(8),
                                                  verbose=0))
    _raises("non-negative", lambda: model.fit(X, y, sample_weight=-np.ones(8), verbose=0))
    _raises("finite", lambda: model.fit(X, y, sample_weight=np.full(8, np.nan), verbose=0))


@pytest.mark.parametrize("x,match", [
    (np.array([["a"] * 4] * 8), "strings"),
    (np.array([[datetime.datetime(2020, 1, 1)] * 4] * 8, dtype="datetime64[s]"), "datetimes"),
    (X.astype(np.complex64), "complex"),
], ids=["strings", "datetimes", "complex"])
def test_bad_x(x, match):
    model = _model()
    _raises(match, lambda: model.fit(x, np.zeros(8, np.int32), verbose=0))
    _raises(match, lambda: model.predict(x, verbose=0))


def test_keras_raises_too_for_class_weight_with_sample_weight_and_bad_batch_size(keras):
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, activation="softmax")])
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    with pytest.raises(ValueError):
        model.fit(X, np.zeros(8, np.int32), class_weight={0: 2.0}, sample_weight=np.ones(8), verbose=0)


def test_fit_before_compile_raises_like_keras(keras):
    model = kxla.Sequential([layers.Dense(3, input_shape=(4,))])
    kmodel = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3)])
    with pytest.raises(ValueError) as want:
        kmodel.fit(X, np.zeros((8, 3)), verbose=0)
    with pytest.raises(ValueError) as got:
        model.fit(X, np.zeros((8, 3)), verbose=0)
    assert str(got.value) == str(want.value)
    with pytest.raises(ValueError, match="compile"):
        model.evaluate(X, np.zeros((8, 3)), verbose=0)
