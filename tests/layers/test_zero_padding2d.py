"""ZeroPadding2D against Keras 3 (int, symmetric and explicit padding; both data formats)."""
import numpy as np
import pytest

from kxla.layers import ZeroPadding2D
from layer_check import check_against_keras, rand, run_traced


@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
@pytest.mark.parametrize("padding", [1, (2, 0), ((1, 2), (0, 3))])
def test_forward_matches_keras(keras, data_format, padding):
    kwargs = dict(padding=padding, data_format=data_format)
    x = rand(2, 3, 4, 2, seed=1)
    if data_format == "channels_first":
        x = np.moveaxis(x, -1, 1)
    layer = ZeroPadding2D(**kwargs)
    out, twin = check_against_keras(keras, layer, "ZeroPadding2D", kwargs, x)
    assert out.shape == tuple(twin.compute_output_shape(x.shape))
    assert layer.compute_output_shape((None,) + x.shape[1:]) == (None,) + out.shape[1:]


def test_values_graph_and_config(keras):
    layer = ZeroPadding2D(((1, 0), (0, 2)), name="zp")
    x = np.ones((1, 2, 2, 1), np.float32)
    out, _, graph = run_traced(layer, x)
    assert [n.op for n in graph.nodes] == ["pad"]
    np.testing.assert_array_equal(out[0, :, :, 0], [[0, 0, 0, 0], [1, 1, 0, 0], [1, 1, 0, 0]])
    config = layer.get_config()
    assert config["padding"] == ((1, 0), (0, 2))
    ref = keras.layers.ZeroPadding2D(((1, 0), (0, 2)), name="zp").get_config()
    assert {k: config[k] for k in ("padding", "data_format", "name")} == \
        {k: ref[k] for k in ("padding", "data_format", "name")}
    assert ZeroPadding2D.from_config(config).get_config() == config


@pytest.mark.parametrize("padding", [(1, 2, 3), ((1, -1), (0, 0)), "one"])
def test_bad_padding(padding):
    with pytest.raises(ValueError, match="padding"):
        ZeroPadding2D(padding)
