"""Weight/activity regularizers in the loss, constraints after a step, class/sample weights, frozen layers."""
import numpy as np
import pytest

import kxla
from kxla import layers, regularizers


def _xy(n=8, d=4, out=2, seed=0):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, d)).astype("float32"), rng.normal(size=(n, out)).astype("float32")


def _penalty(reg, w):
    cfg = reg.get_config()
    return cfg.get("l1", 0.0) * np.abs(w).sum() + cfg.get("l2", 0.0) * np.square(w).sum()


REGS = {"l1": lambda: regularizers.l1(0.05), "l2": lambda: regularizers.l2(0.1),
        "l1_l2": lambda: regularizers.l1_l2(l1=0.03, l2=0.07)}


@pytest.mark.parametrize("kernel,bias", [("l1", "l2"), ("l2", "l1_l2"), ("l1_l2", "l1")])
def test_weight_regularizers_added_to_training_loss(kernel, bias):
    x, y = _xy()
    kreg, breg = REGS[kernel](), REGS[bias]()
    model = kxla.Sequential([layers.Input((4,)), layers.Dense(2, kernel_regularizer=kreg, bias_regularizer=breg,
                                                              bias_initializer="ones")])
    model.compile(kxla.optimizers.SGD(0.1), "mse")
    k, b = model.get_weights()
    expected = np.mean((x @ k + b - y) ** 2) + _penalty(kreg, k) + _penalty(breg, b)
    loss = model.train_on_batch(x, y)          # loss of the step, computed with the weights before the update
    np.testing.assert_allclose(loss, expected, rtol=1e-5)
    assert not np.allclose(model.get_weights()[0], k)


def test_regularized_gradient_shrinks_weights():
    # With zero data gradient (y = prediction), an l2 step is w -= lr * 2 * l2 * w.
    x, _ = _xy()
    model = kxla.Sequential([layers.Input((4,)), layers.Dense(2, kernel_regularizer=regularizers.l2(0.1))])
    model.compile(kxla.optimizers.SGD(0.5), "mse")
    k, b = model.get_weights()
    model.train_on_batch(x, x @ k + b)
    np.testing.assert_allclose(model.get_weights()[0], k * (1 - 0.5 * 2 * 0.1), rtol=1e-5, atol=1e-6)


def test_activity_regularizer_normalized_by_batch_like_keras():
    x, y = _xy()
    reg = regularizers.l1_l2(l1=0.01, l2=0.02)
    model = kxla.Sequential([layers.Input((4,)), layers.Dense(2, activity_regularizer=reg)])
    model.compile(kxla.optimizers.SGD(0.1), "mse")
    k, b = model.get_weights()
    out = x @ k + b
    np.testing.assert_allclose(model.train_on_batch(x, y), np.mean((out - y) ** 2) + _penalty(reg, out) / len(x),
                               rtol=1e-5)


def test_evaluate_includes_weight_penalty_like_keras():
    x, y = _xy()
    model = kxla.Sequential([layers.Input((4,)), layers.Dense(2, kernel_regularizer=regularizers.l2(0.1))])
    model.compile(kxla.optimizers.SGD(0.1), "mse")
    k, b = model.get_weights()
    expected = np.mean((x @ k + b - y) ** 2) + 0.1 * np.square(k).sum()
    np.testing.assert_allclose(model.evaluate(x, y, batch_size=8, verbose=0), expected, rtol=1e-5)


def test_max_norm_and_non_neg_hold_after_a_step():
    x, y = _xy(32)
    y = y * 100.0                                 # large gradients push weights past the constraints
    model = kxla.Sequential([
        layers.Input((4,)),
        layers.Dense(3, kernel_constraint=kxla.constraints.max_norm(0.5), name="capped"),
        layers.Dense(2, kernel_constraint=kxla.constraints.non_neg(), bias_constraint="non_neg", name="pos"),
    ])
    model.compile(kxla.optimizers.SGD(0.5), "mse")
    model.fit(x, y, epochs=2, batch_size=8, verbose=0)
    capped = model.get_layer("capped").get_weights()[0]
    assert np.all(np.linalg.norm(capped, axis=0) <= 0.5 + 1e-5)
    assert np.any(np.linalg.norm(capped, axis=0) > 0.45)   # the constraint was active
    pk, pb = model.get_layer("pos").get_weights()
    assert np.all(pk >= 0) and np.all(pb >= 0)


