"""Multiply against Keras 3: values, broadcasting and rank padding."""
import numpy as np

from kxla.layers import Multiply, multiply
from layer_check import check_against_keras, rand, run_traced


def test_forward_matches_keras(keras):
    xs = [rand(2, 3, 4, seed=i) for i in range(3)]
    out, _ = check_against_keras(keras, Multiply(), "Multiply", {}, xs)
    np.testing.assert_allclose(out, xs[0] * xs[1] * xs[2], rtol=1e-6)
    check_against_keras(keras, Multiply(), "Multiply", {}, [rand(2, 3, 4, seed=3), rand(2, 4, seed=4)])


def test_graph_and_functional_form():
    _, _, graph = run_traced(Multiply(), [rand(2, 5), rand(2, 5), rand(2, 5)])
    assert [n.op for n in graph.nodes] == ["multiply", "multiply"]
    np.testing.assert_allclose(multiply([np.full((2, 2), 2.0), np.full((2, 2), 3.0)]), np.full((2, 2), 6.0))
