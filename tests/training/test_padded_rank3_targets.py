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


def _keras_penalty_model():
    class KerasMeanPenalty(keras.layers.Layer):
        def call(self, inputs):
            self.add_loss(0.1 * keras.ops.mean(inputs))
            return inputs
    inputs = keras.Input((3,))
    return inputs, KerasMeanPenalty()(inputs)


class MeanPenalty(kxla.layers.Layer):
    """``add_loss(0.1 * mean(inputs))``: a loss over the batch, which padded rows would dilute."""

    def call(self, inputs):
        self.add_loss(0.1 * kxla.ops.mean(inputs))
        return inputs


def test_add_loss_over_the_batch_is_not_diluted_by_padding():
    rng = np.random.default_rng(1)
    x, y = rng.random((10, 3)).astype("float32") + 1.0, rng.random((10, 3)).astype("float32")
    inputs = kxla.Input((3,))
    model = kxla.Model(inputs, MeanPenalty()(inputs))
    model.compile("sgd", "mse")
    want = [np.mean((x[s] - y[s]) ** 2) + 0.1 * np.mean(x[s]) for s in (slice(0, 4), slice(4, 8), slice(8, 10))]
    epoch_mean = np.average(want, weights=[4, 4, 2])         # Keras's loss tracker weighs batches by size
    np.testing.assert_allclose(model.evaluate(x, y, batch_size=4, verbose=0), epoch_mean, rtol=1e-5)
    history = model.fit(x, y, batch_size=10, shuffle=False, verbose=0)         # one batch: the loss before the step
    np.testing.assert_allclose(history.history["loss"][0], np.mean((x - y) ** 2) + 0.1 * np.mean(x), rtol=1e-5)
    theirs = keras.Model(*_keras_penalty_model())
    theirs.compile("sgd", "mse")
    np.testing.assert_allclose(theirs.evaluate(x, y, batch_size=4, verbose=0), epoch_mean, rtol=1e-5)
    np.testing.assert_allclose(model.train_on_batch(x[:3], y[:3]), np.mean((x[:3] - y[:3]) ** 2)
                               + 0.1 * np.mean(x[:3]), rtol=1e-5)
