"""fit / evaluate / predict on Python generators and iterables of batches."""
import numpy as np
import pytest

import kxla
from kxla import layers


def data(n=96, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 4)).astype("float32")
    return x, (x @ np.arange(1, 5, dtype="float32"))[:, None]


def model():
    m = kxla.Sequential([layers.Dense(1, input_shape=(4,))])
    m.set_weights([np.zeros((4, 1), "float32"), np.zeros(1, "float32")])
    m.compile(kxla.optimizers.SGD(0.05), "mse")
    return m


def test_list_of_batches_equals_arrays_without_shuffle():
    x, y = data()
    a, b = model(), model()
    a.fit(x, y, batch_size=16, epochs=3, shuffle=False, verbose=0)
    b.fit([(x[i:i + 16], y[i:i + 16]) for i in range(0, 96, 16)], epochs=3, verbose=0)
    for wa, wb in zip(a.get_weights(), b.get_weights()):
        np.testing.assert_allclose(wa, wb, rtol=1e-6)


def test_infinite_generator_with_steps_per_epoch_keeps_drawing():
    x, y = data()
    drawn = []

    def gen():
        i = 0
        while True:
            drawn.append(i)
            yield x[i % 96:i % 96 + 16], y[i % 96:i % 96 + 16], np.ones(16, "float32")
            i += 16

    m = model()
    history = m.fit(gen(), steps_per_epoch=3, epochs=2, verbose=0)
    assert len(drawn) == 6 and len(history.history["loss"]) == 2
    assert history.history["loss"][1] < history.history["loss"][0]
    assert m.compile_stats()["train"]["compiles"] == 1


def test_one_shot_generator_that_runs_out_stops_with_a_warning():
    x, y = data(32)
    m = model()
    with pytest.warns(UserWarning, match="ran out of data"):
        history = m.fit(((x[i:i + 16], y[i:i + 16]) for i in range(0, 32, 16)), epochs=3, verbose=0)
    assert len(history.history["loss"]) == 1


def test_evaluate_and_predict_on_generators():
    x, y = data()
    m = model()
    m.fit(x, y, epochs=2, verbose=0)
    expected = m.evaluate(x, y, batch_size=16, verbose=0)
    got = m.evaluate(((x[i:i + 16], y[i:i + 16]) for i in range(0, 96, 16)), verbose=0)
    assert got == pytest.approx(expected, rel=1e-6)
    pred = m.predict((x[i:i + 16] for i in range(0, 96, 16)), verbose=0)
    np.testing.assert_allclose(pred, m.predict(x, verbose=0), rtol=1e-6)
    with pytest.raises(ValueError, match="y and sample_weight must be None"):
        m.fit([(x, y)], y=y, verbose=0)
