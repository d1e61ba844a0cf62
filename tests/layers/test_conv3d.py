"""Conv3D against Keras 3 (both data formats), weights and gradients."""
import numpy as np
import pytest

from kxla.layers import Conv3D
from grad_check import check_weight_gradients
from layer_check import check_against_keras, rand


@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
@pytest.mark.parametrize("kwargs", [dict(filters=3, kernel_size=2, strides=2, padding="same"),
                                    dict(filters=4, kernel_size=(1, 2, 3), groups=2, activation="relu")])
def test_forward_matches_keras(keras, data_format, kwargs):
    kwargs = {**kwargs, "data_format": data_format}
    x = rand(2, 3, 4, 5, 2, seed=1)
    if data_format == "channels_first":
        x = np.moveaxis(x, -1, 1)
    layer = Conv3D(**kwargs, bias_initializer="random_normal")
    out, twin = check_against_keras(keras, layer, "Conv3D", kwargs, x, rtol=1e-4, atol=1e-4)
    assert out.shape == tuple(twin.compute_output_shape(x.shape))
    assert [w.shape for w in layer.weights] == [tuple(w.shape) for w in twin.weights]


def test_gradients_match_finite_differences():
    check_weight_gradients(Conv3D(2, 2, padding="same", bias_initializer="random_normal"), rand(2, 3, 3, 3, 2))
