"""AlphaDropout: SELU-preserving dropout in training (fraction dropped, kept values, moments), identity otherwise."""
import numpy as np
import pytest

from kxla.layers import AlphaDropout
from layer_check import check_against_keras, rand, run_traced

ALPHA_P = -1.6732632423543772848170429916717 * 1.0507009873554804934193349852946


def test_training_statistics():
    rate = 0.3
    x = rand(128, 128, seed=1)
    out, _, _ = run_traced(AlphaDropout(rate), x, training=True)
    a = ((1 - rate) * (1 + rate * ALPHA_P ** 2)) ** -0.5
    b = -a * ALPHA_P * rate
    dropped = np.isclose(out, a * ALPHA_P + b, atol=1e-6)
    assert abs(dropped.mean() - rate) < 0.02
    np.testing.assert_allclose(out[~dropped], a * x[~dropped] + b, rtol=1e-5, atol=1e-6)
    assert abs(out.mean()) < 0.03 and abs(out.std() - 1) < 0.03      # keeps zero mean, unit variance


def test_noise_shape_shares_the_mask():
    x = rand(8, 5, 6, seed=2)
    out, _, _ = run_traced(AlphaDropout(0.5, noise_shape=(None, 1, 6)), x, training=True)
    rate = 0.5
    a = ((1 - rate) * (1 + rate * ALPHA_P ** 2)) ** -0.5
    dropped = np.isclose(out, a * ALPHA_P - a * ALPHA_P * rate, atol=1e-6)
    assert np.all(dropped.min(axis=1) == dropped.max(axis=1))           # same mask for all 5 steps


def test_inference_is_identity_and_matches_keras(keras):
    x = rand(2, 5)
    out, _, graph = run_traced(AlphaDropout(0.5), x)
    assert graph.nodes == [] and np.array_equal(out, x)
    check_against_keras(keras, AlphaDropout(0.5), "AlphaDropout", dict(rate=0.5), x)


def test_config_and_errors(keras):
    config = AlphaDropout(0.1, noise_shape=(None, 1), seed=2, name="ad").get_config()
    ref = keras.layers.AlphaDropout(0.1, noise_shape=(None, 1), seed=2, name="ad").get_config()
    assert {k: config[k] for k in ("rate", "seed", "name")} == {k: ref[k] for k in ("rate", "seed", "name")}
    assert list(config["noise_shape"]) == list(ref["noise_shape"])
    assert AlphaDropout.from_config(config).get_config() == config
    with pytest.raises(ValueError, match="rate"):
        AlphaDropout(-1)
