"""Average against Keras 3: values and broadcasting."""
import numpy as np

from kxla.layers import Average, average
from layer_check import check_against_keras, rand, run_traced


def test_forward_matches_keras(keras):
    xs = [rand(2, 3, 4, seed=i) for i in range(3)]
    out, _ = check_against_keras(keras, Average(), "Average", {}, xs)
    np.testing.assert_allclose(out, (xs[0] + xs[1] + xs[2]) / 3, rtol=1e-5)
    check_against_keras(keras, Average(), "Average", {}, [rand(2, 3, 4, seed=3), rand(2, 1, 4, seed=4)])


def test_graph_and_functional_form():
    _, _, graph = run_traced(Average(), [rand(2, 5), rand(2, 5)])
    assert [n.op for n in graph.nodes if n.op != "constant"] == ["add", "divide"]
    np.testing.assert_allclose(average([np.zeros((2, 2)), np.full((2, 2), 4.0)]), np.full((2, 2), 2.0))
