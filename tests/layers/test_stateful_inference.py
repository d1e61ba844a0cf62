"""A stateful RNN under predict / evaluate: states are not advanced, exactly as Keras 3 on the JAX backend."""
import numpy as np
import pytest

keras = pytest.importorskip("keras")

import kxla  # noqa: E402


def test_predict_and_evaluate_leave_states_as_keras_does():
    x = np.random.default_rng(0).random((4, 5, 3)).astype("float32")
    results = {}
    weights = None
    for lib in (keras, kxla):
        model = lib.Sequential([lib.Input(batch_shape=(4, 5, 3)), lib.layers.LSTM(2, stateful=True)])
        if weights is None:
            weights = model.get_weights()
        model.set_weights(weights)
        model.compile("sgd", "mse")
        first, second = (model.predict(x, batch_size=4, verbose=0) for _ in range(2))
        losses = [model.evaluate(x, np.zeros((4, 2)), batch_size=4, verbose=0) for _ in range(2)]
        results[lib.__name__] = (first, second, losses)
    (k1, k2, kl), (o1, o2, ol) = results["keras"], results["kxla"]
    np.testing.assert_allclose(o1, k1, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(o2, k2, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(ol, kl, rtol=1e-5)
