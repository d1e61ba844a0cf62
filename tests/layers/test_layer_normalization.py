"""LayerNormalization against Keras 3: axes, center/scale, rms_scaling, weights, config and gradients."""
import warnings

import numpy as np
import pytest

from kxla.layers import LayerNormalization
from grad_check import check_weight_gradients
from layer_check import check_against_keras, rand, run_traced

CASES = [
    dict(),
    dict(axis=[1, 2], epsilon=1e-5),
    dict(axis=1, center=False),
    dict(axis=-2, scale=False, center=False),
]


def _randomize(layer):
    layer.set_weights([np.random.default_rng(7).normal(size=w.shape).astype("float32") for w in layer.weights])


@pytest.mark.parametrize("kwargs", CASES)
def test_forward_matches_keras(keras, kwargs):
    x = rand(2, 3, 4, 5, seed=1) * 3 + 1
    layer = LayerNormalization(**kwargs)
    layer(x)
    _randomize(layer)
    out, twin = check_against_keras(keras, layer, "LayerNormalization", kwargs, x, rtol=1e-4, atol=1e-4)
    assert [w.name for w in layer.weights] == [w.name for w in twin.weights]


def test_rms_scaling_matches_keras(keras):
    x = rand(2, 3, 6, seed=2) + 2
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        layer = LayerNormalization(axis=[1, 2], rms_scaling=True)
        layer(x)
        _randomize(layer)
        check_against_keras(keras, layer, "LayerNormalization", dict(axis=[1, 2], rms_scaling=True), x,
                            rtol=1e-4, atol=1e-4)
    assert [w.name for w in layer.weights] == ["gamma"]


def test_normalizes_each_example_and_graph():
    x = rand(4, 10, seed=3) * 5 + 3
    out, _, graph = run_traced(LayerNormalization(), x)
    assert [n.op for n in graph.nodes] == ["layer_norm"]
    np.testing.assert_allclose(out.mean(axis=-1), 0, atol=1e-5)
    np.testing.assert_allclose(out.std(axis=-1), 1, atol=1e-3)


def test_weights_and_config(keras):
    layer = LayerNormalization(axis=(1, 2), epsilon=1e-4, name="ln")
    layer(rand(2, 3, 4))
    assert [(w.name, w.shape) for w in layer.weights] == [("gamma", (3, 4)), ("beta", (3, 4))]
    assert layer.axis == [1, 2]
    ref = keras.layers.LayerNormalization(axis=(1, 2), epsilon=1e-4, name="ln")
    ref.build((2, 3, 4))
    config, ref_config = layer.get_config(), ref.get_config()
    for key in ("axis", "epsilon", "center", "scale", "rms_scaling", "name"):
        assert config[key] == ref_config[key], key
    for key in ("gamma_initializer", "beta_initializer"):
        assert config[key]["class_name"] == ref_config[key]["class_name"], key
    assert LayerNormalization.from_config(config).get_config() == config
    assert LayerNormalization().epsilon == 1e-3


def test_errors():
    with pytest.raises(TypeError, match="axis"):
        LayerNormalization(axis="last")
    with pytest.raises(ValueError, match="out of bounds"):
        LayerNormalization(axis=3)(rand(2, 3))


def test_gradients_match_finite_differences():
    layer = LayerNormalization(axis=[1, 2])
    x = rand(3, 2, 4, seed=4)
    layer(x)
    _randomize(layer)
    check_weight_gradients(layer, x)
