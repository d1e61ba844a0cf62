"""The functional metric protocol, Keras-style custom metrics under jax.jit, and metric lookup / naming."""
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from kxla import losses, metrics


class BinaryTruePositives(metrics.Metric):
    """The Keras 3 guide's custom metric, written with jax.numpy."""

    def __init__(self, name="binary_true_positives", **kwargs):
        super().__init__(name=name, **kwargs)
        self.true_positives = self.add_variable(shape=(), initializer="zeros", name="tp")

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_true = jnp.asarray(y_true).astype(bool)
        y_pred = jnp.asarray(y_pred) > 0.5
        values = jnp.logical_and(y_true, y_pred).astype(self.dtype)
        if sample_weight is not None:
            values = values * jnp.asarray(sample_weight, self.dtype)
        self.true_positives.assign(self.true_positives + jnp.sum(values))

    def result(self):
        return self.true_positives.value


class TPRate(BinaryTruePositives):
    """Subclass of a subclass with a sub-metric; its result() calls super().result()."""

    def __init__(self):
        super().__init__(name="tp_rate")
        self.seen = metrics.Sum(name="seen")

    def update_state(self, y_true, y_pred, sample_weight=None):
        super().update_state(y_true, y_pred, sample_weight)
        self.seen.update_state(jnp.ones(jnp.shape(y_true)[0]))

    def result(self):
        return super().result() / self.seen.result()


Y_TRUE = [np.array([1, 0, 1, 1], np.float32), np.array([0, 1, 1, 0], np.float32)]
Y_PRED = [np.array([0.9, 0.8, 0.2, 0.7], np.float32), np.array([0.1, 0.6, 0.9, 0.4], np.float32)]
W = [np.array([1.0, 2.0, 3.0, 0.5], np.float32), np.array([2.0, 1.0, 1.0, 1.0], np.float32)]


def test_custom_metric_eager_and_jitted():
    m = BinaryTruePositives()
    for yt, yp, w in zip(Y_TRUE, Y_PRED, W):
        m.update_state(yt, yp, sample_weight=w)
    assert float(m.result()) == pytest.approx(1.0 + 0.5 + 1.0 + 1.0)

    f = BinaryTruePositives()
    state = f.init()
    assert set(state) == {"tp"}
    update = jax.jit(f.update)
    for yt, yp, w in zip(Y_TRUE, Y_PRED, W):
        state = update(state, yt, yp, sample_weight=w)
    assert float(jax.jit(f.result)(state)) == pytest.approx(3.5)
    assert float(f.result()) == 0.0            # eager variables untouched by the functional path
    assert float(f.true_positives) == 0.0
    f.set_state(state)
    assert float(f.result()) == pytest.approx(3.5)
    assert float(f.get_state()["tp"]) == pytest.approx(3.5)
    f.reset_state()
    assert float(f.result()) == 0.0
    assert float(f(Y_TRUE[0], Y_PRED[0])) == pytest.approx(2.0)   # __call__ = update_state + result


def test_submetrics_and_super_result_under_jit():
    m = TPRate()
    state = m.init()
    assert set(state) == {"tp", "seen/total"}

    @jax.jit
    def run(state):
        for yt, yp in zip(Y_TRUE, Y_PRED):
            state = m.update(state, yt, yp)
        return state, m.result(state)

    state, value = run(state)
    assert float(value) == pytest.approx(4 / 8)
    eager = TPRate()
    for yt, yp in zip(Y_TRUE, Y_PRED):
        eager.update_state(yt, yp)
    assert float(eager.result()) == pytest.approx(4 / 8)


def test_functional_state_is_a_pytree_of_arrays_and_stays_pure():
    m = metrics.AUC(num_thresholds=5)
    state = m.init()
    assert set(state) == {"true_positives", "false_positives", "true_negatives", "false_negatives"}
    assert all(v.shape == (5,) for v in state.values())
    new = jax.jit(m.update)(state, Y_TRUE[0], Y_PRED[0])
    assert float(jnp.sum(state["true_positives"])) == 0.0
    assert float(jnp.sum(new["true_positives"])) > 0
    # A failing update restores the variables (no tracer leaks into the eager metric).
    with pytest.raises(Exception):
        jax.jit(m.update)(state, Y_TRUE[0], np.zeros((3, 3, 3, 3)))
    assert isinstance(m.true_positives.value, jax.Array)
    m.update_state(Y_TRUE[0], Y_PRED[0])
    np.testing.assert_allclose(m.true_positives.numpy(), new["true_positives"])


def test_metric_variable_arithmetic():
    m = metrics.Mean()
    m.total.assign(6.0)
    m.count.assign_add(2.0)
    assert float(m.total / m.count) == 3.0
    assert float(1 + m.total) == 7.0 and float(m.total - 1) == 5.0 and float(-m.total) == -6.0
    assert float(jnp.asarray(m.total)) == 6.0 and float(m.total.value) == 6.0
    assert np.asarray(m.total) == 6.0
    m.total.assign_sub(1.0)
    assert float(m.result()) == 2.5
    with pytest.raises(ValueError, match="Cannot assign"):
        m.total.assign(np.ones(3))
    with pytest.raises(RuntimeError, match="super"):
        class Broken(metrics.Metric):
            def __init__(self):
                self.x = self.add_variable(shape=())
        Broken()


