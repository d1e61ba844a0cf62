"""RepeatVector against Keras 3: values, shapes, config and argument checks."""
import numpy as np
import pytest

from kxla.layers import RepeatVector
from layer_check import check_against_keras, rand, run_traced


def test_forward_matches_keras(keras):
    x = rand(2, 5)
    layer = RepeatVector(3)
    out, twin = check_against_keras(keras, layer, "RepeatVector", dict(n=3), x)
    assert out.shape == (2, 3, 5)
    np.testing.assert_array_equal(out[:, 1], x)
    assert layer.compute_output_shape((None, 5)) == (None, 3, 5)


def test_graph_and_config(keras):
    layer = RepeatVector(4, name="rv")
    _, _, graph = run_traced(layer, rand(2, 3))
    assert [n.op for n in graph.nodes] == ["expand_dims", "repeat"]
    assert layer.get_config()["n"] == keras.layers.RepeatVector(4, name="rv").get_config()["n"] == 4
    assert RepeatVector.from_config(layer.get_config()).get_config() == layer.get_config()


def test_errors():
    with pytest.raises(TypeError):
        RepeatVector(2.0)
    with pytest.raises(ValueError, match="positive"):
        RepeatVector(0)
    with pytest.raises(ValueError, match="expected ndim=2"):
        RepeatVector(2)(rand(2, 3, 4))
