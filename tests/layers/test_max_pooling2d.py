"""MaxPooling2D against Keras 3 in both data formats, plus config and shape errors."""
import numpy as np
import pytest

from kxla.layers.pooling import MaxPooling2D
from layer_check import check_against_keras, rand, run_traced

CASES = [dict(), dict(pool_size=3, strides=2, padding="same"), dict(pool_size=(2, 3), strides=(1, 2))]


@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
@pytest.mark.parametrize("kwargs", CASES)
def test_forward_matches_keras(keras, data_format, kwargs):
    kwargs = {**kwargs, "data_format": data_format}
    x = rand(2, 7, 9, 3, seed=1)
    if data_format == "channels_first":
        x = np.moveaxis(x, -1, 1)
    layer = MaxPooling2D(**kwargs)
    out, twin = check_against_keras(keras, layer, "MaxPooling2D", kwargs, x)
    assert layer.weights == []
    assert layer.compute_output_shape(x.shape) == tuple(twin.compute_output_shape(x.shape))


def test_graph_and_config(keras):
    layer = MaxPooling2D(pool_size=3, strides=2, padding="SAME", data_format="channels_first", name="p")
    _, _, graph = run_traced(layer, rand(1, 2, 6, 6))
    assert [n.op for n in graph.nodes] == ["max_pool"]
    assert graph.nodes[0].attrs == {"pool_size": [3, 3], "strides": [2, 2], "padding": "same",
                                    "data_format": "channels_first"}
    config = layer.get_config()
    ref = keras.layers.MaxPooling2D(pool_size=3, strides=2, padding="same", data_format="channels_first",
                                    name="p").get_config()
    for key in ("pool_size", "strides", "padding", "data_format", "name", "trainable"):
        assert config[key] == ref[key], key
    assert MaxPooling2D.from_config(config).get_config() == config


def test_errors():
    with pytest.raises(ValueError, match="expected ndim=4"):
        MaxPooling2D()(rand(2, 4, 4))
    with pytest.raises(ValueError, match="does not fit"):
        MaxPooling2D(pool_size=5)(rand(1, 3, 3, 1))
    with pytest.raises(ValueError, match="pool_size"):
        MaxPooling2D(pool_size=(2, 2, 2))
    with pytest.raises(ValueError, match="padding"):
        MaxPooling2D(padding="full")
