"""A model's own ``train_step`` / ``test_step`` gets every variable of the model, as Keras hands them,
including weights its graph never reads (a distiller's teacher); ``evaluate``'s list follows
``model.metrics``; a batch without labels reaches the step as ``(x,)``."""
import jax
import numpy as np

import kxla


class _WithSpare(kxla.Model):
    """Trains ``dense``; ``spare`` (frozen, outside ``call``) shifts the loss through the step's state."""

    def __init__(self):
        super().__init__()
        self.dense = kxla.layers.Dense(1, name="main_dense")
        self.spare = kxla.layers.Dense(1, name="spare_dense", trainable=False)
        self.spare.build((None, 3))
        self.tracker = kxla.metrics.Mean(name="a_loss")
        self.seen = []

    def call(self, x):
        return self.dense(x)

    def _loss(self, trainable, non_trainable, x, y):
        names = [v.ir_name for v in self.trainable_variables] + [v.ir_name for v in self.non_trainable_variables]
        values = dict(zip(names, list(trainable) + list(non_trainable)))
        pred, _ = self.stateless_call({k: values[k] for k in ("main_dense.kernel", "main_dense.bias")}, {}, x)
        shift = x @ values["spare_dense.kernel"] + values["spare_dense.bias"]
        return jax.numpy.mean((pred + shift - (0.0 if y is None else y)) ** 2)

    def train_step(self, state, data):
        trainable, non_trainable, opt, metric_values = state
        self.seen.append(len(data))
        x, y = data[0], (data[1] if len(data) > 1 else None)
        loss, grads = jax.value_and_grad(self._loss)(trainable, non_trainable, x, y)
        trainable, opt = self.optimizer.stateless_apply(opt, grads, trainable)
        metric_values = self.tracker.stateless_update_state(metric_values, loss)
        return {"a_loss": self.tracker.stateless_result(metric_values)}, (trainable, non_trainable, opt, metric_values)

    def test_step(self, state, data):
        trainable, non_trainable, metric_values = state
        loss = self._loss(trainable, non_trainable, data[0], data[1])
        metric_values = self.tracker.stateless_update_state(metric_values, loss)
        value = self.tracker.stateless_result(metric_values)
        return {"z_first": value, "a_loss": value, "b_extra": 2 * value}, (trainable, non_trainable, metric_values)

    @property
    def metrics(self):
        return [self.tracker]


def test_custom_steps_see_variables_outside_the_graph():
    model = _WithSpare()
    x = np.random.default_rng(0).random((8, 3)).astype("float32")
    y = x.sum(axis=1, keepdims=True)
    assert [v.path for v in model.non_trainable_variables] == ["spare_dense/kernel", "spare_dense/bias"]
    model.compile(optimizer="sgd")
    spare = [w.copy() for w in model.spare.get_weights()]
    history = model.fit(x, y, batch_size=8, epochs=2, verbose=0).history
    assert history["a_loss"][1] < history["a_loss"][0]
    for a, b in zip(spare, model.spare.get_weights()):          # frozen: handed in and back unchanged
        np.testing.assert_array_equal(a, b)
    expected = float(model._loss([v.value for v in model.trainable_variables],
                                 [v.value for v in model.non_trainable_variables], x, y))
    results = model.evaluate(x, y, verbose=0)
    assert results[0] == results[2] != results[1]                # metrics' order first, then sorted
    np.testing.assert_allclose(results[0], expected, rtol=1e-5)
    assert list(model.evaluate(x, y, verbose=0, return_dict=True)) == ["a_loss", "b_extra", "z_first"]
    model.fit(x, batch_size=8, epochs=1, verbose=0)
    assert model.seen[-1] == 1                                   # (x,) without labels, as Keras
