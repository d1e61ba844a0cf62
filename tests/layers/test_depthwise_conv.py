"""DepthwiseConv2D / DepthwiseConv1D against Keras 3 (both data formats), weights, config and gradients."""
import numpy as np
import pytest

from kxla.layers import DepthwiseConv1D, DepthwiseConv2D
from grad_check import check_weight_gradients
from layer_check import check_against_keras, rand, run_traced

CASES = [
    dict(kernel_size=3),
    dict(kernel_size=(3, 2), depth_multiplier=2, strides=2, padding="same", activation="tanh"),
    dict(kernel_size=3, depth_multiplier=3, dilation_rate=2, use_bias=False),
]


@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
@pytest.mark.parametrize("kwargs", CASES)
def test_forward_matches_keras(keras, data_format, kwargs):
    kwargs = {**kwargs, "data_format": data_format}
    x = rand(2, 7, 8, 3, seed=1)
    if data_format == "channels_first":
        x = np.moveaxis(x, -1, 1)
    layer = DepthwiseConv2D(**kwargs, bias_initializer="random_normal")
    out, twin = check_against_keras(keras, layer, "DepthwiseConv2D", {**kwargs, "depthwise_initializer": "zeros"},
                                    x, rtol=1e-4, atol=1e-4)
    assert out.shape == tuple(twin.compute_output_shape(x.shape))
    assert layer.compute_output_shape((None,) + x.shape[1:]) == (None,) + out.shape[1:]


@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_depthwise_conv1d_matches_keras(keras, data_format):
    kwargs = dict(kernel_size=3, depth_multiplier=2, padding="same", data_format=data_format)
    x = rand(2, 9, 3, seed=2)
    if data_format == "channels_first":
        x = np.moveaxis(x, -1, 1)
    check_against_keras(keras, DepthwiseConv1D(**kwargs, bias_initializer="random_normal"), "DepthwiseConv1D",
                        {**kwargs, "depthwise_initializer": "zeros"}, x, rtol=1e-4, atol=1e-4)


def test_weights_graph_and_config(keras):
    layer = DepthwiseConv2D(3, depth_multiplier=2, data_format="channels_first", name="dw")
    out, _, graph = run_traced(layer, rand(1, 4, 6, 6))
    assert [w.name for w in layer.weights] == ["kernel", "bias"]      # Keras 3 names it "kernel"
    assert [w.shape for w in layer.weights] == [(3, 3, 4, 2), (8,)]
    assert layer.depthwise_kernel is layer.kernel
    assert [n.op for n in graph.nodes] == ["depthwise_conv", "bias_add"]
    assert graph.nodes[1].attrs["axis"] == 1 and out.shape == (1, 8, 4, 4)
    config = layer.get_config()
    ref = keras.layers.DepthwiseConv2D(3, depth_multiplier=2, data_format="channels_first", name="dw").get_config()
    for key in ("kernel_size", "strides", "padding", "depth_multiplier", "data_format", "dilation_rate",
                "activation", "use_bias", "name"):
        assert config[key] == ref[key], key
    assert DepthwiseConv2D.from_config(config).get_config() == config


def test_errors():
    with pytest.raises(ValueError, match="depth_multiplier"):
        DepthwiseConv2D(3, depth_multiplier=0)
    with pytest.raises(ValueError, match="does not fit"):
        DepthwiseConv2D(5)(rand(1, 3, 3, 2))
    layer = DepthwiseConv2D(1)
    layer(rand(1, 3, 3, 2))
    with pytest.raises(ValueError, match="expected axis -1 of input shape to have value 2"):
        layer(rand(1, 3, 3, 4))


def test_gradients_match_finite_differences():
    check_weight_gradients(DepthwiseConv2D(3, depth_multiplier=2, padding="same", bias_initializer="random_normal"),
                           rand(2, 5, 5, 2, seed=3))
