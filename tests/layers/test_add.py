"""Add (and the Merge base) against Keras 3: values, broadcasting, rank padding and Keras-like errors."""
import numpy as np
import pytest

from kxla.layers.merging import Add, add
from layer_check import check_against_keras, rand, run_traced


def test_forward_matches_keras(keras):
    xs = [rand(2, 3, 4, seed=i) for i in range(3)]
    out, _ = check_against_keras(keras, Add(), "Add", {}, xs)
    np.testing.assert_allclose(out, xs[0] + xs[1] + xs[2], rtol=1e-6)


def test_broadcast_and_rank_padding_match_keras(keras):
    xs = [rand(2, 3, 4, seed=1), rand(2, 1, 4, seed=2)]
    check_against_keras(keras, Add(), "Add", {}, xs)
    xs = [rand(2, 3, 4, seed=3), rand(2, 4, seed=4)]         # lower rank: size-1 axis inserted at 1
    out, _ = check_against_keras(keras, Add(), "Add", {}, xs)
    np.testing.assert_allclose(out, xs[0] + xs[1][:, None, :], rtol=1e-6)


def test_graph_and_shapes():
    layer = Add()
    out, _, graph = run_traced(layer, [rand(2, 5), rand(2, 5), rand(2, 5)])
    assert [n.op for n in graph.nodes] == ["add", "add"]
    assert layer.compute_output_shape([(None, 5), (3, 1)]) == (3, 5)
    np.testing.assert_allclose(add([np.ones((2, 2)), np.ones((2, 2))]), 2 * np.ones((2, 2)))


@pytest.mark.parametrize("inputs,match", [
    (lambda: rand(2, 3), "list of inputs"),
    (lambda: [rand(2, 3), rand(2, 4)], "incompatible shapes"),
    (lambda: [rand(2, 3), rand(3, 3)], "different batch sizes"),
])
def test_errors(inputs, match):
    with pytest.raises(ValueError, match=match):
        Add()(inputs())
