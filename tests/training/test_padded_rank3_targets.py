"""A ragged last batch with targets of rank 3: the padding mask covers every element of a padded sample.

Keras computes the short batch as it is; kxla pads it and masks the padding, which must give the same
numbers for per-element losses over extra axes (mse on (batch, 2, 3) targets reduces to (batch, 2)).
"""
import numpy as np
import pytest

keras = pytest.importorskip("keras")

import kxla  # noqa: E402


def _model(lib, weights=None):
    model = lib.Sequential([lib.Input((4,)), lib.layers.Dense(6), lib.layers.Reshape((2, 3))])
    if weights is not None:
        model.set_weights(weights)
    model.compile(lib.optimizers.SGD(0.1), "mse")
    return model


def test_fit_and_evaluate_equal_keras_with_a_ragged_batch():
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(10, 4)).astype("float32"), rng.normal(size=(10, 2, 3)).astype("float32")
    theirs = _model(keras)
    ours = _model(kxla, theirs.get_weights())
    np.testing.assert_allclose(ours.evaluate(x, y, batch_size=4, verbose=0),
                               theirs.evaluate(x, y, batch_size=4, verbose=0), rtol=1e-5)
    h_ours = ours.fit(x, y, batch_size=4, epochs=2, shuffle=False, verbose=0).history["loss"]
    h_theirs = theirs.fit(x, y, batch_size=4, epochs=2, shuffle=False, verbose=0).history["loss"]
    np.testing.assert_allclose(h_ours, h_theirs, rtol=1e-5)
    for a, b in zip(ours.get_weights(), theirs.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
