"""GlobalAveragePooling2D against Keras 3 (data formats, keepdims), built on ops.mean."""
import numpy as np
import pytest

from kxla.layers.pooling import GlobalAveragePooling2D
from layer_check import check_against_keras, rand, run_traced


@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
@pytest.mark.parametrize("keepdims", [False, True])
def test_forward_matches_keras(keras, data_format, keepdims):
    kwargs = dict(data_format=data_format, keepdims=keepdims)
    x = rand(2, 5, 6, 3, seed=3)
    if data_format == "channels_first":
        x = np.moveaxis(x, -1, 1)
    layer = GlobalAveragePooling2D(**kwargs)
    out, twin = check_against_keras(keras, layer, "GlobalAveragePooling2D", kwargs, x)
    assert out.shape == tuple(twin.compute_output_shape(x.shape))
    assert layer.compute_output_shape(x.shape) == out.shape
    config = layer.get_config()
    assert {k: config[k] for k in kwargs} == {k: twin.get_config()[k] for k in kwargs}


def test_graph_uses_mean_over_spatial_axes():
    _, _, graph = run_traced(GlobalAveragePooling2D(data_format="channels_first"), rand(2, 3, 4, 4))
    assert [n.op for n in graph.nodes] == ["mean"]
    assert graph.nodes[0].attrs == {"axis": [2, 3], "keepdims": False}


def test_rank_error():
    with pytest.raises(ValueError, match="expected ndim=4"):
        GlobalAveragePooling2D()(rand(2, 3, 4))
