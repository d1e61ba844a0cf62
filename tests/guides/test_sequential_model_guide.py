"""The Keras guide "The Sequential model" (keras-io guides/sequential_model.py), section by section.

Each test walks one section of the guide through kxla with the same API calls a reader makes
(our own code and sizes, small inputs in place of downloads), and checks what the guide says
happens: layer counts, weight counts and shapes, summary output shapes, feature extraction,
freezing.
"""
import numpy as np
import pytest

import kxla as keras
from kxla import layers, ops


def _three_dense(**names):
    return [layers.Dense(2, activation="relu", **names.get("a", {})),
            layers.Dense(3, activation="relu", **names.get("b", {})),
            layers.Dense(4, **names.get("c", {}))]


def test_a_sequential_model_equals_its_layers_called_in_turn():
    model = keras.Sequential(_three_dense(a={"name": "layer1"}, b={"name": "layer2"}, c={"name": "layer3"}))
    x = ops.ones((3, 3))
    y = model(x)
    assert tuple(y.shape) == (3, 4)
    l1, l2, l3 = model.layers
    np.testing.assert_allclose(np.asarray(l3(l2(l1(x)))), np.asarray(y), rtol=1e-6)
    assert [l.name for l in model.layers] == ["layer1", "layer2", "layer3"]


def test_creating_add_pop_and_name():
    model = keras.Sequential()
    for layer in _three_dense():
        model.add(layer)
    assert len(model.layers) == 3
    model.pop()
    assert len(model.layers) == 2
    named = keras.Sequential(name="my_sequential")
    named.add(layers.Dense(2, activation="relu", name="layer1"))
    assert named.name == "my_sequential" and named.layers[0].name == "layer1"


def test_weights_are_created_on_first_call():
    layer = layers.Dense(3)
    assert layer.weights == []
    layer(ops.ones((1, 4)))
    assert [tuple(w.shape) for w in layer.weights] == [(4, 3), (3,)]
    model = keras.Sequential(_three_dense())
    model(ops.ones((1, 4)))
    assert len(model.weights) == 6


def _summary_text(model):
    lines = []
    model.summary(print_fn=lambda line, *a, **k: lines.append(line))
    return "\n".join(lines)


def test_input_in_advance_and_input_shape_argument():
    model = keras.Sequential()
    model.add(keras.Input(shape=(4,)))
    model.add(layers.Dense(2, activation="relu"))
    assert len(model.layers) == 1                      # the Input is not a layer of the model
    assert "(None, 2)" in _summary_text(model)
    other = keras.Sequential()
    other.add(layers.Dense(2, activation="relu", input_shape=(4,)))
    assert len(other.weights) == 2 and "(None, 2)" in _summary_text(other)


def test_add_and_summary_debugging_workflow():
    model = keras.Sequential()
    model.add(keras.Input(shape=(250, 250, 3)))
    model.add(layers.Conv2D(32, 5, strides=2, activation="relu"))
    model.add(layers.Conv2D(32, 3, activation="relu"))
    model.add(layers.MaxPooling2D(3))
    assert "(None, 40, 40, 32)" in _summary_text(model)      # the guide's answer
    for _ in range(2):
        model.add(layers.Conv2D(32, 3, activation="relu"))
    model.add(layers.MaxPooling2D(3))
    for _ in range(2):
        model.add(layers.Conv2D(32, 3, activation="relu"))
    model.add(layers.MaxPooling2D(2))
    assert "(None, 4, 4, 32)" in _summary_text(model)        # "now we have 4x4 feature maps"
    model.add(layers.GlobalMaxPooling2D())
    model.add(layers.Dense(10))
    assert tuple(model(np.zeros((1, 250, 250, 3), "float32")).shape) == (1, 10)


def _conv_stack(middle_name=None):
    return keras.Sequential([keras.Input(shape=(32, 32, 3)),
                             layers.Conv2D(4, 5, strides=2, activation="relu"),
                             layers.Conv2D(4, 3, activation="relu", name=middle_name),
                             layers.Conv2D(4, 3, activation="relu")])


def test_feature_extraction_from_every_layer():
    initial = _conv_stack()
    extractor = keras.Model(inputs=initial.inputs, outputs=[layer.output for layer in initial.layers])
    x = np.random.default_rng(0).normal(size=(1, 32, 32, 3)).astype("float32")
    features = extractor(x)
    assert [tuple(f.shape) for f in features] == [(1, 14, 14, 4), (1, 12, 12, 4), (1, 10, 10, 4)]
    np.testing.assert_allclose(np.asarray(features[-1]), np.asarray(initial(x)), rtol=1e-5, atol=1e-6)


def test_feature_extraction_from_one_layer():
    initial = _conv_stack("my_intermediate_layer")
    extractor = keras.Model(inputs=initial.inputs,
                            outputs=initial.get_layer(name="my_intermediate_layer").output)
    x = np.ones((1, 32, 32, 3), "float32")
    assert tuple(extractor(x).shape) == (1, 12, 12, 4)


@pytest.mark.parametrize("pattern", ["freeze_all_but_last", "frozen_base_under_a_head"])
def test_transfer_learning_blueprints(pattern):
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(16, 8)).astype("float32"), rng.integers(0, 3, 16)
    if pattern == "freeze_all_but_last":
        model = keras.Sequential([keras.Input(shape=(8,)), layers.Dense(6, activation="relu"),
                                  layers.Dense(6, activation="relu"), layers.Dense(3)])
        for layer in model.layers[:-1]:
            layer.trainable = False
        frozen = model.layers[:-1]
    else:
        base = keras.Sequential([keras.Input(shape=(8,)), layers.Dense(6, activation="relu")])
        base.trainable = False
        model = keras.Sequential([base, layers.Dense(3)])
        frozen = [base]
    model(x[:1])                                       # builds the head (a nested base has no input of its own)
    before = [w.copy() for l in frozen for w in l.get_weights()]
    head_before = model.layers[-1].get_weights()[0].copy()
    model.compile("adam", keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    model.fit(x, y, epochs=2, verbose=0)
    after = [w for l in frozen for w in l.get_weights()]
    assert all(np.array_equal(a, b) for a, b in zip(before, after))
    assert not np.array_equal(head_before, model.layers[-1].get_weights()[0])
