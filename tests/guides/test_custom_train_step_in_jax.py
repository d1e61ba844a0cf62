"""Keras guide "Customizing what happens in fit() with JAX" (keras-io guides/custom_train_step_in_jax.py).

The guide's classes and calls run unchanged with ``keras`` bound to kxla, on small synthetic data
(the guide's own ``np.random.random`` arrays, fewer rows); then the same classes run under Keras 3
and kxla from the same weights, without shuffling, and the histories / results must agree.
"""
import numpy as np
import pytest

import kxla

from .guide_runner import run_guide

FIRST = '''
class CustomModel(keras.Model):
    def compute_loss_and_updates(
        self,
        trainable_variables,
        non_trainable_variables,
        metrics_variables,
        x,
        y,
        sample_weight,
        training=False,
    ):
        y_pred, non_trainable_variables = self.stateless_call(
            trainable_variables,
            non_trainable_variables,
            x,
            training=training,
        )
        loss, (
            trainable_variables,
            non_trainable_variables,
            metrics_variables,
        ) = self.stateless_compute_loss(
            trainable_variables,
            non_trainable_variables,
            metrics_variables,
            x=x,
            y=y,
            y_pred=y_pred,
            sample_weight=sample_weight,
            training=training,
        )
        return loss, (y_pred, non_trainable_variables, metrics_variables)

    def train_step(self, state, data):
        (
            trainable_variables,
            non_trainable_variables,
            optimizer_variables,
            metrics_variables,
        ) = state
        x, y, sample_weight = keras.utils.unpack_x_y_sample_weight(data)

        # Get the gradient function.
        grad_fn = jax.value_and_grad(self.compute_loss_and_updates, has_aux=True)

        # Compute the gradients.
        (loss, (y_pred, non_trainable_variables, metrics_variables)), grads = grad_fn(
            trainable_variables,
            non_trainable_variables,
            metrics_variables,
            x,
            y,
            sample_weight,
            training=True,
        )

        # Update trainable variables and optimizer variables.
        trainable_variables, optimizer_variables = self.optimizer.stateless_apply(
            optimizer_variables, grads, trainable_variables
        )

        # Update metrics.
        new_metrics_vars = []
        logs = {}
        for metric in self.metrics:
            this_metric_vars = metrics_variables[
                len(new_metrics_vars) : len(new_metrics_vars) + len(metric.variables)
            ]
            if metric.name == "loss":
                this_metric_vars = metric.stateless_update_state(
                    this_metric_vars, loss, sample_weight=sample_weight
                )
            else:
                this_metric_vars = metric.stateless_update_state(
                    this_metric_vars, y, y_pred, sample_weight=sample_weight
                )
            logs[metric.name] = metric.stateless_result(this_metric_vars)
            new_metrics_vars += this_metric_vars

        # Return metric logs and updated state variables.
        state = (
            trainable_variables,
            non_trainable_variables,
            optimizer_variables,
            new_metrics_vars,
        )
        return logs, state
'''

FIRST_RUN = '''
# Construct and compile an instance of CustomModel
inputs = keras.Input(shape=(32,))
outputs = keras.layers.Dense(1)(inputs)
model = CustomModel(inputs, outputs)
model.compile(optimizer="adam", loss="mse", metrics=["mae"])

# Just use `fit` as usual
x = np.random.random((N, 32))
y = np.random.random((N, 1))
model.fit(x, y, epochs=3)
'''

