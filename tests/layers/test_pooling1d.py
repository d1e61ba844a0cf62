"""MaxPooling1D / AveragePooling1D (and the 3-D poolings) against Keras 3 in both data formats."""
import numpy as np
import pytest

from kxla.layers import AveragePooling1D, AveragePooling3D, MaxPooling1D, MaxPooling3D
from layer_check import check_against_keras, rand, run_traced

LAYERS = {"MaxPooling1D": MaxPooling1D, "AveragePooling1D": AveragePooling1D,
          "MaxPooling3D": MaxPooling3D, "AveragePooling3D": AveragePooling3D}


@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
@pytest.mark.parametrize("cls", ["MaxPooling1D", "AveragePooling1D"])
@pytest.mark.parametrize("kwargs", [dict(pool_size=2), dict(pool_size=3, strides=2, padding="same")])
def test_1d_matches_keras(keras, cls, data_format, kwargs):
    kwargs = {**kwargs, "data_format": data_format}
    x = rand(2, 7, 3, seed=1)
    if data_format == "channels_first":
        x = np.moveaxis(x, -1, 1)
    layer = LAYERS[cls](**kwargs)
    out, twin = check_against_keras(keras, layer, cls, kwargs, x)
    assert out.shape == tuple(twin.compute_output_shape(x.shape))
    assert layer.compute_output_shape((None,) + x.shape[1:]) == (None,) + out.shape[1:]


@pytest.mark.parametrize("cls", ["MaxPooling3D", "AveragePooling3D"])
def test_3d_matches_keras(keras, cls):
    kwargs = dict(pool_size=2, padding="same", data_format="channels_first")
    check_against_keras(keras, LAYERS[cls](**kwargs), cls, kwargs, rand(2, 3, 3, 4, 5))


def test_values_graph_and_config(keras):
    x = np.arange(12, dtype=np.float32).reshape(1, 6, 2)
    out, _, graph = run_traced(MaxPooling1D(), x)
    assert [n.op for n in graph.nodes] == ["max_pool"]
    np.testing.assert_array_equal(out[0], [[2, 3], [6, 7], [10, 11]])
    out, _, _ = run_traced(AveragePooling1D(3, strides=3), x)
    np.testing.assert_array_equal(out[0], [[2, 3], [8, 9]])
    config = MaxPooling1D(3, strides=1, name="p").get_config()
    ref = keras.layers.MaxPooling1D(3, strides=1, name="p").get_config()
    for key in ("pool_size", "strides", "padding", "data_format", "name"):
        assert config[key] == ref[key], key
    assert MaxPooling1D.from_config(config).get_config() == config


def test_errors():
    with pytest.raises(TypeError):
        AveragePooling1D()                            # pool_size is required, as in Keras 3
    with pytest.raises(ValueError, match="does not fit"):
        MaxPooling1D(4)(rand(1, 3, 2))
    with pytest.raises(ValueError, match="expected ndim=3"):
        MaxPooling1D()(rand(1, 4, 4, 2))
