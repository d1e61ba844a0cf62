"""Sequential models: building, naming, summary, weights, parity with Keras 3, errors."""
import numpy as np
import pytest

import kxla
from kxla import layers


def mlp():
    return kxla.Sequential([layers.Dense(32, activation="relu", input_shape=(784,)),
                            layers.Dense(10, activation="softmax")])


def test_summary_matches_keras_table(capsys):
    model = mlp()
    model.summary()
    out = capsys.readouterr().out
    assert 'Model: "sequential' in out
    assert "Layer (type)" in out and "Output Shape" in out and "Param #" in out
    assert "(None, 32)" in out and "25,120" in out and "330" in out
    assert "Total params: 25,450 (99.41 KB)" in out
    assert "Trainable params: 25,450" in out and "Non-trainable params: 0 (0.00 B)" in out
    assert model.count_params() == 25450


def test_auto_names_and_get_layer():
    kxla.layers.layer.reset_names()
    model = mlp()
    assert [l.name for l in model.layers] == ["dense", "dense_1"]
    assert model.get_layer("dense_1") is model.layers[1]
    assert model.get_layer(index=0) is model.layers[0]
    with pytest.raises(ValueError, match="No such layer: nope"):
        model.get_layer("nope")


def test_add_input_dim_and_deferred_build():
    model = kxla.Sequential()
    model.add(layers.Dense(4, input_dim=3))
    model.add(layers.Dense(2))
    assert model.layers[1].built
    deferred = kxla.Sequential([layers.Dense(4), layers.Dense(2)])
    assert not deferred.layers[0].built
    out = deferred.predict(np.ones((5, 7), "float32"), verbose=0)
    assert out.shape == (5, 2) and deferred.layers[0].kernel.shape == (7, 4)
    with pytest.raises(ValueError, match="not been built"):
        kxla.Sequential([layers.Dense(2)]).to_ir()


def test_default_initializers_and_weight_order():
    model = mlp()
    kernel, bias, kernel1, bias1 = model.get_weights()
    assert kernel.shape == (784, 32) and bias.shape == (32,) and kernel1.shape == (32, 10)
    assert np.all(bias == 0) and np.all(bias1 == 0)
    limit = np.sqrt(6 / (784 + 32))                       # glorot_uniform
    assert np.abs(kernel).max() <= limit and np.abs(kernel).max() > 0.9 * limit
    assert [w.path for w in model.weights] == [f"{model.layers[0].name}/kernel", f"{model.layers[0].name}/bias",
                                               f"{model.layers[1].name}/kernel", f"{model.layers[1].name}/bias"]


def test_set_weights_checks_count_and_shapes():
    model = mlp()
    weights = model.get_weights()
    with pytest.raises(ValueError, match="expects 2 weights"):
        model.layers[0].set_weights(weights[:1])
    with pytest.raises(ValueError, match="has shape \\(784, 32\\)"):
        model.layers[0].set_weights([weights[2], weights[1]])
    new = [w + 1 for w in weights]
    model.set_weights(new)
    for a, b in zip(model.get_weights(), new):
        np.testing.assert_array_equal(a, b)


def test_predictions_match_numpy_and_keras(keras):
    model = mlp()
    x = np.random.default_rng(0).normal(size=(20, 784)).astype("float32")
    k, b, k1, b1 = model.get_weights()
    h = np.maximum(x @ k + b, 0)
    logits = h @ k1 + b1
    expected = np.exp(logits - logits.max(-1, keepdims=True))
    expected /= expected.sum(-1, keepdims=True)
    np.testing.assert_allclose(model.predict(x, verbose=0), expected, rtol=1e-5, atol=1e-6)
    km = keras.Sequential([keras.Input((784,)), keras.layers.Dense(32, activation="relu"),
                           keras.layers.Dense(10, activation="softmax")])
    km.set_weights(model.get_weights())
    np.testing.assert_allclose(model.predict(x, verbose=0), km.predict(x, verbose=0), rtol=1e-5, atol=1e-6)


def test_weights_from_keras_give_keras_predictions(keras):
    km = keras.Sequential([keras.Input((6,)), keras.layers.Dense(5, activation="tanh"),
                           keras.layers.Dense(3)])
    model = kxla.Sequential([layers.Dense(5, activation="tanh", input_shape=(6,)), layers.Dense(3)])
    model.set_weights(km.get_weights())
    x = np.random.default_rng(1).normal(size=(4, 6)).astype("float32")
    np.testing.assert_allclose(model.predict(x, verbose=0), km.predict(x, verbose=0), rtol=1e-5, atol=1e-6)


def test_incompatible_layer_is_caught_at_build_time():
    with pytest.raises(ValueError, match="reshape"):
        kxla.Sequential([layers.Dense(3, input_shape=(4,)), layers.Reshape((5,))])
    model = kxla.Sequential([layers.Dense(3, input_shape=(4,))])
    with pytest.raises(ValueError, match="expected shape \\(None, 4\\), but x has shape \\(2, 5\\)"):
        model.predict(np.ones((2, 5)), verbose=0)


def test_duplicate_layer_names_are_rejected():
    with pytest.raises(ValueError, match="unique names"):
        kxla.Sequential([layers.Dense(2, name="a", input_shape=(2,)), layers.Dense(2, name="a")])


def test_to_ir_is_the_documented_text():
    kxla.layers.layer.reset_names()
    model = kxla.Sequential([layers.Dense(2, activation="relu", input_shape=(3,))], name="tiny")
    assert str(model.to_ir()) == (
        'graph @tiny(%input_layer: f32[?,3]) params(%dense.kernel: f32[3,2] {init="glorot_uniform"}, '
        '%dense.bias: f32[2] {init="zeros"}) {\n'
        "  %0 = matmul(%input_layer, %dense.kernel) : f32[?,2]  // dense\n"
        "  %1 = bias_add(%0, %dense.bias) {axis=-1} : f32[?,2]  // dense\n"
        "  %2 = relu(%1) : f32[?,2]  // dense\n"
        "  return %2\n"
        "}")
    model.to_ir().verify()


def test_built_sequential_has_inputs_outputs_and_layer_outputs_as_keras():
    keras = pytest.importorskip("keras")
    for lib in (kxla, keras):
        model = lib.Sequential([lib.Input((6,)), lib.layers.Dense(4, name="a"), lib.layers.Dense(2, name="b")])
        assert len(model.inputs) == 1 and tuple(model.inputs[0].shape) == (None, 6)
        assert tuple(model.outputs[0].shape) == (None, 2)
        assert tuple(model.get_layer("a").output.shape) == (None, 4)
        extractor = lib.Model(model.inputs, [layer.output for layer in model.layers])
        x = np.random.default_rng(0).normal(size=(3, 6)).astype("float32")
        first, last = extractor.predict(x, verbose=0)
        assert first.shape == (3, 4)
        np.testing.assert_allclose(last, model.predict(x, verbose=0), rtol=1e-5, atol=1e-6)
    assert kxla.Sequential([kxla.layers.Dense(2)]).inputs is None      # input shape unknown: not built


def test_input_and_output_shape_as_keras():
    keras = pytest.importorskip("keras")
    for lib in (kxla, keras):
        a, b = lib.Input((4,)), lib.Input((2, 3))
        two = lib.Model([a, b], [lib.layers.Dense(5)(a), b])
        assert two.input_shape == [(None, 4), (None, 2, 3)] and two.output_shape == [(None, 5), (None, 2, 3)]
        seq = lib.Sequential([lib.Input((6,)), lib.layers.Dense(2)])
        assert seq.input_shape == (None, 6) and seq.output_shape == (None, 2)
