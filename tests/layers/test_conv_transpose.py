"""Conv2DTranspose (and Conv1DTranspose / Conv3DTranspose) against Keras 3, output_padding, dilation, gradients."""
import numpy as np
import pytest

from kxla.layers import Conv1DTranspose, Conv2DTranspose, Conv3DTranspose
from grad_check import check_weight_gradients
from layer_check import check_against_keras, rand, run_traced

CASES = [
    dict(filters=3, kernel_size=3, strides=2, padding="same"),
    dict(filters=3, kernel_size=3, strides=2, padding="same", output_padding=1),
    dict(filters=2, kernel_size=(3, 2), strides=(2, 3), output_padding=(1, 2), activation="tanh"),
    dict(filters=4, kernel_size=3, dilation_rate=2, use_bias=False),
]


@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
@pytest.mark.parametrize("kwargs", CASES)
def test_forward_matches_keras(keras, data_format, kwargs):
    kwargs = {**kwargs, "data_format": data_format}
    x = rand(2, 5, 4, 3, seed=1)
    if data_format == "channels_first":
        x = np.moveaxis(x, -1, 1)
    layer = Conv2DTranspose(**kwargs, bias_initializer="random_normal")
    out, twin = check_against_keras(keras, layer, "Conv2DTranspose", kwargs, x, rtol=1e-4, atol=1e-4)
    assert out.shape == tuple(twin.compute_output_shape(x.shape))
    assert layer.compute_output_shape((None,) + x.shape[1:]) == (None,) + out.shape[1:]


@pytest.mark.parametrize("cls,shape,kwargs", [
    ("Conv1DTranspose", (2, 6, 3), dict(filters=2, kernel_size=3, strides=2)),
    ("Conv3DTranspose", (2, 2, 3, 2, 3), dict(filters=2, kernel_size=2, strides=2, padding="same")),
])
def test_other_ranks_match_keras(keras, cls, shape, kwargs):
    layer = {"Conv1DTranspose": Conv1DTranspose, "Conv3DTranspose": Conv3DTranspose}[cls]
    check_against_keras(keras, layer(**kwargs, bias_initializer="random_normal"), cls, kwargs, rand(*shape),
                        rtol=1e-4, atol=1e-4)


def test_weights_graph_and_config(keras):
    layer = Conv2DTranspose(5, 3, strides=2, output_padding=1, name="up")
    out, _, graph = run_traced(layer, rand(1, 4, 4, 2))
    assert [w.name for w in layer.weights] == ["kernel", "bias"]
    assert [w.shape for w in layer.weights] == [(3, 3, 5, 2), (5,)]          # (k, k, filters, in)
    assert [n.op for n in graph.nodes] == ["conv_transpose", "bias_add"]
    assert out.shape == (1, 10, 10, 5)
    config = layer.get_config()
    ref = keras.layers.Conv2DTranspose(5, 3, strides=2, output_padding=1, name="up").get_config()
    assert "groups" not in config
    for key in ("filters", "kernel_size", "strides", "padding", "output_padding", "data_format",
                "dilation_rate", "activation", "use_bias", "name"):
        assert config[key] == ref[key], key
    assert Conv2DTranspose.from_config(config).get_config() == config


@pytest.mark.parametrize("kwargs,match", [
    (dict(filters=2, kernel_size=3, strides=2, output_padding=2), "strictly less than"),
    (dict(filters=2, kernel_size=3, output_padding=(1, -1)), "output_padding"),
    (dict(filters=2, kernel_size=3, strides=2, dilation_rate=2), "dilation_rate"),
])
def test_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        Conv2DTranspose(**kwargs)


def test_gradients_match_finite_differences():
    check_weight_gradients(Conv2DTranspose(2, 3, strides=2, padding="same", bias_initializer="random_normal"),
                           rand(2, 3, 3, 2, seed=3))
