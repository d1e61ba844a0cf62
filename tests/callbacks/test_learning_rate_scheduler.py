"""LearningRateScheduler: rates set before each epoch, logged after it, applied without recompiling."""
import numpy as np
import pytest

from callback_check import WeightLog, drive, tiny_data, tiny_model
from kxla.callbacks import LearningRateScheduler


def test_two_argument_schedule_sees_the_current_rate():
    model = tiny_model(lr=1.0)
    seen, rates = [], []
    cb = LearningRateScheduler(lambda epoch, lr: (seen.append((epoch, lr)), lr * 0.5)[1])
    drive(cb, model, [0.0] * 4, hook=lambda e, logs: rates.append(logs["learning_rate"]))
    assert seen == [(0, 1.0), (1, 0.5), (2, 0.25), (3, 0.125)]
    assert rates == [0.5, 0.25, 0.125, 0.0625]


def test_one_argument_schedule():
    model = tiny_model(lr=1.0)
    drive(LearningRateScheduler(lambda epoch: 0.1 * (epoch + 1)), model, [0.0] * 3)
    assert model.optimizer.learning_rate == pytest.approx(0.3)


def test_schedule_must_return_a_float():
    model = tiny_model()
    with pytest.raises(ValueError, match="should be a float"):
        drive(LearningRateScheduler(lambda epoch: 1), model, [0.0])
    drive(LearningRateScheduler(lambda epoch: np.float32(0.5)), model, [0.0])
    assert model.optimizer.learning_rate == 0.5


def test_fit_applies_the_schedule_without_recompiling():
    x, y = tiny_data()
    model = tiny_model(lr=0.1)
    log = WeightLog()
    schedule = [0.1, 0.05, 0.0, 0.0]
    history = model.fit(x, y, epochs=4, batch_size=8, verbose=0,
                        callbacks=[LearningRateScheduler(lambda epoch, lr: schedule[epoch]), log])
    assert history.history["learning_rate"] == pytest.approx(schedule)
    assert not np.array_equal(log.weights[0][0], log.weights[1][0])
    for a, b in zip(log.weights[1], log.weights[3]):         # rate 0 in epochs 2 and 3: frozen
        np.testing.assert_array_equal(a, b)
    assert model.compile_stats()["train"]["compiles"] == 1


def test_matches_keras(keras):
    from callback_check import oracle_model
    fn = lambda epoch, lr: lr * 0.9 if epoch % 2 else lr      # noqa: E731
    ours, theirs = [], []
    drive(LearningRateScheduler(fn), tiny_model(lr=1.0), [0.0] * 5,
          hook=lambda e, logs: ours.append(logs["learning_rate"]))
    drive(keras.callbacks.LearningRateScheduler(fn), oracle_model(lr=1.0), [0.0] * 5,
          hook=lambda e, logs: theirs.append(logs["learning_rate"]))
    assert ours == pytest.approx(theirs)
