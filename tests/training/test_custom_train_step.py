"""Overriding train_step / test_step / predict_step the Keras 3 (JAX backend) way: lists of state."""
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
    """The built-in step written with Keras's stateless API."""

    def train_step(self, state, data):
        trainable, non_trainable, opt_vars, metric_vars = state
        x, y = data

        def loss_fn(trainable, non_trainable):
            y_pred, non_trainable = self.stateless_call(trainable, non_trainable, x, training=True)
            return self.compute_loss(x, y, y_pred), (y_pred, non_trainable)

        (loss, (y_pred, non_trainable)), grads = jax.value_and_grad(loss_fn, has_aux=True)(trainable, non_trainable)
        trainable, opt_vars = self.optimizer.stateless_apply(opt_vars, grads, trainable)
        new_metric_vars, logs = [], {}
        for metric in self.metrics:
            mine = metric_vars[len(new_metric_vars):len(new_metric_vars) + len(metric.variables)]
            mine = metric.stateless_update_state(mine, loss) if metric.name == "loss" else \
                metric.stateless_update_state(mine, y, y_pred)
            logs[metric.name] = metric.stateless_result(mine)
            new_metric_vars += mine
        return logs, (trainable, non_trainable, opt_vars, new_metric_vars)


class FreezeHidden(KerasStyleStep):
    """Edits gradients: the hidden layer's are zeroed (Adam then leaves it unchanged)."""

    def train_step(self, state, data):
        trainable, non_trainable, opt_vars, metric_vars = state
        x, y = data

        def loss_fn(trainable):
            y_pred, _ = self.stateless_call(trainable, non_trainable, x, training=True)
            return self.compute_loss(x, y, y_pred)

        loss, grads = jax.value_and_grad(loss_fn)(trainable)
        hidden = {id(v) for v in self.hidden.trainable_variables}
        grads = [g * 0 if id(v) in hidden else g for g, v in zip(grads, self.trainable_variables)]
        trainable, opt_vars = self.optimizer.stateless_apply(opt_vars, grads, trainable)
        return {"loss": loss}, (trainable, non_trainable, opt_vars, metric_vars)


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
    # (equal batches: a custom step's Mean("loss") averages batches, the built-in one samples)
    ha = a.fit(x, y, batch_size=20, epochs=3, shuffle=False, verbose=0)
    hb = b.fit(x, y, batch_size=20, epochs=3, shuffle=False, verbose=0)
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
    assert int(np.asarray(model._opt_state["iterations"])) == 6


def test_predict_step_is_honoured():
    class Doubled(Net):
        def predict_step(self, state, data):
            trainable, non_trainable = state
            (x,) = data
            y_pred, _ = self.stateless_call(trainable, non_trainable, x)
            return 2 * y_pred

    x, _ = data()
    a, b = build(Net), build(Doubled)
    b.set_weights(a.get_weights())
    np.testing.assert_allclose(b.predict(x, verbose=0), 2 * a.predict(x, verbose=0), rtol=1e-6)
    np.testing.assert_allclose(b.predict(x[:3], verbose=0), 2 * a.predict(x[:3], verbose=0), rtol=1e-6)


def test_bad_return_is_a_clear_error():
    class Bad(Net):
        def train_step(self, state, data):
            return {"loss": 0.0}

    model = build(Bad)
    x, y = data()
    with pytest.raises(TypeError, match="train_step must return"):
        model.fit(x, y, verbose=0)
