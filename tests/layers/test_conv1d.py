"""Conv1D against Keras 3 (valid/same/causal, strides, dilation, groups, both data formats) and gradients."""
import numpy as np
import pytest

from kxla.layers import Conv1D
from grad_check import check_weight_gradients
from layer_check import check_against_keras, rand, run_traced

CASES = [
    dict(filters=3, kernel_size=3, padding="causal", dilation_rate=2),
    dict(filters=4, kernel_size=2, strides=2, padding="same", groups=2, activation="tanh"),
    dict(filters=2, kernel_size=4, padding="causal", strides=3, use_bias=False),
]


@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
@pytest.mark.parametrize("kwargs", CASES)
def test_forward_matches_keras(keras, data_format, kwargs):
    kwargs = {**kwargs, "data_format": data_format}
    x = rand(2, 9, 4, seed=1)
    if data_format == "channels_first":
        x = np.moveaxis(x, -1, 1)
    layer = Conv1D(**kwargs, bias_initializer="random_normal")
    out, twin = check_against_keras(keras, layer, "Conv1D", kwargs, x, rtol=1e-4, atol=1e-4)
    assert out.shape == tuple(twin.compute_output_shape(x.shape))
    assert layer.compute_output_shape((None,) + x.shape[1:]) == (None,) + out.shape[1:]


def test_causal_is_left_padding_only():
    layer = Conv1D(1, 3, padding="causal", use_bias=False, kernel_initializer="ones")
    x = np.zeros((1, 6, 1), np.float32)
    x[0, 3, 0] = 1.0
    out, _, graph = run_traced(layer, x)
    assert [n.op for n in graph.nodes] == ["pad", "conv"]
    assert graph.nodes[0].attrs["pad_width"] == [[0, 0], [2, 0], [0, 0]]
    np.testing.assert_array_equal(out[0, :, 0], [0, 0, 0, 1, 1, 1])     # no step sees the future


def test_weights_and_config(keras):
    layer = Conv1D(6, 3, groups=3, padding="causal", name="c1")
    layer(rand(1, 5, 3))
    assert [w.name for w in layer.weights] == ["kernel", "bias"]
    assert [w.shape for w in layer.weights] == [(3, 1, 6), (6,)]
    config = layer.get_config()
    ref = keras.layers.Conv1D(6, 3, groups=3, padding="causal", name="c1").get_config()
    for key in ("filters", "kernel_size", "strides", "padding", "data_format", "dilation_rate", "groups",
                "activation", "use_bias", "name"):
        assert config[key] == ref[key], key
    assert Conv1D.from_config(config).get_config() == config


def test_errors():
    with pytest.raises(ValueError, match="padding"):
        Conv1D(2, 3, padding="full")
    with pytest.raises(ValueError, match="dilation_rate"):
        Conv1D(2, 3, strides=2, dilation_rate=2)
    with pytest.raises(ValueError, match="expected ndim=3"):
        Conv1D(2, 3)(rand(1, 4, 4, 2))


def test_gradients_match_finite_differences():
    check_weight_gradients(Conv1D(3, 3, padding="causal", dilation_rate=2, bias_initializer="random_normal"),
                           rand(2, 7, 2, seed=3))
