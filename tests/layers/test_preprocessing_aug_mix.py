"""AugMix against Keras 3: config and inference identity; training draws (Keras picks layers with Python's
``random``) checked for range and for varying with the step's key."""
import numpy as np
import pytest

from kxla import layers as L
from layer_check import check_config, run_traced

X = np.random.default_rng(0).uniform(0, 255, (2, 6, 5, 3)).astype("float32")


def test_config_and_inference(keras):
    for kwargs in ({}, {"num_chains": 2, "chain_depth": 1, "all_ops": False, "alpha": 0.5}):
        check_config(keras, L.AugMix(**kwargs), "AugMix", kwargs)
    np.testing.assert_array_equal(run_traced(L.AugMix(), X, training=False)[0], X)


@pytest.mark.slow                       # every candidate of every chain step is compiled
def test_training_mixes_within_range():
    layer = L.AugMix(num_chains=2, chain_depth=1, all_ops=False, value_range=(0, 250))
    a, b = (run_traced(layer, X, training=True, rng_seed=s)[0] for s in (0, 1))
    assert a.shape == X.shape and not np.allclose(a, b) and a.min() >= 0 and a.max() <= 250
