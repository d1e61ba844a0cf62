"""Dot against Keras 3: axes forms, ranks 2-4, normalize (cosine), shapes, config and errors."""
import numpy as np
import pytest

from kxla.layers import Dot, dot
from layer_check import check_against_keras, rand, run_traced


@pytest.mark.parametrize("shapes,axes", [
    (((2, 5), (2, 5)), 1),
    (((2, 5), (2, 5)), -1),
    (((2, 3, 5), (2, 10, 3)), (1, 2)),
    (((2, 4, 3), (2, 4, 6)), 1),
    (((2, 5), (2, 4, 5)), (1, 2)),
    (((2, 3, 4, 5), (2, 5, 6)), (-1, 1)),
])
@pytest.mark.parametrize("normalize", [False, True])
def test_forward_matches_keras(keras, shapes, axes, normalize):
    xs = [rand(*s, seed=i) for i, s in enumerate(shapes)]
    layer = Dot(axes, normalize=normalize)
    out, twin = check_against_keras(keras, layer, "Dot", dict(axes=axes, normalize=normalize), xs,
                                    rtol=1e-5, atol=1e-5)
    assert out.shape == tuple(twin.compute_output_shape([x.shape for x in xs]))
    assert layer.compute_output_shape([(None,) + x.shape[1:] for x in xs]) == (None,) + out.shape[1:]


def test_values_and_graph():
    x, y = rand(3, 4, seed=1), rand(3, 4, seed=2)
    out, _, graph = run_traced(Dot(1), [x, y])
    assert [n.op for n in graph.nodes] == ["einsum", "expand_dims"]
    np.testing.assert_allclose(out[:, 0], np.sum(x * y, axis=1), rtol=1e-5)
    cos = np.asarray(dot([x, x], axes=1, normalize=True))
    np.testing.assert_allclose(cos, np.ones((3, 1)), rtol=1e-5)


def test_config(keras):
    layer = Dot((1, 2), normalize=True, name="d")
    config = layer.get_config()
    ref = keras.layers.Dot((1, 2), normalize=True, name="d").get_config()
    assert {k: config[k] for k in ("axes", "normalize", "name")} == {k: ref[k] for k in ("axes", "normalize", "name")}
    assert Dot.from_config(config).get_config() == config


def test_errors():
    with pytest.raises(TypeError, match="axes"):
        Dot("1")
    with pytest.raises(ValueError, match="two elements"):
        Dot((1, 2, 3))
    with pytest.raises(ValueError, match="Incompatible input shapes"):
        Dot(1)([rand(2, 3), rand(2, 4)])
    with pytest.raises(ValueError, match="list of 2 inputs"):
        Dot(1)([rand(2, 3), rand(2, 3), rand(2, 3)])
    with pytest.raises(ValueError, match="axis 0"):
        Dot(0)([rand(2, 3), rand(2, 3)])
