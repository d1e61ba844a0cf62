"""Subtract against Keras 3: values, broadcasting, and the two-input rule."""
import numpy as np
import pytest

from kxla.layers import Subtract, subtract
from layer_check import check_against_keras, rand, run_traced


def test_forward_matches_keras(keras):
    xs = [rand(2, 3, 4, seed=1), rand(2, 3, 4, seed=2)]
    out, _ = check_against_keras(keras, Subtract(), "Subtract", {}, xs)
    np.testing.assert_allclose(out, xs[0] - xs[1], rtol=1e-6)
    check_against_keras(keras, Subtract(), "Subtract", {}, [rand(2, 3, 4, seed=3), rand(2, 1, 4, seed=4)])


def test_graph_and_functional_form():
    _, _, graph = run_traced(Subtract(), [rand(2, 5), rand(2, 5)])
    assert [n.op for n in graph.nodes] == ["subtract"]
    np.testing.assert_allclose(subtract([np.ones((2, 2)), np.ones((2, 2))]), np.zeros((2, 2)))


def test_needs_exactly_two_inputs():
    with pytest.raises(ValueError, match="exactly 2 inputs"):
        Subtract()([rand(2, 3), rand(2, 3), rand(2, 3)])
