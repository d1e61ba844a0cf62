"""Overriding Model.train_step the Keras 3 (JAX backend) way."""
import jax
import numpy as np
import pytest

import kxla
from kxla import layers


class Net(kxla.Model):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.hidden = layers.Dense(8, activation="relu")
        self.out = layers.Dense(1)

    def call(self, x, training=False):
        return self.out(self.hidden(x))


class KerasStyleStep(Net):
    """The docstring's equivalent of the built-in step."""

    def train_step(self, state, data):
        x, y, sample_weight = data

        def loss_fn(params):
            y_pred, new_state = self.stateless_call({**params, **state.frozen}, state.state, x,
                                                    training=True, rng=state.rng)
            return self.compute_loss(x, y, y_pred, sample_weight), (y_pred, new_state)

        (loss, (y_pred, new_state)), grads = jax.value_and_grad(loss_fn, has_aux=True)(state.params)
        params, opt = self.optimizer.stateless_apply(state.optimizer, grads, state.params, state.learning_rate)
        metrics = self.stateless_update_metrics(state.metrics, loss, y, y_pred, sample_weight)
        return None, state._replace(params=params, state=new_state, optimizer=opt, metrics=metrics)


class FreezeHidden(KerasStyleStep):
    """Edits gradients: the hidden layer's are zeroed (SGD then leaves it unchanged)."""

    def train_step(self, state, data):
        x, y, sample_weight = data

        def loss_fn(params):
            y_pred, new_state = self.stateless_call({**params, **state.frozen}, state.state, x, training=True)
            return self.compute_loss(x, y, y_pred, sample_weight), new_state

        (loss, new_state), grads = jax.value_and_grad(loss_fn, has_aux=True)(state.params)
        grads = {k: g * 0 if k.startswith(self.hidden.name + ".") else g for k, g in grads.items()}
        params, opt = self.optimizer.stateless_apply(state.optimizer, grads, state.params, state.learning_rate)
        return state._replace(params=params, state=new_state, optimizer=opt)


def data():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(40, 3)).astype("float32")        # 40 = 2 full batches of 16 and a ragged 8
    return x, (x.sum(1, keepdims=True) > 0).astype("float32")


def build(cls):
    kxla.utils.set_random_seed(1)
    model = cls()
    model.build((None, 3))
    model.compile(kxla.optimizers.Adam(0.01), "binary_crossentropy", metrics=["mae"])
    return model


def test_keras_style_step_equals_builtin_step():
    x, y = data()
    a, b = build(Net), build(KerasStyleStep)
    b.set_weights(a.get_weights())
    ha = a.fit(x, y, batch_size=16, epochs=3, shuffle=False, verbose=0)
    hb = b.fit(x, y, batch_size=16, epochs=3, shuffle=False, verbose=0)
    for wa, wb in zip(a.get_weights(), b.get_weights()):
        np.testing.assert_allclose(wa, wb, rtol=1e-5, atol=1e-6)
    for key in ("loss", "mae"):
        np.testing.assert_allclose(ha.history[key], hb.history[key], rtol=1e-5)


def test_step_can_edit_gradients():
    x, y = data()
    model = build(FreezeHidden)
    before = model.hidden.get_weights()
    out_before = model.out.get_weights()
    model.fit(x, y, batch_size=16, epochs=2, verbose=0)
    for w0, w1 in zip(before, model.hidden.get_weights()):
        np.testing.assert_allclose(w0, w1, atol=1e-7)          # Adam with zero grads moves nothing
    assert not np.allclose(out_before[0], model.out.get_weights()[0])


def test_bad_return_is_a_clear_error():
    class Bad(Net):
        def train_step(self, state, data):
            return {"loss": 0.0}

    model = build(Bad)
    x, y = data()
    with pytest.raises(TypeError, match="train_step must return"):
        model.fit(x, y, verbose=0)
