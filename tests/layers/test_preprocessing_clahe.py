"""ContrastLimitedAdaptiveHistogramEqualization against Keras 3 (deterministic: both modes, config)."""
import numpy as np
import pytest

from layer_check import check_layer

X = np.random.default_rng(0).uniform(0, 255, (2, 10, 9, 3)).astype("float32")
NAME = "ContrastLimitedAdaptiveHistogramEqualization"


@pytest.mark.parametrize("kwargs,x", [
    pytest.param({"tile_grid_size": (2, 3)}, X, marks=pytest.mark.slow),   # (20 s: Keras's own one_hot of 256)
    pytest.param({"tile_grid_size": (4, 4), "clip_limit": 2.0}, X, marks=pytest.mark.slow),
    pytest.param({"tile_grid_size": (2, 2), "clip_limit": 0.0, "value_range": (0, 1)}, X / 255,
                 marks=pytest.mark.slow),
    pytest.param({"tile_grid_size": (3, 2), "data_format": "channels_first"}, np.moveaxis(X, -1, 1),
                 marks=pytest.mark.slow),
])
def test_matches_keras(keras, kwargs, x):
    check_layer(keras, NAME, kwargs, x, training=(False, True), rtol=1e-4, atol=1e-3)
