"""The Keras guide "Customizing what happens in fit() with JAX", section by section.

Our own code following the guide's steps with the same API calls, on small random data: a
``keras.Model`` subclass whose ``train_step(self, state, data)`` unpacks the 4-tuple state,
differentiates a stateless loss function (``stateless_call`` + ``stateless_compute_loss``) with
``jax.value_and_grad(has_aux=True)``, applies ``optimizer.stateless_apply`` and walks ``self.metrics``
with ``stateless_update_state`` / ``stateless_result``; a lower-level variant with its own metric
objects (a ``metrics`` property) and loss object; and a custom ``test_step`` for ``evaluate``. Each
runs under kxla and Keras 3 from the same weights, and histories / results must agree.
"""
import jax
import numpy as np
import pytest

import kxla


def _stateless_loss_model(lib):
    """Section "A first simple example": the compiled loss and metrics, driven statelessly."""
    class Model(lib.Model):
        def loss_and_state(self, trainables, non_trainables, metric_values, x, y, weights, training):
            preds, non_trainables = self.stateless_call(trainables, non_trainables, x, training=training)
            value, (trainables, non_trainables, metric_values) = self.stateless_compute_loss(
                trainables, non_trainables, metric_values, x=x, y=y, y_pred=preds, sample_weight=weights,
                training=training)
            return value, (preds, non_trainables, metric_values)

        def train_step(self, state, data):
            trainables, non_trainables, opt_values, metric_values = state
            x, y, weights = lib.utils.unpack_x_y_sample_weight(data)
            grad = jax.value_and_grad(self.loss_and_state, has_aux=True)
            (value, (preds, non_trainables, metric_values)), grads = grad(
                trainables, non_trainables, metric_values, x, y, weights, True)
            trainables, opt_values = self.optimizer.stateless_apply(opt_values, grads, trainables)
            logs, updated = {}, []
            for metric in self.metrics:
                n = len(metric.variables)
                mine = metric_values[len(updated):len(updated) + n]
                args = (value,) if metric.name == "loss" else (y, preds)
                mine = metric.stateless_update_state(mine, *args, sample_weight=weights)
                logs[metric.name] = metric.stateless_result(mine)
                updated += mine
            return logs, (trainables, non_trainables, opt_values, updated)
    return Model


def _own_metrics_model(lib):
    """Section "Going lower-level": own loss object and metric trackers, ``compile(optimizer=...)`` only."""
    class Model(lib.Model):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.tracker = lib.metrics.Mean(name="loss")
            self.abs_error = lib.metrics.MeanAbsoluteError(name="mae")
            self.objective = lib.losses.MeanSquaredError()

        def train_step(self, state, data):
            trainables, non_trainables, opt_values, metric_values = state
            x, y, weights = lib.utils.unpack_x_y_sample_weight(data)

            def loss_fn(trainables):
                preds, new_non_trainables = self.stateless_call(trainables, non_trainables, x, training=True)
                return self.objective(y, preds, sample_weight=weights), (preds, new_non_trainables)

            (value, (preds, non_trainables)), grads = jax.value_and_grad(loss_fn, has_aux=True)(trainables)
            trainables, opt_values = self.optimizer.stateless_apply(opt_values, grads, trainables)
            split = len(self.tracker.variables)
            tracked = self.tracker.stateless_update_state(metric_values[:split], value)
            errors = self.abs_error.stateless_update_state(metric_values[split:], y, preds)
            logs = {"loss": self.tracker.stateless_result(tracked), "mae": self.abs_error.stateless_result(errors)}
            return logs, (trainables, non_trainables, opt_values, tracked + errors)

        @property
        def metrics(self):
            return [self.tracker, self.abs_error]
    return Model


