"""GaussianNoise: additive N(0, stddev) noise in training (statistics), identity in inference, config."""
import numpy as np
import pytest

from kxla.layers import GaussianNoise
from layer_check import check_against_keras, rand, run_traced


def test_training_adds_noise_with_the_right_statistics():
    x = rand(64, 64, seed=1)
    out, _, graph = run_traced(GaussianNoise(0.3), x, training=True)
    assert [n.op for n in graph.nodes] == ["gaussian_noise"]
    noise = out - x
    assert abs(noise.mean()) < 0.02 and abs(noise.std() - 0.3) < 0.02
    again, _, _ = run_traced(GaussianNoise(0.3), x, training=True, rng_seed=1)
    assert not np.array_equal(again, out)


def test_inference_is_identity_and_matches_keras(keras):
    x = rand(2, 5)
    out, _, graph = run_traced(GaussianNoise(0.5), x)
    assert graph.nodes == [] and np.array_equal(out, x)
    check_against_keras(keras, GaussianNoise(0.5), "GaussianNoise", dict(stddev=0.5), x)


def test_config_and_errors(keras):
    config = GaussianNoise(0.2, seed=3, name="gn").get_config()
    ref = keras.layers.GaussianNoise(0.2, seed=3, name="gn").get_config()
    assert {k: config[k] for k in ("stddev", "seed", "name")} == {k: ref[k] for k in ("stddev", "seed", "name")}
    assert GaussianNoise.from_config(config).get_config() == config
    with pytest.raises(ValueError, match="stddev"):
        GaussianNoise(-0.1)
