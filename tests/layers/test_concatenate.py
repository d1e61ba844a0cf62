"""Concatenate against Keras 3: axes, unknown dims, config and Keras-like errors."""
import numpy as np
import pytest

from kxla.layers.merging import Concatenate, concatenate
from layer_check import check_against_keras, rand, run_traced


@pytest.mark.parametrize("axis", [-1, 1, 2])
def test_forward_matches_keras(keras, axis):
    shapes = {-1: [(2, 3, 4), (2, 3, 2)], 1: [(2, 3, 4), (2, 1, 4)], 2: [(2, 3, 1), (2, 3, 5)]}[axis]
    xs = [rand(*s, seed=i) for i, s in enumerate(shapes)]
    out, twin = check_against_keras(keras, Concatenate(axis=axis), "Concatenate", dict(axis=axis), xs)
    np.testing.assert_array_equal(out, np.concatenate(xs, axis=axis))
    assert Concatenate(axis=axis).compute_output_shape(shapes) == tuple(twin.compute_output_shape(shapes))


def test_graph_unknown_batch_and_config():
    layer = Concatenate(axis=-1, name="cat")
    out, _, graph = run_traced(layer, [rand(2, 3), rand(2, 5), rand(2, 1)])
    assert [n.op for n in graph.nodes] == ["concatenate"]
    assert graph.nodes[0].results[0].type.shape == (None, 9)
    assert out.shape == (2, 9)
    assert layer.get_config()["axis"] == -1
    assert Concatenate.from_config(layer.get_config()).get_config() == layer.get_config()
    assert layer.compute_output_shape([(None, 3), (None, None)]) == (None, None)
    np.testing.assert_array_equal(concatenate([np.ones((1, 2)), np.zeros((1, 1))]), [[1, 1, 0]])
    np.testing.assert_array_equal(Concatenate(axis=0)([np.ones((1, 2)), np.zeros((3, 2))]).shape, (4, 2))


@pytest.mark.parametrize("inputs,axis,match", [
    (lambda: [rand(2, 3, 4), rand(2, 5, 2)], -1, "matching shapes except for the concatenation axis"),
    (lambda: [rand(2, 3, 4), rand(2, 3)], -1, "matching shapes"),
    (lambda: rand(2, 3), -1, "list of inputs"),
    (lambda: [rand(2, 3), rand(2, 3)], 4, "out of bounds"),
])
def test_errors(inputs, axis, match):
    with pytest.raises(ValueError, match=match):
        Concatenate(axis=axis)(inputs())
