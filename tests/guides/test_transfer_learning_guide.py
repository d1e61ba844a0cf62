"""The Keras guide "Transfer learning & fine-tuning" (keras-io guides/transfer_learning.py), step by step.

Our own code following the guide's steps with the same API calls. A small pretrained-style base (Conv2D +
BatchNormalization, random weights copied into both libraries) stands in for the downloaded Xception, and
arrays stand in for the cats-vs-dogs download. Keras 3 (JAX backend) runs the same steps on the same
weights: the frozen and the fine-tuning rounds give the same weights, batch statistics and history.

As in Keras 3 (keras-team/keras#20285; the guide's text was updated for it), ``fit`` calls a functional
model with ``training=True``, which replaces the ``training=False`` recorded for ``base_model(x, ...)``:
the frozen round leaves the base untouched (a frozen BatchNormalization runs in inference mode), and the
fine-tuning round, the base unfrozen, updates its batch statistics too.
"""
import numpy as np
import pytest

import kxla

keras = pytest.importorskip("keras")

RNG = np.random.default_rng(0)
X = RNG.uniform(0, 255, size=(24, 12, 12, 3)).astype("float32")
Y = (X.mean(axis=(1, 2, 3)) > 127.5).astype("float32")[:, None]


def _counts(layer):
    return len(layer.weights), len(layer.trainable_weights), len(layer.non_trainable_weights)


@pytest.mark.parametrize("lib", [kxla, keras], ids=["kxla", "keras"])
def test_trainable_attribute_moves_weights(lib):
    dense = lib.layers.Dense(3)
    dense.build((None, 4))
    assert _counts(dense) == (2, 2, 0)
    bn = lib.layers.BatchNormalization()
    bn.build((None, 4))
    assert _counts(bn) == (4, 2, 2)
    frozen = lib.layers.Dense(3)
    frozen.build((None, 4))
    frozen.trainable = False
    assert _counts(frozen) == (2, 0, 2)


def test_a_frozen_layer_keeps_its_weights_through_fit():
    layer1 = kxla.layers.Dense(3, activation="relu")
    layer2 = kxla.layers.Dense(3, activation="sigmoid")
    model = kxla.Sequential([kxla.Input(shape=(3,)), layer1, layer2])
    layer1.trainable = False
    before = layer1.get_weights()
    second = layer2.get_weights()
    model.compile(optimizer="adam", loss="mse")
    model.fit(RNG.random((2, 3)), RNG.random((2, 3)), verbose=0)
    for a, b in zip(before, layer1.get_weights()):
        np.testing.assert_array_equal(a, b)
    assert not np.array_equal(second[0], layer2.get_weights()[0])


def test_trainable_is_set_recursively():
    inner = kxla.Sequential([kxla.Input(shape=(3,)), kxla.layers.Dense(3, activation="relu"),
                             kxla.layers.Dense(3, activation="relu")])
    model = kxla.Sequential([kxla.Input(shape=(3,)), inner, kxla.layers.Dense(3, activation="sigmoid")])
    model.trainable = False
    assert inner.trainable is False and inner.layers[0].trainable is False
    assert model.trainable_weights == []


def _base(lib):
    """A small stand-in for a pretrained image model (include_top=False): conv, batchnorm, conv."""
    L = lib.layers
    return lib.Sequential([lib.Input((12, 12, 3)), L.Conv2D(8, 3, name="block1_conv"),
                           L.BatchNormalization(name="block1_bn"), L.Activation("relu"),
                           L.Conv2D(8, 3, strides=2, name="block2_conv")], name="base")


def _transfer_model(lib, base, augment):
    """The guide's model: (augmentation), rescaling to [-1, 1], the base in inference mode, pooling,
    (dropout), a one-unit classifier."""
    L = lib.layers
    inputs = lib.Input(shape=(12, 12, 3))
    x = inputs
    if augment:
        x = lib.Sequential([L.RandomFlip("horizontal"), L.RandomRotation(0.1)])(x)
    x = L.Rescaling(scale=1 / 127.5, offset=-1)(x)
    x = base(x, training=False)
    x = L.GlobalAveragePooling2D()(x)
    if augment:
        x = L.Dropout(0.2)(x)
    return lib.Model(inputs, L.Dense(1)(x))


def _compile(lib, model, learning_rate):
    model.compile(optimizer=lib.optimizers.Adam(learning_rate),
                  loss=lib.losses.BinaryCrossentropy(from_logits=True),
                  metrics=[lib.metrics.BinaryAccuracy()])


def _rounds(lib, weights, augment=False):
    """Freeze the base, train the top; unfreeze, recompile with a low rate, fine-tune. Returns what the
    guide looks at: histories, the base's weights (batch statistics included) after each round."""
    base = _base(lib)
    base.set_weights(weights)
    base.trainable = False
    model = _transfer_model(lib, base, augment)
    head = RNG_HEAD.normal(size=(8, 1)).astype("float32"), np.zeros(1, "float32")
    model.layers[-1].set_weights(list(head))
    _compile(lib, model, 1e-2)
    first = model.fit(X, Y, batch_size=8, epochs=2, validation_data=(X[:8], Y[:8]), shuffle=False,
                      verbose=0).history
    after_first = [np.asarray(w) for w in base.get_weights()]
    base.trainable = True
    _compile(lib, model, 1e-3)
    second = model.fit(X, Y, batch_size=8, epochs=2, validation_data=(X[:8], Y[:8]), shuffle=False,
                       verbose=0).history
    return model, first, after_first, second, [np.asarray(w) for w in base.get_weights()]


RNG_HEAD = np.random.default_rng(1)


def _pretrained_weights():
    rng = np.random.default_rng(2)
    base = _base(keras)
    weights = [rng.normal(scale=0.3, size=w.shape).astype("float32") for w in base.get_weights()]
    weights[5] = np.abs(weights[5]) + 0.5        # the batchnorm's moving variance is positive
    return weights


def test_freeze_then_fine_tune_equals_keras():
    weights = _pretrained_weights()
    global RNG_HEAD
    RNG_HEAD = np.random.default_rng(1)
    ours = _rounds(kxla, weights)
    RNG_HEAD = np.random.default_rng(1)
    theirs = _rounds(keras, weights)
    _, first, after_first, second, after_second = ours
    # the frozen round changes nothing in the base; fine-tuning trains it, batch statistics included
    for a, b in zip(after_first, weights):
        np.testing.assert_array_equal(a, b)
    assert not np.allclose(after_second[0], weights[0]) and not np.allclose(after_second[4], weights[4])
    for mine, keras_side in ((first, theirs[1]), (second, theirs[3])):
        assert sorted(mine) == sorted(keras_side)
        for key in mine:
            np.testing.assert_allclose(mine[key], keras_side[key], rtol=2e-4, atol=2e-5)
    for a, b in zip(after_second, theirs[4]):
        np.testing.assert_allclose(a, b, rtol=2e-4, atol=2e-5)


def test_with_augmentation_and_dropout_the_frozen_round_leaves_the_base_alone():
    weights = _pretrained_weights()
    model, first, after_first, second, after_second = _rounds(kxla, weights, augment=True)
    for a, b in zip(after_first, weights):
        np.testing.assert_array_equal(a, b)
    assert len(first["loss"]) == len(second["loss"]) == 2 and np.all(np.isfinite(second["loss"]))
    lines = []
    model.summary(print_fn=lambda line, *a, **k: lines.append(line))
    assert "base" in "\n".join(lines)
