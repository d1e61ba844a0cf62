"""GaussianDropout: multiplicative N(1, sqrt(rate/(1-rate))) noise in training, identity in inference."""
import math

import numpy as np
import pytest

from kxla.layers import GaussianDropout
from layer_check import check_against_keras, rand, run_traced


def test_training_multiplies_by_one_centered_noise():
    rate = 0.2
    x = np.full((64, 64), 2.0, np.float32)
    out, _, graph = run_traced(GaussianDropout(rate), x, training=True)
    assert [n.op for n in graph.nodes] == ["ones_like", "gaussian_noise", "multiply"]
    factor = out / x
    assert abs(factor.mean() - 1) < 0.02 and abs(factor.std() - math.sqrt(rate / (1 - rate))) < 0.02


def test_inference_is_identity_and_matches_keras(keras):
    x = rand(2, 5)
    out, _, graph = run_traced(GaussianDropout(0.5), x)
    assert graph.nodes == [] and np.array_equal(out, x)
    check_against_keras(keras, GaussianDropout(0.5), "GaussianDropout", dict(rate=0.5), x)


def test_config_and_errors(keras):
    config = GaussianDropout(0.1, seed=2, name="gd").get_config()
    ref = keras.layers.GaussianDropout(0.1, seed=2, name="gd").get_config()
    assert {k: config[k] for k in ("rate", "seed", "name")} == {k: ref[k] for k in ("rate", "seed", "name")}
    assert GaussianDropout.from_config(config).get_config() == config
    with pytest.raises(ValueError, match="rate"):
        GaussianDropout(2.0)
