"""Lion, Lamb, Ftrl and Adafactor step by step against Keras 3 (through test_optimizer_updates' harness); configs."""
import numpy as np
import pytest

from kxla import optimizers
from tests.optimizers.test_optimizer_updates import _assert_close, _grads, _params, _run_keras, _run_kxla

CASES = [("Lion", {"learning_rate": 0.01}), ("Lion", {"beta_1": 0.5, "beta_2": 0.9, "weight_decay": 0.1}),
         ("Lamb", {"learning_rate": 0.01}), ("Lamb", {"epsilon": 1e-3, "clipnorm": 0.5}),
         ("Ftrl", {"learning_rate": 0.1}),
         ("Ftrl", {"learning_rate": 0.05, "learning_rate_power": -0.3, "initial_accumulator_value": 0.5,
                   "l1_regularization_strength": 0.01, "l2_regularization_strength": 0.02,
                   "l2_shrinkage_regularization_strength": 0.03, "beta": 0.1}),
         ("Adafactor", {"learning_rate": 0.1}), ("Adafactor", {"relative_step": False, "clip_threshold": 0.5,
                                                              "beta_2_decay": -0.5, "epsilon_2": 0.01})]


@pytest.mark.parametrize("name,kwargs", CASES)
def test_three_steps_match_keras(keras, name, kwargs):
    params, grads = _params(), _grads(3)
    ours, _ = _run_kxla(getattr(optimizers, name)(**kwargs), params, grads)
    theirs = _run_keras(keras, getattr(keras.optimizers, name)(**kwargs), params, grads)
    _assert_close(ours, theirs, rtol=2e-5, atol=2e-6)


@pytest.mark.parametrize("name,kwargs", CASES)
def test_config_matches_keras(keras, name, kwargs):
    ours = getattr(optimizers, name)(**kwargs)
    theirs = getattr(keras.optimizers, name)(**kwargs).get_config()
    mine = ours.get_config()
    for key, value in mine.items():
        if key != "name":
            assert theirs[key] == pytest.approx(value), key
    again = optimizers.deserialize(optimizers.serialize(ours))
    assert type(again) is type(ours) and again.get_config() == mine
    assert isinstance(optimizers.get(name.lower()), type(ours))


def test_argument_errors():
    with pytest.raises(ValueError, match="beta_1"):
        optimizers.Lion(beta_1=0.0)
    with pytest.raises(ValueError, match="learning_rate_power"):
        optimizers.Ftrl(learning_rate_power=0.5)
    with pytest.raises(ValueError, match="l1_regularization_strength"):
        optimizers.Ftrl(l1_regularization_strength=-1.0)


@pytest.mark.parametrize("kwargs", [{}, {"t_mul": 1.0, "m_mul": 0.5}, {"t_mul": 1.5, "m_mul": 0.8, "alpha": 0.1}])
def test_cosine_decay_restarts_matches_keras(keras, kwargs):
    ours = optimizers.schedules.CosineDecayRestarts(0.1, 10, **kwargs)
    theirs = keras.optimizers.schedules.CosineDecayRestarts(0.1, 10, **kwargs)
    steps = np.arange(0, 80, 3)
    np.testing.assert_allclose([float(ours(s)) for s in steps], [float(theirs(s)) for s in steps], rtol=1e-5,
                               atol=1e-7)
    assert ours.get_config() == theirs.get_config()
    again = optimizers.schedules.deserialize(optimizers.schedules.serialize(ours))
    assert again.get_config() == ours.get_config()
