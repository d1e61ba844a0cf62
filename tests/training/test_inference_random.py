"""evaluate / predict of a graph whose ``call`` draws random numbers outside training (Keras draws there too).

Each call takes one key from the seed state and folds in the batch index: draws differ
per batch and per call, and ``kxla.utils.set_random_seed`` makes a run reproducible.
Seeded draws (an int seed) are Keras's values, batch by batch.
"""
import numpy as np
import pytest

import kxla
from kxla import layers, ops


class _Noise(layers.Layer):
    """Adds a standard normal draw shaped like its input, in every mode (no ``training`` check)."""

    def __init__(self, seed=None, generator=False, **kwargs):
        super().__init__(**kwargs)
        self.seed = kxla.random.SeedGenerator(seed) if generator else seed

    def call(self, x):
        return x + kxla.random.normal((ops.shape(x)[0], ops.shape(x)[1]), seed=self.seed)


def _model(**kwargs):
    inp = kxla.Input((3,))
    model = kxla.Model(inp, _Noise(**kwargs)(inp))
    model.compile("sgd", "mse")
    return model


def test_predict_draws_per_batch_and_call_reproducibly():
    model = _model(seed=3, generator=True)          # a SeedGenerator in call draws from the call's key
    x = np.zeros((64, 3), "float32")
    kxla.utils.set_random_seed(5)
    first = model.predict(x, batch_size=32, verbose=0)
    second = model.predict(x, batch_size=32, verbose=0)
    kxla.utils.set_random_seed(5)
    again = model.predict(x, batch_size=32, verbose=0)
    np.testing.assert_array_equal(first, again)                  # seeded: the same run
    assert not np.allclose(first, second)                        # a new key per call
    assert not np.allclose(first[:32], first[32:])               # and per batch
    assert abs(first.mean()) < 0.25 and 0.75 < first.std() < 1.25
    one = model.predict(x[:4], verbose=0)                        # the single-batch fast path draws too
    assert one.shape == (4, 3) and not np.allclose(one, model.predict(x[:4], verbose=0))
    assert model.predict_on_batch(x[:4]).shape == (4, 3)


def test_evaluate_and_validation_draw_reproducibly():
    model = _model()
    x, y = np.zeros((96, 3), "float32"), np.zeros((96, 3), "float32")
    kxla.utils.set_random_seed(1)
    loss = model.evaluate(x, y, batch_size=32, verbose=0)
    kxla.utils.set_random_seed(1)
    assert model.evaluate(x, y, batch_size=32, verbose=0) == loss
    assert model.evaluate(x, y, batch_size=32, verbose=0) != loss
    assert 0.7 < loss < 1.3                                      # mean of squared standard normals
    assert 0.5 < model.test_on_batch(x[:32], y[:32]) < 1.6
    history = model.fit(x, y, batch_size=32, epochs=2, validation_data=(x, y), verbose=0)
    assert all(0.5 < v < 1.6 for v in history.history["val_loss"])


def test_seeded_draw_equals_keras_in_every_batch(keras):
    class KNoise(keras.layers.Layer):
        def call(self, x):
            return x + keras.random.normal(keras.ops.shape(x), seed=7)
    kin = keras.Input((3,))
    kmodel = keras.Model(kin, KNoise()(kin))
    kmodel.compile("sgd", "mse")
    model = _model(seed=7)
    x, y = np.zeros((40, 3), "float32"), np.ones((40, 3), "float32")
    np.testing.assert_allclose(model.predict(x, batch_size=16, verbose=0),
                               kmodel.predict(x, batch_size=16, verbose=0), rtol=1e-6, atol=1e-6)
    assert model.evaluate(x, y, batch_size=16, verbose=0) == pytest.approx(
        kmodel.evaluate(x, y, batch_size=16, verbose=0), rel=1e-5)


def test_graphs_without_draws_keep_their_programs():
    inp = kxla.Input((3,))
    model = kxla.Model(inp, layers.Dense(2)(inp))
    model.compile("sgd", "mse")
    assert model._inference_draws() is False
    x = np.zeros((8, 3), "float32")
    np.testing.assert_array_equal(model.predict(x, verbose=0), model.predict(x, verbose=0))
