"""compute_metrics / get_metrics_result / reset_metrics, and metrics sized from the data (F1Score,
FBetaScore, R2Score) in compile(metrics=...) without build: against Keras 3."""
import jax
import numpy as np

import kxla


def _pair(keras, metrics, loss="binary_crossentropy", units=3, activation="sigmoid"):
    m = kxla.Sequential([kxla.layers.Input((4,)), kxla.layers.Dense(units, activation=activation)])
    k = keras.Sequential([keras.Input((4,)), keras.layers.Dense(units, activation=activation)])
    m.compile("sgd", loss, metrics=metrics(kxla.metrics))
    k.compile("sgd", loss, metrics=metrics(keras.metrics))
    k.set_weights(m.get_weights())
    return m, k


def _close(a, b):
    assert set(a) == set(b)
    for key in a:
        np.testing.assert_allclose(np.asarray(a[key], np.float32), np.asarray(b[key], np.float32), rtol=1e-5,
                                   atol=1e-6, err_msg=key)


def test_data_sized_metrics_in_fit_and_evaluate(keras):
    rng = np.random.default_rng(0)
    x, y = rng.random((64, 4), np.float32), (rng.random((64, 3)) > 0.5).astype("float32")
    metrics = lambda M: [M.F1Score(threshold=0.5), M.FBetaScore(beta=2.0, average="macro", threshold=0.5),
                         M.R2Score()]
    m, k = _pair(keras, metrics)
    hm = m.fit(x, y, epochs=2, batch_size=16, shuffle=False, verbose=0).history
    hk = k.fit(x, y, epochs=2, batch_size=16, shuffle=False, verbose=0).history
    for key in hk:
        np.testing.assert_allclose(np.asarray(hm[key]), np.asarray(hk[key]), rtol=1e-5, atol=1e-6, err_msg=key)
    _close(m.evaluate(x, y, verbose=0, return_dict=True), k.evaluate(x, y, verbose=0, return_dict=True))
    _close(m.get_metrics_result(), k.get_metrics_result())       # the last evaluate's state, as Keras


def test_compute_metrics_eager_and_reset(keras):
    rng = np.random.default_rng(1)
    x, y = rng.random((32, 4), np.float32), rng.random((32, 1), np.float32)
    m, k = _pair(keras, lambda M: ["mae", M.RootMeanSquaredError()], loss="mse", units=1, activation=None)
    sw = rng.random(32).astype("float32")
    for model in (m, k):
        model.fit(x, y, epochs=1, verbose=0, shuffle=False)
        model.reset_metrics()
    pred = np.asarray(m.predict(x, verbose=0))
    _close(m.compute_metrics(x, y, pred, sw), k.compute_metrics(x, y, pred, sw))
    _close(m.compute_metrics(x, y, pred), k.compute_metrics(x, y, pred))      # accumulates, as Keras
    m.reset_metrics()
    assert m.get_metrics_result()["mae"] == 0.0


class ComputeMetricsStep(kxla.Model):
    """A JAX-style custom step that reports its metrics through compute_metrics."""

    def train_step(self, state, data):
        trainable, non_trainable, opt_vars, metric_vars = state
        x, y = data

        def loss_fn(trainable, non_trainable):
            y_pred, non_trainable = self.stateless_call(trainable, non_trainable, x, training=True)
            return self.compute_loss(x, y, y_pred), (y_pred, non_trainable)

        (loss, (y_pred, non_trainable)), grads = jax.value_and_grad(loss_fn, has_aux=True)(trainable, non_trainable)
        trainable, opt_vars = self.optimizer.stateless_apply(opt_vars, grads, trainable)
        logs = self.compute_metrics(x, y, y_pred)
        return logs, (trainable, non_trainable, opt_vars, metric_vars)


def test_compute_metrics_inside_a_custom_train_step():
    rng = np.random.default_rng(2)
    x, y = rng.random((64, 4), np.float32), rng.random((64, 1), np.float32)

    def make(cls):
        kxla.utils.set_random_seed(1)
        inp = kxla.Input((4,))
        model = cls(inp, kxla.layers.Dense(1)(inp))
        model.compile(optimizer=kxla.optimizers.SGD(0.1), loss="mse", metrics=["mae"])
        return model

    custom, builtin = make(ComputeMetricsStep), make(kxla.Model)
    hc = custom.fit(x, y, epochs=2, verbose=0, shuffle=False).history
    hb = builtin.fit(x, y, epochs=2, verbose=0, shuffle=False).history
    np.testing.assert_allclose(hc["mae"], hb["mae"], rtol=1e-6)
    np.testing.assert_allclose(custom.get_weights()[0], builtin.get_weights()[0], rtol=1e-6)
