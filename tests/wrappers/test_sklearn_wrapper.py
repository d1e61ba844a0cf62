"""kxla.wrappers against keras.wrappers: same models (deterministic initial weights), same data, same answers."""
import numpy as np
import pytest

keras = pytest.importorskip("keras")
pytest.importorskip("sklearn")
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402

import kxla  # noqa: E402
from kxla.wrappers import SKLearnClassifier, SKLearnRegressor, SKLearnTransformer  # noqa: E402

FIT = dict(epochs=3, batch_size=8, shuffle=False, verbose=0)


def _builder(lib, outputs, activation, loss):
    """``model(X=, y=)`` for either library: Dense(4, tanh) -> Dense(outputs), fixed initial weights."""
    def build(X, y):
        rng = np.random.default_rng(0)
        k1 = rng.normal(size=(X.shape[1], 4)).astype("float32") * 0.5
        n_out = outputs if outputs else y.shape[1]
        k2 = rng.normal(size=(4, n_out)).astype("float32") * 0.5
        model = lib.Sequential([lib.Input((X.shape[1],)),
                                lib.layers.Dense(4, activation="tanh", kernel_initializer="zeros"),
                                lib.layers.Dense(n_out, activation=activation, kernel_initializer="zeros")])
        model.layers[0].kernel.assign(k1)
        model.layers[1].kernel.assign(k2)
        model.compile(lib.optimizers.SGD(0.1), loss)
        return model
    return build


def _data(seed=0, n=40):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 3)).astype("float32")
    return X, X @ np.array([1.0, -2.0, 0.5], "float32")


@pytest.mark.parametrize("labels", [np.array(["a", "b", "c"]), np.array([3, 7])])
def test_classifier_matches_keras(labels):
    X, score = _data()
    y = labels[np.digitize(score, np.quantile(score, np.linspace(0, 1, len(labels) + 1)[1:-1]))]
    ours = SKLearnClassifier(_builder(kxla, None, "softmax", "categorical_crossentropy"), fit_kwargs=FIT).fit(X, y)
    theirs = keras.wrappers.SKLearnClassifier(_builder(keras, None, "softmax", "categorical_crossentropy"),
                                              fit_kwargs=FIT).fit(X, y)
    np.testing.assert_array_equal(ours.classes_, theirs.classes_)
    np.testing.assert_allclose(ours.decision_function(X), theirs.decision_function(X), rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(ours.predict(X), theirs.predict(X))
    assert ours.score(X, y) == pytest.approx(theirs.score(X, y))
    assert ours.epoch_ == 3


def test_regressor_and_transformer_match_keras():
    X, y = _data()
    for ours_cls, theirs_cls, method in ((SKLearnRegressor, keras.wrappers.SKLearnRegressor, "predict"),
                                         (SKLearnTransformer, keras.wrappers.SKLearnTransformer, "transform")):
        ours = ours_cls(_builder(kxla, 1, None, "mse"), fit_kwargs=FIT).fit(X, y)
        theirs = theirs_cls(_builder(keras, 1, None, "mse"), fit_kwargs=FIT).fit(X, y)
        got, want = getattr(ours, method)(X), getattr(theirs, method)(X)
        assert got.shape == want.shape
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


def test_model_instance_is_cloned_and_compiled_like_the_original():
    X, y = _data()
    model = _builder(kxla, 1, None, "mse")(X, y[:, None])
    before = model.get_weights()
    est = SKLearnRegressor(model, fit_kwargs=FIT).fit(X, y)
    assert est.model_ is not model and est.model_.compiled
    assert all(np.array_equal(a, b) for a, b in zip(model.get_weights(), before))   # the original is untouched
    assert est.predict(X).shape == (40,)


def test_warm_start_keeps_training_the_fitted_model():
    X, y = _data()
    est = SKLearnRegressor(_builder(kxla, 1, None, "mse"), warm_start=True, fit_kwargs=FIT).fit(X, y)
    first, loss_first = est.model_, est.history_["loss"]
    est.fit(X, y)
    assert est.model_ is first and est.history_["loss"][0] < loss_first[0]
    cold = SKLearnRegressor(_builder(kxla, 1, None, "mse"), fit_kwargs=FIT).fit(X, y)
    cold.fit(X, y)
    assert cold.history_["loss"] == pytest.approx(loss_first)


def test_in_a_pipeline():
    X, y = _data()
    pipe = make_pipeline(StandardScaler(), SKLearnRegressor(_builder(kxla, 1, None, "mse"), fit_kwargs=FIT))
    assert pipe.fit(X, y).predict(X).shape == (40,)


def test_errors():
    X, y = _data()
    with pytest.raises(ValueError, match="binary and multiclass"):
        SKLearnClassifier(_builder(kxla, 1, None, "mse")).fit(X, y)
    with pytest.raises(ValueError, match="only one class"):
        SKLearnClassifier(_builder(kxla, None, "softmax", "categorical_crossentropy")).fit(X, np.zeros(40, int))

    def uncompiled(X, y):
        return kxla.Sequential([kxla.Input((3,)), kxla.layers.Dense(1)])
    with pytest.raises(RuntimeError, match="needs to be compiled"):
        SKLearnRegressor(uncompiled).fit(X, y)
