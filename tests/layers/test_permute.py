"""Permute against Keras 3: values, shapes, config and argument checks."""
import numpy as np
import pytest

from kxla.layers import Permute
from layer_check import check_against_keras, rand, run_traced


@pytest.mark.parametrize("dims", [(2, 1), (3, 1, 2), (1, 2, 3)])
def test_forward_matches_keras(keras, dims):
    x = rand(2, 3, 4) if len(dims) == 2 else rand(2, 3, 4, 5)
    layer = Permute(dims)
    out, twin = check_against_keras(keras, layer, "Permute", dict(dims=dims), x)
    np.testing.assert_array_equal(out, np.transpose(x, (0,) + dims))
    assert layer.compute_output_shape((None,) + x.shape[1:]) == (None,) + out.shape[1:]


def test_graph_and_config(keras):
    layer = Permute((2, 1), name="perm")
    _, _, graph = run_traced(layer, rand(2, 3, 4))
    assert [n.op for n in graph.nodes] == ["transpose"] and graph.nodes[0].attrs["perm"] == [0, 2, 1]
    assert layer.get_config()["dims"] == keras.layers.Permute((2, 1), name="perm").get_config()["dims"]
    assert Permute.from_config(layer.get_config()).get_config() == layer.get_config()


@pytest.mark.parametrize("dims", [(0, 1), (1, 3), (2, 2)])
def test_bad_dims(dims):
    with pytest.raises(ValueError, match="consecutive and start from 1"):
        Permute(dims)
