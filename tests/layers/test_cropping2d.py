"""Cropping2D against Keras 3 (int, symmetric and explicit cropping; both data formats)."""
import numpy as np
import pytest

from kxla.layers import Cropping2D
from layer_check import check_against_keras, rand, run_traced


@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
@pytest.mark.parametrize("cropping", [1, (2, 0), ((1, 0), (0, 2)), ((0, 0), (0, 0))])
def test_forward_matches_keras(keras, data_format, cropping):
    kwargs = dict(cropping=cropping, data_format=data_format)
    x = rand(2, 5, 6, 2, seed=1)
    if data_format == "channels_first":
        x = np.moveaxis(x, -1, 1)
    layer = Cropping2D(**kwargs)
    out, twin = check_against_keras(keras, layer, "Cropping2D", kwargs, x)
    assert out.shape == tuple(twin.compute_output_shape(x.shape))
    assert layer.compute_output_shape((None,) + x.shape[1:]) == (None,) + out.shape[1:]


def test_values_graph_and_config(keras):
    x = np.arange(16, dtype=np.float32).reshape(1, 4, 4, 1)
    layer = Cropping2D(((1, 2), (1, 0)), name="crop")
    out, _, graph = run_traced(layer, x)
    assert [n.op for n in graph.nodes] == ["slice"]
    np.testing.assert_array_equal(out[0, :, :, 0], [[5, 6, 7]])
    config = layer.get_config()
    ref = keras.layers.Cropping2D(((1, 2), (1, 0)), name="crop").get_config()
    assert {k: config[k] for k in ("cropping", "data_format", "name")} == \
        {k: ref[k] for k in ("cropping", "data_format", "name")}
    assert Cropping2D.from_config(config).get_config() == config


def test_errors():
    with pytest.raises(ValueError, match="smaller than"):
        Cropping2D((2, 0))(rand(1, 4, 4, 1))
    with pytest.raises(ValueError, match="cropping"):
        Cropping2D(-1)