def _custom_test_step_model(lib):
    """Section "Providing your own evaluation step"."""
    class Model(lib.Model):
        def test_step(self, state, data):
            x, y, weights = lib.utils.unpack_x_y_sample_weight(data)
            trainables, non_trainables, metric_values = state
            preds, non_trainables = self.stateless_call(trainables, non_trainables, x, training=False)
            value, (trainables, non_trainables, metric_values) = self.stateless_compute_loss(
                trainables, non_trainables, metric_values, x=x, y=y, y_pred=preds, sample_weight=weights,
                training=False)
            logs, updated = {}, []
            for metric in self.metrics:
                mine = metric_values[len(updated):len(updated) + len(metric.variables)]
                args = (value,) if metric.name == "loss" else (y, preds)
                mine = metric.stateless_update_state(mine, *args, sample_weight=weights)
                logs[metric.name] = metric.stateless_result(mine)
                updated += mine
            return logs, (trainables, non_trainables, updated)
    return Model


def _data(n=40, seed=0):
    rng = np.random.default_rng(seed)
    return rng.random((n, 12)).astype("float32"), rng.random((n, 1)).astype("float32")


def _run(lib, make, compile_kw, weights=None, evaluate=False, **fit_kw):
    x, y = _data()
    inputs = lib.Input(shape=(12,))
    model = make(lib)(inputs, lib.layers.Dense(1)(inputs))
    model.compile(**compile_kw)
    if weights is not None:
        model.set_weights(weights)
    model.initial_weights = model.get_weights()
    if evaluate:
        return model, model.evaluate(x, y, batch_size=16, return_dict=True, verbose=0)
    return model, model.fit(x, y, batch_size=16, epochs=3, shuffle=False, verbose=0, **fit_kw).history


CASES = [(_stateless_loss_model, dict(optimizer="adam", loss="mse", metrics=["mae"])),
         (_own_metrics_model, dict(optimizer="adam"))]


@pytest.mark.parametrize("make,compile_kw", CASES, ids=["compiled_loss", "own_metrics"])
def test_custom_train_step_matches_keras(keras, make, compile_kw):
    model, got = _run(kxla, make, compile_kw)
    _, expected = _run(keras, make, compile_kw, weights=model.initial_weights)
    assert set(got) == set(expected) == {"loss", "mae"}
    for key in expected:
        np.testing.assert_allclose(got[key], expected[key], rtol=2e-5, atol=1e-6)
    assert got["loss"][-1] < got["loss"][0]


def test_custom_test_step_matches_keras(keras):
    compile_kw = dict(loss="mse", metrics=["mae"])
    model, got = _run(kxla, _custom_test_step_model, compile_kw, evaluate=True)
    _, expected = _run(keras, _custom_test_step_model, compile_kw, weights=model.initial_weights, evaluate=True)
    assert set(got) == set(expected)
    for key in expected:
        np.testing.assert_allclose(got[key], expected[key], rtol=2e-5)


def test_custom_train_step_with_validation():
    """kxla's built-in test step runs the validation (val_loss equals evaluate's loss)."""
    x, y = _data()
    model, history = _run(kxla, _stateless_loss_model, CASES[0][1], validation_data=(x[:8], y[:8]))
    assert set(history) == {"loss", "mae", "val_loss", "val_mae"}
    np.testing.assert_allclose(history["val_loss"][-1], model.evaluate(x[:8], y[:8], verbose=0)[0], rtol=1e-6)


def test_sample_weight_reaches_a_custom_step_as_keras_passes_it():
    class Step(kxla.Model):
        def train_step(self, state, data):
            x, y, sample_weight = kxla.utils.unpack_x_y_sample_weight(data)
            logs = {"n": len(data) + 0.0 * sample_weight.sum() if sample_weight is not None else len(data) * 1.0}
            return logs, state

    inputs = kxla.Input(shape=(3,))
    model = Step(inputs, kxla.layers.Dense(1)(inputs))
    model.compile(optimizer="sgd")
    x, y = np.ones((10, 3), "float32"), np.ones((10, 1), "float32")
    assert model.fit(x, y, batch_size=4, verbose=0).history["n"] == [2.0]
    assert model.fit(x, y, batch_size=4, sample_weight=np.ones(10), verbose=0).history["n"] == [3.0]
    assert model.fit(x, y, batch_size=4, class_weight={1: 2.0}, verbose=0).history["n"] == [3.0]