def _keras_twin(keras, model):
    kmodel = keras.Sequential([keras.layers.Input((4,)), keras.layers.Dense(3, activation="softmax")])
    kmodel.set_weights(model.get_weights())
    kmodel.compile(keras.optimizers.SGD(0.1), "sparse_categorical_crossentropy")
    return kmodel


def _classifier():
    model = kxla.Sequential([layers.Input((4,)), layers.Dense(3, activation="softmax")])
    model.compile(kxla.optimizers.SGD(0.1), "sparse_categorical_crossentropy")
    return model


def test_class_weight_matches_keras(keras):
    x, _ = _xy(12)
    y = np.array([0, 1, 2] * 4, dtype="int32")
    cw = {0: 1.0, 1: 3.0, 2: 0.5}
    model = _classifier()
    kmodel = _keras_twin(keras, model)
    plain = model.test_on_batch(x, y)
    loss = model.train_on_batch(x, y, class_weight=cw)
    kloss = kmodel.train_on_batch(x, y, class_weight=cw)
    assert not np.isclose(loss, plain)
    np.testing.assert_allclose(loss, kloss, rtol=1e-5)
    np.testing.assert_allclose(model.get_weights()[0], kmodel.get_weights()[0], rtol=1e-4, atol=1e-6)


def test_sample_weight_matches_keras_and_numpy(keras):
    x, _ = _xy(12)
    y = np.array([0, 1, 2] * 4, dtype="int32")
    sw = np.linspace(0.0, 2.0, 12).astype("float32")
    model = _classifier()
    kmodel = _keras_twin(keras, model)
    k, b = model.get_weights()
    logits = x @ k + b
    p = np.exp(logits - logits.max(-1, keepdims=True))
    p /= p.sum(-1, keepdims=True)
    per_sample = -np.log(p[np.arange(12), y])
    expected = (per_sample * sw).sum() / 12           # Keras: sum over batch size, not over the weights
    np.testing.assert_allclose(model.evaluate(x, y, sample_weight=sw, batch_size=12, verbose=0), expected, rtol=1e-5)
    np.testing.assert_allclose(kmodel.evaluate(x, y, sample_weight=sw, batch_size=12, verbose=0), expected,
                               rtol=1e-5)
    loss = model.train_on_batch(x, y, sample_weight=sw)
    np.testing.assert_allclose(loss, kmodel.train_on_batch(x, y, sample_weight=sw), rtol=1e-5)


def test_frozen_layer(capsys):
    x, y = _xy(32)
    model = kxla.Sequential([layers.Input((4,)), layers.Dense(5, name="frozen"), layers.Dense(2, name="head")])
    model.get_layer("frozen").trainable = False
    frozen_before = [w.copy() for w in model.get_layer("frozen").get_weights()]
    head_before = [w.copy() for w in model.get_layer("head").get_weights()]
    model.compile("adam", "mse")
    model.fit(x, y, epochs=2, batch_size=8, verbose=0)
    for a, b in zip(model.get_layer("frozen").get_weights(), frozen_before):
        np.testing.assert_array_equal(a, b)
    assert not np.allclose(model.get_layer("head").get_weights()[0], head_before[0])
    opt_keys = set(model._opt_keys)
    assert opt_keys and all(not k.startswith("frozen") for k in opt_keys)
    assert {w.ir_name for w in model.trainable_weights} == opt_keys
    model.summary()
    out = capsys.readouterr().out
    assert "Trainable params: 12" in out and "Non-trainable params: 25" in out
    # unfreezing makes it train again
    model.get_layer("frozen").trainable = True
    model.compile("adam", "mse")
    model.fit(x, y, epochs=1, batch_size=8, verbose=0)
    assert not np.allclose(model.get_layer("frozen").get_weights()[0], frozen_before[0])
