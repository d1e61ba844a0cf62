"""SeparableConv2D / SeparableConv1D against Keras 3 (both data formats), weights, graph and gradients."""
import numpy as np
import pytest

from kxla.layers import SeparableConv1D, SeparableConv2D
from grad_check import check_weight_gradients
from layer_check import check_against_keras, rand, run_traced

ZEROS = {"depthwise_initializer": "zeros", "pointwise_initializer": "zeros"}
CASES = [
    dict(filters=4, kernel_size=3),
    dict(filters=5, kernel_size=3, depth_multiplier=2, strides=2, padding="same", activation="relu"),
    dict(filters=2, kernel_size=2, dilation_rate=2, use_bias=False),
]


@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
@pytest.mark.parametrize("kwargs", CASES)
def test_forward_matches_keras(keras, data_format, kwargs):
    kwargs = {**kwargs, "data_format": data_format}
    x = rand(2, 7, 6, 3, seed=1)
    if data_format == "channels_first":
        x = np.moveaxis(x, -1, 1)
    layer = SeparableConv2D(**kwargs, bias_initializer="random_normal")
    out, twin = check_against_keras(keras, layer, "SeparableConv2D", {**kwargs, **ZEROS}, x, rtol=1e-4, atol=1e-4)
    assert out.shape == tuple(twin.compute_output_shape(x.shape))


@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_separable_conv1d_matches_keras(keras, data_format):
    kwargs = dict(filters=3, kernel_size=3, strides=2, depth_multiplier=2, data_format=data_format)
    x = rand(2, 9, 2, seed=2)
    if data_format == "channels_first":
        x = np.moveaxis(x, -1, 1)
    check_against_keras(keras, SeparableConv1D(**kwargs, bias_initializer="random_normal"), "SeparableConv1D",
                        {**kwargs, **ZEROS}, x, rtol=1e-4, atol=1e-4)


def test_weights_graph_and_config(keras):
    layer = SeparableConv2D(6, 3, depth_multiplier=2, name="sep")
    out, _, graph = run_traced(layer, rand(1, 5, 5, 4))
    assert [w.name for w in layer.weights] == ["depthwise_kernel", "pointwise_kernel", "bias"]
    assert [w.shape for w in layer.weights] == [(3, 3, 4, 2), (1, 1, 8, 6), (6,)]
    assert [n.op for n in graph.nodes] == ["depthwise_conv", "conv", "bias_add"]
    assert out.shape == (1, 3, 3, 6)
    config = layer.get_config()
    ref = keras.layers.SeparableConv2D(6, 3, depth_multiplier=2, name="sep").get_config()
    for key in ("filters", "kernel_size", "strides", "padding", "depth_multiplier", "data_format",
                "dilation_rate", "activation", "use_bias", "name"):
        assert config[key] == ref[key], key
    assert SeparableConv2D.from_config(config).get_config() == config


def test_errors():
    with pytest.raises(ValueError, match="filters"):
        SeparableConv2D(0, 3)
    with pytest.raises(ValueError, match="depth_multiplier"):
        SeparableConv1D(2, 3, depth_multiplier=-1)


def test_gradients_match_finite_differences():
    check_weight_gradients(SeparableConv2D(3, 3, depth_multiplier=2, padding="same",
                                           bias_initializer="random_normal"), rand(2, 5, 4, 2, seed=3))