LOWER = '''
class CustomModel(keras.Model):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.loss_tracker = keras.metrics.Mean(name="loss")
        self.mae_metric = keras.metrics.MeanAbsoluteError(name="mae")
        self.loss_fn = keras.losses.MeanSquaredError()

    def compute_loss_and_updates(
        self,
        trainable_variables,
        non_trainable_variables,
        x,
        y,
        sample_weight,
        training=False,
    ):
        y_pred, non_trainable_variables = self.stateless_call(
            trainable_variables,
            non_trainable_variables,
            x,
            training=training,
        )
        loss = self.loss_fn(y, y_pred, sample_weight=sample_weight)
        return loss, (y_pred, non_trainable_variables)

    def train_step(self, state, data):
        (
            trainable_variables,
            non_trainable_variables,
            optimizer_variables,
            metrics_variables,
        ) = state
        x, y, sample_weight = keras.utils.unpack_x_y_sample_weight(data)

        # Get the gradient function.
        grad_fn = jax.value_and_grad(self.compute_loss_and_updates, has_aux=True)

        # Compute the gradients.
        (loss, (y_pred, non_trainable_variables)), grads = grad_fn(
            trainable_variables,
            non_trainable_variables,
            x,
            y,
            sample_weight,
            training=True,
        )

        # Update trainable variables and optimizer variables.
        trainable_variables, optimizer_variables = self.optimizer.stateless_apply(
            optimizer_variables, grads, trainable_variables
        )

        # Update metrics.
        loss_tracker_vars = metrics_variables[: len(self.loss_tracker.variables)]
        mae_metric_vars = metrics_variables[len(self.loss_tracker.variables) :]

        loss_tracker_vars = self.loss_tracker.stateless_update_state(
            loss_tracker_vars, loss, sample_weight=sample_weight
        )
        mae_metric_vars = self.mae_metric.stateless_update_state(
            mae_metric_vars, y, y_pred, sample_weight=sample_weight
        )

        logs = {}
        logs[self.loss_tracker.name] = self.loss_tracker.stateless_result(
            loss_tracker_vars
        )
        logs[self.mae_metric.name] = self.mae_metric.stateless_result(mae_metric_vars)

        new_metrics_vars = loss_tracker_vars + mae_metric_vars

        # Return metric logs and updated state variables.
        state = (
            trainable_variables,
            non_trainable_variables,
            optimizer_variables,
            new_metrics_vars,
        )
        return logs, state

    @property
    def metrics(self):
        # We list our `Metric` objects here so that `reset_states()` can be
        # called automatically at the start of each epoch
        # or at the start of `evaluate()`.
        return [self.loss_tracker, self.mae_metric]
'''

LOWER_RUN = '''
# Construct an instance of CustomModel
inputs = keras.Input(shape=(32,))
outputs = keras.layers.Dense(1)(inputs)
model = CustomModel(inputs, outputs)

# We don't pass a loss or metrics here.
model.compile(optimizer="adam")

# Just use `fit` as usual -- you can use callbacks, etc.
x = np.random.random((N, 32))
y = np.random.random((N, 1))
model.fit(x, y, epochs=5)
'''

TEST_STEP = '''
class CustomModel(keras.Model):
    def test_step(self, state, data):
        # Unpack the data.
        x, y, sample_weight = keras.utils.unpack_x_y_sample_weight(data)
        (
            trainable_variables,
            non_trainable_variables,
            metrics_variables,
        ) = state

        # Compute predictions and loss.
        y_pred, non_trainable_variables = self.stateless_call(
            trainable_variables,
            non_trainable_variables,
            x,
            training=False,
        )
        loss, (
            trainable_variables,
            non_trainable_variables,
            metrics_variables,
        ) = self.stateless_compute_loss(
            trainable_variables,
            non_trainable_variables,
            metrics_variables,
            x=x,
            y=y,
            y_pred=y_pred,
            sample_weight=sample_weight,
            training=False,
        )

        # Update metrics.
        new_metrics_vars = []
        logs = {}
        for metric in self.metrics:
            this_metric_vars = metrics_variables[
                len(new_metrics_vars) : len(new_metrics_vars) + len(metric.variables)
            ]
            if metric.name == "loss":
                this_metric_vars = metric.stateless_update_state(
                    this_metric_vars, loss, sample_weight=sample_weight
                )
            else:
                this_metric_vars = metric.stateless_update_state(
                    this_metric_vars, y, y_pred, sample_weight=sample_weight
                )
            logs[metric.name] = metric.stateless_result(this_metric_vars)
            new_metrics_vars += this_metric_vars

        # Return metric logs and updated state variables.
        state = (
            trainable_variables,
            non_trainable_variables,
            new_metrics_vars,
        )
        return logs, state
'''

