"""model(x) / model(x, training=True) on arrays: every model kind, Keras's numbers, one compilation."""
import numpy as np
import pytest

import kxla
from kxla import layers
from kxla.testing import assert_max_compiles

X = np.random.default_rng(0).normal(size=(4, 6)).astype("float32")


class Sub(kxla.Model):
    def __init__(self):
        super().__init__()
        self.d = layers.Dense(3)

    def call(self, x):
        return self.d(x) * 2.0


def _functional_bn():
    inp = kxla.Input((6,))
    h = layers.BatchNormalization()(layers.Dense(5)(inp))
    return kxla.Model(inp, layers.Dense(2)(h))


KINDS = {
    "sequential": lambda: kxla.Sequential([layers.Dense(8, activation="relu", input_shape=(6,)),
                                           layers.Dense(2)]),
    "functional_bn": _functional_bn,
    "subclassed": Sub,
    "lstm": lambda: kxla.Sequential([layers.Reshape((2, 3), input_shape=(6,)), layers.LSTM(4)]),
}


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_call_equals_predict_and_compiles_once(kind):
    model = KINDS[kind]()
    want = model.predict(X, verbose=0)
    np.testing.assert_allclose(np.asarray(model(X)), want, rtol=1e-5, atol=1e-6)
    model(X, training=True)
    model(X)                  # state written by the training call is committed to the device: once
    with assert_max_compiles(0):                     # cached: no re-trace, no re-compilation
        for _ in range(3):
            model(X)
            model(X, training=True)


def test_training_call_updates_batchnorm_like_keras(keras):
    kx = _functional_bn()
    inp = keras.Input((6,))
    h = keras.layers.BatchNormalization()(keras.layers.Dense(5)(inp))
    ke = keras.Model(inp, keras.layers.Dense(2)(h))
    ke.set_weights([np.asarray(w) for w in kx.get_weights()])
    got = np.asarray(kx(X, training=True))
    want = np.asarray(ke(X, training=True))
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)
    for a, b in zip(kx.get_weights(), ke.get_weights()):
        np.testing.assert_allclose(a, np.asarray(b), rtol=1e-5, atol=1e-6)


def test_weights_changed_after_a_call_are_seen():
    model = KINDS["sequential"]()
    before = np.asarray(model(X))
    model.set_weights([w * 2 for w in model.get_weights()])
    assert not np.allclose(np.asarray(model(X)), before)
    np.testing.assert_allclose(np.asarray(model(X)), model.predict(X, verbose=0), rtol=1e-5, atol=1e-6)


def test_dropout_call_draws_fresh_masks_reproducibly():
    def run():
        kxla.utils.set_random_seed(3)
        model = kxla.Sequential([layers.Dropout(0.5, input_shape=(6,))])
        return np.asarray(model(X, training=True)), np.asarray(model(X, training=True))
    a1, a2 = run()
    b1, b2 = run()
    assert not np.array_equal(a1, a2)
    np.testing.assert_array_equal(a1, b1)
    np.testing.assert_array_equal(a2, b2)
    np.testing.assert_array_equal(np.asarray(kxla.Sequential([layers.Dropout(0.5, input_shape=(6,))])(X)), X)


def test_add_loss_in_call_reaches_model_losses_and_fit(keras):
    class WithLoss(kxla.Model):
        def __init__(self):
            super().__init__()
            self.d = layers.Dense(2)

        def call(self, x):
            y = self.d(x)
            self.add_loss(0.5 * kxla.ops.sum(kxla.ops.square(y)))
            return y
    model = WithLoss()
    y = np.asarray(model(X))
    assert len(model.losses) == 1
    np.testing.assert_allclose(float(model.losses[0]), 0.5 * np.sum(y ** 2), rtol=1e-5)
    model.compile(optimizer="sgd", loss="mse")
    target = np.zeros((4, 2), np.float32)
    got = model.evaluate(X, target, verbose=0)
    np.testing.assert_allclose(got, np.mean(y ** 2) + 0.5 * np.sum(y ** 2), rtol=1e-5)


def test_another_sequence_length_runs_layer_by_layer_and_a_fixed_batch_is_enforced():
    model = kxla.Sequential([kxla.layers.Embedding(50, 4, mask_zero=True), kxla.layers.LSTM(3)])
    ids = np.random.default_rng(0).integers(1, 50, (3, 9))
    short = np.asarray(model(ids[:, :6]))                       # builds and traces for length 6
    padded = np.concatenate([ids[:, :6], np.zeros((3, 3), int)], axis=1)
    np.testing.assert_allclose(np.asarray(model(padded)), short, rtol=1e-5, atol=1e-6)   # length 9, masked
    fixed = kxla.Sequential([kxla.Input(batch_shape=(2, 4)), kxla.layers.Dense(1)])
    with pytest.raises(ValueError, match="built for batch size 2"):
        fixed(np.ones((3, 4), "float32"))
