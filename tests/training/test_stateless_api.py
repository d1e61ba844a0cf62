"""Keras 3's stateless API as the guide "Writing a training loop from scratch in JAX" uses it
(stateless_call with lists, optimizer.stateless_apply, metric.stateless_update_state), run unchanged
apart from the import and compared with Keras 3 on the same weights and data; compute_loss as Keras's."""
import jax
import numpy as np
import pytest

import kxla


def _guide_loop(keras, x_train, y_train, weights):
    """The guide's code (small synthetic data in place of MNIST)."""
    inputs = keras.Input(shape=(8,), name="digits")
    x1 = keras.layers.Dense(16, activation="relu")(inputs)
    x2 = keras.layers.Dense(16, activation="relu")(x1)
    outputs = keras.layers.Dense(4, name="predictions")(x2)
    model = keras.Model(inputs=inputs, outputs=outputs)
    model.set_weights(weights)
    loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    optimizer = keras.optimizers.Adam(learning_rate=1e-2)
    train_acc_metric = keras.metrics.SparseCategoricalAccuracy()

    def compute_loss_and_updates(trainable_variables, non_trainable_variables, metric_variables, x, y):
        y_pred, non_trainable_variables = model.stateless_call(trainable_variables, non_trainable_variables, x)
        loss = loss_fn(y, y_pred)
        metric_variables = train_acc_metric.stateless_update_state(metric_variables, y, y_pred)
        return loss, (non_trainable_variables, metric_variables)

    grad_fn = jax.value_and_grad(compute_loss_and_updates, has_aux=True)

    @jax.jit
    def train_step(state, data):
        trainable_variables, non_trainable_variables, optimizer_variables, metric_variables = state
        x, y = data
        (loss, (non_trainable_variables, metric_variables)), grads = grad_fn(
            trainable_variables, non_trainable_variables, metric_variables, x, y)
        trainable_variables, optimizer_variables = optimizer.stateless_apply(
            optimizer_variables, grads, trainable_variables)
        return loss, (trainable_variables, non_trainable_variables, optimizer_variables, metric_variables)

    optimizer.build(model.trainable_variables)
    state = (model.trainable_variables, model.non_trainable_variables, optimizer.variables,
             train_acc_metric.variables)
    state = jax.tree_util.tree_map(lambda v: v.value, state, is_leaf=lambda v: hasattr(v, "assign"))
    losses = []
    for step in range(0, len(x_train), 16):
        loss, state = train_step(state, (x_train[step:step + 16], y_train[step:step + 16]))
        losses.append(float(loss))
    trainable_variables, non_trainable_variables, optimizer_variables, metric_variables = state
    for variable, value in zip(model.trainable_variables, trainable_variables):
        variable.assign(value)
    for variable, value in zip(model.non_trainable_variables, non_trainable_variables):
        variable.assign(value)
    acc = float(train_acc_metric.stateless_result(metric_variables))
    return losses, acc, [np.asarray(w) for w in model.get_weights()]


def test_guide_training_loop_matches_keras(keras):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 8)).astype("float32")
    y = rng.integers(0, 4, 64)
    ref = keras.Sequential([keras.Input((8,)), keras.layers.Dense(16), keras.layers.Dense(16),
                            keras.layers.Dense(4)])
    weights = [np.asarray(w) for w in ref.get_weights()]
    got = _guide_loop(kxla, x, y, weights)
    want = _guide_loop(keras, x, y, weights)
    np.testing.assert_allclose(got[0], want[0], rtol=1e-4, atol=1e-5)
    assert abs(got[1] - want[1]) < 1e-6
    for a, b in zip(got[2], want[2]):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)


def test_stateless_call_lists_with_batchnorm_and_return_losses():
    model = kxla.Sequential([kxla.layers.Dense(4, input_shape=(3,), kernel_regularizer="l2"),
                             kxla.layers.BatchNormalization()])
    x = np.random.default_rng(1).normal(size=(5, 3)).astype("float32")
    tv = [v.value for v in model.trainable_variables]
    nv = [v.value for v in model.non_trainable_variables]
    y, new_nv, losses = model.stateless_call(tv, nv, x, training=True, return_losses=True)
    assert len(new_nv) == len(nv) and not np.allclose(np.asarray(new_nv[0]), np.asarray(nv[0]))
    assert len(losses) == 1
    y2, same = model.stateless_call(tv, nv, x)
    np.testing.assert_allclose(np.asarray(same[0]), np.asarray(nv[0]))
    with pytest.raises(ValueError, match="trainable"):
        model.stateless_call(tv[:-1], nv, x)


def test_stateless_call_needs_rng_for_dropout():
    model = kxla.Sequential([kxla.layers.Dropout(0.5, input_shape=(3,))])
    x = np.ones((2, 3), np.float32)
    with pytest.raises(ValueError, match="rng"):
        model.stateless_call([], [], x, training=True)
    out, _ = model.stateless_call([], [], x, training=True, rng=jax.random.key(0))
    assert set(np.unique(np.asarray(out))) <= {0.0, 2.0}


def test_compute_loss_matches_keras_with_zero_sample_weights(keras):
    y = np.array([0, 1, 2, 1])
    logits = np.random.default_rng(2).normal(size=(4, 3)).astype("float32")
    sw = np.array([1.0, 0.0, 2.0, 0.0], np.float32)
    results = []
    for mod in (kxla, keras):
        m = mod.Sequential([mod.Input((3,)), mod.layers.Dense(3)])
        m.compile(loss=mod.losses.SparseCategoricalCrossentropy(from_logits=True))
        results.append(float(m.compute_loss(None, y, logits, sw)))
    np.testing.assert_allclose(results[0], results[1], rtol=1e-6)
