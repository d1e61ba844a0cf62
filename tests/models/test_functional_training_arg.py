"""The ``training`` argument recorded in a functional model is replaced by the model's own, as in Keras 3:
``predict`` runs a ``Dropout(...)(x, training=True)`` in inference mode, ``fit`` updates the statistics of a
``BatchNormalization()(x, training=False)``."""
import numpy as np
import pytest

import kxla

keras = pytest.importorskip("keras")

X = np.random.default_rng(0).normal(size=(8, 4)).astype("float32")


def _model(lib):
    inp = lib.Input((4,))
    x = lib.layers.BatchNormalization()(inp, training=False)
    x = lib.layers.Dropout(0.5)(x, training=True)
    return lib.Model(inp, lib.layers.Dense(2)(x))


def test_predict_and_fit_replace_the_recorded_training_flags_as_keras():
    ours, theirs = _model(kxla), _model(keras)
    ours.set_weights(theirs.get_weights())
    np.testing.assert_allclose(ours.predict(X, verbose=0), theirs.predict(X, verbose=0), rtol=1e-5, atol=1e-6)
    for lib, model in ((kxla, ours), (keras, theirs)):
        model.compile(optimizer=lib.optimizers.SGD(0.0), loss="mse")
        model.fit(X, np.zeros((8, 2), "float32"), batch_size=8, epochs=1, verbose=0)
    moving = [np.asarray(w) for w in ours.layers[1].get_weights()[2:]]
    for a, b in zip(moving, theirs.layers[1].get_weights()[2:]):
        np.testing.assert_allclose(a, np.asarray(b), rtol=1e-5, atol=1e-6)
    assert not np.allclose(moving[0], 0.0)                 # the statistics moved, as in Keras


def _mc_dropout(lib):
    inp = lib.Input((64,))
    return lib.Model(inp, lib.layers.Dropout(0.5)(inp, training=True))


@pytest.mark.parametrize("lib", [kxla, keras], ids=["kxla", "keras"])
def test_model_call_without_training_keeps_a_recorded_training_true(lib):
    """Monte-Carlo dropout: ``model(x)`` keeps the recorded ``training=True`` (Keras passes training=None
    to the functional call), ``model(x, training=False)`` and ``predict`` run it in inference mode."""
    model = _mc_dropout(lib)
    x = np.ones((4, 64), "float32")
    dropped = np.asarray(model(x))
    assert 0.2 < (dropped == 0).mean() < 0.8 and set(np.unique(dropped)) <= {0.0, 2.0}
    np.testing.assert_array_equal(np.asarray(model(x, training=False)), x)
    np.testing.assert_array_equal(np.asarray(model.predict(x, verbose=0)), x)
    again = np.asarray(model(x))
    assert 0.2 < (again == 0).mean() < 0.8
