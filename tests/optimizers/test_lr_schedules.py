"""kxla.optimizers.schedules against Keras 3's schedules, eagerly and under jax.jit."""
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from kxla.optimizers import schedules

STEPS = [0, 1, 3, 5, 10, 17, 25, 40]
CASES = [
    ("ExponentialDecay", dict(initial_learning_rate=0.1, decay_steps=10, decay_rate=0.5)),
    ("ExponentialDecay", dict(initial_learning_rate=0.1, decay_steps=4, decay_rate=0.9, staircase=True)),
    ("PiecewiseConstantDecay", dict(boundaries=[3, 10, 20], values=[1.0, 0.5, 0.1, 0.01])),
    ("CosineDecay", dict(initial_learning_rate=0.1, decay_steps=20)),
    ("CosineDecay", dict(initial_learning_rate=0.1, decay_steps=20, alpha=0.2)),
    ("CosineDecay", dict(initial_learning_rate=0.0, decay_steps=20, warmup_target=0.2, warmup_steps=5)),
    ("PolynomialDecay", dict(initial_learning_rate=0.1, decay_steps=20, power=2.0)),
    ("PolynomialDecay", dict(initial_learning_rate=0.1, decay_steps=7, cycle=True)),
    ("InverseTimeDecay", dict(initial_learning_rate=0.1, decay_steps=5, decay_rate=0.5)),
]


@pytest.mark.parametrize("name,kwargs", CASES, ids=[f"{n}-{i}" for i, (n, _) in enumerate(CASES)])
def test_schedule_matches_keras(keras, name, kwargs):
    ours = getattr(schedules, name)(**kwargs)
    theirs = getattr(keras.optimizers.schedules, name)(**kwargs)
    steps = jnp.asarray(STEPS, jnp.int32)
    want = np.asarray(jax.jit(jax.vmap(theirs))(steps))
    np.testing.assert_allclose(jax.jit(jax.vmap(ours))(steps), want, rtol=1e-5, atol=1e-8)
    np.testing.assert_allclose(float(ours(STEPS[3])), want[3], rtol=1e-5, atol=1e-8)   # eager, Python int


def test_schedule_formulas():
    exp = schedules.ExponentialDecay(0.1, decay_steps=10, decay_rate=0.5)
    assert float(exp(20)) == pytest.approx(0.025)
    pw = schedules.PiecewiseConstantDecay([3, 10], [1.0, 0.5, 0.1])
    assert [float(pw(s)) for s in (0, 3, 4, 10, 11)] == pytest.approx([1.0, 1.0, 0.5, 0.5, 0.1])
    cos = schedules.CosineDecay(1.0, decay_steps=10)
    assert float(cos(5)) == pytest.approx(0.5, abs=1e-6)
    assert float(cos(100)) == pytest.approx(0.0, abs=1e-6)


def test_schedule_config_round_trip_and_errors():
    s = schedules.CosineDecay(0.1, 100, alpha=0.1, warmup_target=0.2, warmup_steps=10)
    again = schedules.deserialize(schedules.serialize(s))
    assert type(again) is schedules.CosineDecay and again.get_config() == s.get_config()
    with pytest.raises(ValueError, match="decay_steps"):
        schedules.ExponentialDecay(0.1, 0, 0.5)
    with pytest.raises(ValueError, match="1 less than"):
        schedules.PiecewiseConstantDecay([1, 2], [0.1, 0.2])
    with pytest.raises(ValueError, match="Did you mean 'CosineDecay'"):
        schedules.deserialize({"class_name": "CosineDecy", "config": {}})
