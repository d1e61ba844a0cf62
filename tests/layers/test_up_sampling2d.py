"""UpSampling2D against Keras 3: nearest (repeat) and bilinear (resize), both data formats."""
import numpy as np
import pytest

from kxla.layers import UpSampling2D
from layer_check import check_against_keras, rand, run_traced


@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
@pytest.mark.parametrize("kwargs", [dict(size=2), dict(size=(3, 2)), dict(size=(2, 3), interpolation="bilinear"),
                                    dict(size=2, interpolation="bicubic")])
def test_forward_matches_keras(keras, data_format, kwargs):
    kwargs = {**kwargs, "data_format": data_format}
    x = rand(2, 3, 4, 2, seed=1)
    if data_format == "channels_first":
        x = np.moveaxis(x, -1, 1)
    layer = UpSampling2D(**kwargs)
    out, twin = check_against_keras(keras, layer, "UpSampling2D", kwargs, x)
    assert out.shape == tuple(twin.compute_output_shape(x.shape))
    assert layer.compute_output_shape((None,) + x.shape[1:]) == (None,) + out.shape[1:]


def test_graph_values_and_config(keras):
    x = np.arange(4, dtype=np.float32).reshape(1, 2, 2, 1)
    out, _, graph = run_traced(UpSampling2D(), x)
    assert [n.op for n in graph.nodes] == ["repeat", "repeat"]
    np.testing.assert_array_equal(out[0, :, :, 0], [[0, 0, 1, 1], [0, 0, 1, 1], [2, 2, 3, 3], [2, 2, 3, 3]])
    out, _, graph = run_traced(UpSampling2D(interpolation="bilinear", data_format="channels_first"),
                               np.moveaxis(x, -1, 1))
    assert [n.op for n in graph.nodes] == ["resize"]
    assert graph.nodes[0].attrs["data_format"] == "channels_first"
    np.testing.assert_allclose(out[0, 0, 0], [0, 0.25, 0.75, 1])        # half-pixel centers
    config = UpSampling2D((2, 3), interpolation="Bilinear", name="up").get_config()
    ref = keras.layers.UpSampling2D((2, 3), interpolation="bilinear", name="up").get_config()
    assert {k: config[k] for k in ("size", "interpolation", "data_format", "name")} == \
        {k: ref[k] for k in ("size", "interpolation", "data_format", "name")}
    assert UpSampling2D.from_config(config).get_config() == config


def test_errors():
    with pytest.raises(ValueError, match="interpolation"):
        UpSampling2D(interpolation="area")
    with pytest.raises(ValueError, match="size"):
        UpSampling2D(size=0)
    with pytest.raises(ValueError, match="expected ndim=4"):
        UpSampling2D()(rand(1, 4, 2))
