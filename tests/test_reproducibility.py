"""kxla.utils.set_random_seed: whole runs (init + dropout + shuffle) repeat exactly; another seed differs."""
import numpy as np

import kxla
from kxla import layers


def _run(seed):
    kxla.utils.set_random_seed(seed)
    model = kxla.Sequential([layers.Input((6,)), layers.Dense(16, activation="relu"), layers.Dropout(0.5),
                             layers.Dense(3, activation="softmax")])
    data = np.random.default_rng(123)          # fixed data, independent of the seed under test
    x = data.normal(size=(96, 6)).astype("float32")
    y = data.integers(0, 3, 96).astype("int32")
    model.compile("adam", "sparse_categorical_crossentropy")
    init = [w.copy() for w in model.get_weights()] if model.built else None
    hist = model.fit(x, y, epochs=2, batch_size=16, shuffle=True, verbose=0)
    return init, model.get_weights(), hist.history["loss"]


def test_same_seed_same_run():
    init_a, w_a, loss_a = _run(7)
    init_b, w_b, loss_b = _run(7)
    for a, b in zip(w_a, w_b):
        np.testing.assert_array_equal(a, b)
    assert loss_a == loss_b
    if init_a is not None:
        for a, b in zip(init_a, init_b):
            np.testing.assert_array_equal(a, b)


def test_different_seed_differs():
    _, w_a, _ = _run(7)
    _, w_b, _ = _run(8)
    assert not np.allclose(w_a[0], w_b[0])


def test_dropout_and_shuffle_depend_on_seed():
    # same initial weights, different seeds -> dropout masks / shuffle order differ -> different results
    def run(seed, init):
        kxla.utils.set_random_seed(0)
        model = kxla.Sequential([layers.Input((6,)), layers.Dense(16, activation="relu"), layers.Dropout(0.5),
                                 layers.Dense(3, activation="softmax")])
        if init is not None:
            model.set_weights(init)
        kxla.utils.set_random_seed(seed)
        data = np.random.default_rng(123)
        x = data.normal(size=(64, 6)).astype("float32")
        y = data.integers(0, 3, 64).astype("int32")
        model.compile(kxla.optimizers.SGD(0.1), "sparse_categorical_crossentropy")
        model.fit(x, y, epochs=1, batch_size=16, verbose=0)
        return model.get_weights()

    kxla.utils.set_random_seed(0)
    init = kxla.Sequential([layers.Input((6,)), layers.Dense(16), layers.Dropout(0.5), layers.Dense(3)]).get_weights()
    a, b, c = run(1, init), run(1, init), run(2, init)
    np.testing.assert_array_equal(a[0], b[0])
    assert not np.allclose(a[0], c[0])