TEST_STEP_RUN = '''
# Construct an instance of CustomModel
inputs = keras.Input(shape=(32,))
outputs = keras.layers.Dense(1)(inputs)
model = CustomModel(inputs, outputs)
model.compile(loss="mse", metrics=["mae"])

# Evaluate with our custom test_step
x = np.random.random((N, 32))
y = np.random.random((N, 1))
result = model.evaluate(x, y, return_dict=True)
'''


@pytest.mark.parametrize("classes,driver", [(FIRST, FIRST_RUN), (LOWER, LOWER_RUN), (TEST_STEP, TEST_STEP_RUN)],
                         ids=["first_example", "lower_level", "test_step"])
def test_guide_runs_unchanged(classes, driver, capsys):
    ns = run_guide(classes + driver, kxla, N=96)
    model = ns["model"]
    if "result" in ns:
        assert set(ns["result"]) == {"loss", "mae"}
    else:
        losses = model.history.history["loss"]
        assert set(model.history.history) == {"loss", "mae"} and losses[-1] < losses[0]


def _same_run(keras, classes, compile_kw, fit_kw, evaluate=False):
    rng = np.random.default_rng(0)
    x = rng.random((40, 32)).astype("float32")
    y = rng.random((40, 1)).astype("float32")
    results = []
    weights = None
    for lib in (kxla, keras):
        ns = run_guide(classes, lib)
        inputs = lib.Input(shape=(32,))
        model = ns["CustomModel"](inputs, lib.layers.Dense(1)(inputs))
        model.compile(**compile_kw)
        if weights is None:
            weights = model.get_weights()
        else:
            model.set_weights(weights)
        if evaluate:
            results.append(model.evaluate(x, y, batch_size=16, return_dict=True, verbose=0))
        else:
            results.append(model.fit(x, y, batch_size=16, epochs=3, shuffle=False, verbose=0, **fit_kw).history)
    return results


@pytest.mark.parametrize("classes,compile_kw", [
    (FIRST, dict(optimizer="adam", loss="mse", metrics=["mae"])),
    (LOWER, dict(optimizer="adam")),
], ids=["first_example", "lower_level"])
def test_guide_matches_keras(keras, classes, compile_kw):
    got, expected = _same_run(keras, classes, compile_kw, {})
    assert set(got) == set(expected)
    for key in expected:
        np.testing.assert_allclose(got[key], expected[key], rtol=2e-5, atol=1e-6)


def test_custom_train_step_with_validation_and_sample_weight():
    """(Keras itself fails here: its built-in test step calls the guide's ``compute_loss_and_updates``,
    whose signature differs; kxla's built-in test step does not.) val_loss equals evaluate's loss."""
    rng = np.random.default_rng(1)
    x, y = rng.random((40, 32)).astype("float32"), rng.random((40, 1)).astype("float32")
    seen = []

    class Spy(kxla.Model):
        def train_step(self, state, data):
            seen.append(len(data))
            return ns["CustomModel"].train_step(self, state, data)

    ns = run_guide(FIRST, kxla)
    Spy.compute_loss_and_updates = ns["CustomModel"].compute_loss_and_updates
    inputs = kxla.Input(shape=(32,))
    model = Spy(inputs, kxla.layers.Dense(1)(inputs))
    model.compile(optimizer="adam", loss="mse", metrics=["mae"])
    history = model.fit(x, y, batch_size=16, epochs=2, validation_data=(x[:8], y[:8]), verbose=0)
    assert set(history.history) == {"loss", "mae", "val_loss", "val_mae"}
    np.testing.assert_allclose(history.history["val_loss"][-1], model.evaluate(x[:8], y[:8], verbose=0)[0], rtol=1e-6)
    assert set(seen) == {2}                       # data is (x, y) as Keras passes it


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


def test_custom_test_step_matches_keras(keras):
    got, expected = _same_run(keras, TEST_STEP, dict(loss="mse", metrics=["mae"]), {}, evaluate=True)
    assert set(got) == set(expected)
    for key in expected:
        np.testing.assert_allclose(got[key], expected[key], rtol=2e-5)
