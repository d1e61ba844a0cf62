"""AveragePooling2D against Keras 3 in both data formats ("same" averages real elements only)."""
import numpy as np
import pytest

from kxla.layers.pooling import AveragePooling2D
from layer_check import check_against_keras, rand, run_traced

CASES = [dict(pool_size=2), dict(pool_size=3, strides=2, padding="same"),
         dict(pool_size=(3, 2), strides=1, padding="same")]


@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
@pytest.mark.parametrize("kwargs", CASES)
def test_forward_matches_keras(keras, data_format, kwargs):
    kwargs = {**kwargs, "data_format": data_format}
    x = rand(2, 7, 9, 3, seed=2)
    if data_format == "channels_first":
        x = np.moveaxis(x, -1, 1)
    layer = AveragePooling2D(**kwargs)
    check_against_keras(keras, layer, "AveragePooling2D", kwargs, x)
    assert layer.weights == []


def test_same_padding_border_windows():
    x = np.arange(9, dtype="float32").reshape(1, 3, 3, 1)
    out, _, graph = run_traced(AveragePooling2D(2, padding="same"), x)
    assert [n.op for n in graph.nodes] == ["avg_pool"]
    np.testing.assert_allclose(out[0, :, :, 0], [[2.0, 3.5], [6.5, 8.0]])


def test_config_defaults():
    # Keras 3 requires pool_size here; kxla keeps tf.keras's (2, 2) default (a superset)
    config = AveragePooling2D().get_config()
    assert (config["pool_size"], config["strides"], config["padding"]) == ((2, 2), (2, 2), "valid")
    assert config["data_format"] == "channels_last"
    with pytest.raises(ValueError, match="strides"):
        AveragePooling2D(strides=(1, 2, 3))