# ----------------------------------------------------------------------------- lookup and naming
@pytest.mark.parametrize("loss,expected", [
    ("sparse_categorical_crossentropy", metrics.SparseCategoricalAccuracy),
    (losses.SparseCategoricalCrossentropy(from_logits=True), metrics.SparseCategoricalAccuracy),
    ("categorical_crossentropy", metrics.CategoricalAccuracy),
    (losses.CategoricalCrossentropy(), metrics.CategoricalAccuracy),
    (losses.categorical_crossentropy, metrics.CategoricalAccuracy),
    ("binary_crossentropy", metrics.BinaryAccuracy),
    (losses.get("bce"), metrics.BinaryAccuracy),
    (losses.BinaryCrossentropy(from_logits=True), metrics.BinaryAccuracy),
    ("mse", metrics.AutoAccuracy),
    (None, metrics.AutoAccuracy),
])
@pytest.mark.parametrize("identifier", ["accuracy", "acc"])
def test_accuracy_resolved_from_loss(loss, expected, identifier):
    m = metrics.get(identifier, loss=loss)
    assert type(m) is expected and m.name == identifier


SHAPES = [((8,), (8, 5)), ((8, 1), (8, 5)), ((8, 5), (8, 5)), ((8, 1), (8, 1)), ((8,), (8, 1)),
          ((8, 3), (8, 3)), ((8, 7, 1), (8, 7, 4))]


@pytest.mark.parametrize("target_shape,output_shape", SHAPES)
def test_accuracy_from_shapes_follows_keras3_compile(keras, target_shape, output_shape):
    from keras.src.trainers.compile_utils import get_metric
    theirs = get_metric("accuracy", np.zeros(target_shape), np.zeros(output_shape))
    ours = metrics.get("accuracy", output_shape=output_shape, target_shape=target_shape)
    assert type(ours).__name__ == type(theirs).__name__
    # AutoAccuracy decides from the actual arrays the same way, under jit too.
    rng = np.random.default_rng(0)
    y_pred = rng.uniform(size=output_shape).astype(np.float32)
    y_true = rng.integers(0, 2 if output_shape[-1] == 1 else output_shape[-1], size=target_shape)
    if type(theirs).__name__ == "CategoricalAccuracy":
        y_true = np.eye(output_shape[-1], dtype=np.float32)[rng.integers(0, output_shape[-1], target_shape[:-1])]
    y_true = y_true.astype(np.float32)
    auto = metrics.get("accuracy")
    value = jax.jit(lambda: auto.result(auto.update(auto.init(), y_true, y_pred)))()
    theirs.update_state(y_true, y_pred)
    np.testing.assert_allclose(value, np.asarray(theirs.result()), rtol=1e-6)


def test_accuracy_from_output_shape_and_loss():
    get = metrics.get
    assert type(get("accuracy", loss="mse", output_shape=(None, 1))) is metrics.BinaryAccuracy
    assert type(get("accuracy", loss="sparse_categorical_crossentropy", output_shape=(None, 10))) \
        is metrics.SparseCategoricalAccuracy
    assert type(get("accuracy", loss="binary_crossentropy", output_shape=(None, 4))) is metrics.CategoricalAccuracy
    assert type(get("accuracy", loss="mse", output_shape=(None, 4))) is metrics.AutoAccuracy
    assert type(get("accuracy", output_shape=(None, 4), target_shape=(None,))) is metrics.SparseCategoricalAccuracy


def test_get_names_and_types():
    cases = {"mse": metrics.MeanSquaredError, "mae": metrics.MeanAbsoluteError,
             "mean_squared_error": metrics.MeanSquaredError, "auc": metrics.AUC, "AUC": metrics.AUC,
             "precision": metrics.Precision, "recall": metrics.Recall,
             "top_k_categorical_accuracy": metrics.TopKCategoricalAccuracy,
             "sparse_top_k_categorical_accuracy": metrics.SparseTopKCategoricalAccuracy,
             "binary_accuracy": metrics.BinaryAccuracy, "categorical_crossentropy": metrics.CategoricalCrossentropy,
             "Precision": metrics.Precision}
    for name, cls in cases.items():
        m = metrics.get(name)
        assert type(m) is cls and m.name == name
    assert metrics.Precision().name == "precision" and metrics.AUC().name == "auc"
    inst = metrics.AUC(name="my_auc")
    assert metrics.get(inst) is inst and inst.name == "my_auc"
    assert metrics.get(None) is None
    assert type(metrics.get(metrics.Recall)) is metrics.Recall
    again = metrics.get(metrics.serialize(metrics.TopKCategoricalAccuracy(k=3, name="top3")))
    assert again.k == 3 and again.name == "top3"
    wrapped = metrics.get(losses.huber)
    assert isinstance(wrapped, metrics.MeanMetricWrapper) and wrapped.name == "huber"
    assert wrapped.direction == "down" and metrics.AUC().direction == "up"


def test_unknown_metric_did_you_mean():
    with pytest.raises(ValueError, match=r"Unknown metric 'precison'\. Did you mean 'precision'\?.*Valid names: "):
        metrics.get("precison")
    with pytest.raises(ValueError, match="Did you mean 'mae'"):
        metrics.get("maee")
    with pytest.raises(ValueError, match="Could not interpret"):
        metrics.get(3.5)
    with pytest.raises(ValueError, match="num_labels"):
        metrics.AUC(multi_label=True)
