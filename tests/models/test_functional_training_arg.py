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
