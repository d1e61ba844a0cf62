"""Maximum against Keras 3: values and broadcasting."""
import numpy as np

from kxla.layers import Maximum, maximum
from layer_check import check_against_keras, rand, run_traced


def test_forward_matches_keras(keras):
    xs = [rand(2, 3, 4, seed=i) for i in range(3)]
    out, _ = check_against_keras(keras, Maximum(), "Maximum", {}, xs)
    np.testing.assert_array_equal(out, np.maximum(np.maximum(xs[0], xs[1]), xs[2]))
    check_against_keras(keras, Maximum(), "Maximum", {}, [rand(2, 3, 4, seed=3), rand(2, 1, 4, seed=4)])


def test_graph_and_functional_form():
    _, _, graph = run_traced(Maximum(), [rand(2, 5), rand(2, 5)])
    assert [n.op for n in graph.nodes] == ["maximum"]
    np.testing.assert_array_equal(maximum([np.array([[1.0, 5.0]]), np.array([[3.0, 2.0]])]), [[3.0, 5.0]])
