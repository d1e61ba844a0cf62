"""kxla.metrics against Keras 3 over several batches (eager API) and the jitted functional API."""
import jax
import numpy as np
import pytest

from kxla import metrics

B, C, N_BATCHES = 8, 5, 3


def _batches(kind, seed=0, weighted=False):
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(N_BATCHES):
        w = rng.uniform(0.0, 2.0, size=(B,)).astype(np.float32) if weighted else None
        if kind == "sparse":
            logits = rng.normal(size=(B, C)).astype(np.float32)
            yp = np.exp(logits) / np.exp(logits).sum(-1, keepdims=True)
            yt = rng.integers(0, C, size=(B,)).astype(np.int32)
        elif kind == "sparse_col":
            yp = rng.uniform(size=(B, C)).astype(np.float32)
            yt = rng.integers(0, C, size=(B, 1)).astype(np.float32)
        elif kind == "onehot":
            logits = rng.normal(size=(B, C)).astype(np.float32)
            yp = np.exp(logits) / np.exp(logits).sum(-1, keepdims=True)
            yt = np.eye(C, dtype=np.float32)[rng.integers(0, C, size=(B,))]
        elif kind == "binary":
            yp = rng.uniform(size=(B, 1)).astype(np.float32)
            yt = rng.integers(0, 2, size=(B, 1)).astype(np.float32)
        elif kind == "multilabel":
            yp = rng.uniform(size=(B, 3)).astype(np.float32)
            yt = rng.integers(0, 2, size=(B, 3)).astype(np.float32)
        elif kind == "regression":
            yp = rng.normal(size=(B, 3)).astype(np.float32)
            yt = rng.normal(size=(B, 3)).astype(np.float32)
        elif kind == "positive":
            yp = rng.uniform(0.1, 2.0, size=(B, 3)).astype(np.float32)
            yt = rng.uniform(0.1, 2.0, size=(B, 3)).astype(np.float32)
        elif kind == "exact":
            yp = rng.integers(0, 3, size=(B, 2)).astype(np.float32)
            yt = rng.integers(0, 3, size=(B, 2)).astype(np.float32)
        out.append((yt, yp, w))
    return out


# (class name, kwargs, data kind, weighted). The eager API is checked on the first case of each class
# but AUC (eager updates run op by op and are slow to test; eager == functional is generic code, and
# test_metric_protocol checks it on AUC).
CASES = [
    ("Accuracy", {}, "exact", True),
    ("BinaryAccuracy", {}, "binary", True),
    ("BinaryAccuracy", {"threshold": 0.7}, "multilabel", False),
    ("CategoricalAccuracy", {}, "onehot", True),
    ("SparseCategoricalAccuracy", {}, "sparse", True),
    ("SparseCategoricalAccuracy", {}, "sparse_col", False),
    ("TopKCategoricalAccuracy", {"k": 2}, "onehot", True),
    ("TopKCategoricalAccuracy", {}, "onehot", False),
    ("SparseTopKCategoricalAccuracy", {"k": 2}, "sparse", True),
    ("MeanSquaredError", {}, "regression", True),
    ("MeanAbsoluteError", {}, "regression", False),
    ("RootMeanSquaredError", {}, "regression", True),
    ("MeanAbsolutePercentageError", {}, "positive", False),
    ("MeanSquaredLogarithmicError", {}, "positive", False),
    ("BinaryCrossentropy", {}, "multilabel", True),
    ("CategoricalCrossentropy", {"label_smoothing": 0.1}, "onehot", False),
    ("SparseCategoricalCrossentropy", {}, "sparse", True),
    ("Precision", {}, "binary", True),
    ("Precision", {"thresholds": [0.3, 0.5, 0.8]}, "multilabel", False),
    ("Precision", {"top_k": 2}, "onehot", False),
    ("Recall", {}, "binary", True),
    ("Recall", {"class_id": 1}, "multilabel", False),
    ("TruePositives", {}, "binary", True),
    ("FalseNegatives", {"thresholds": [0.2, 0.6]}, "binary", False),
    ("AUC", {}, "multilabel", True),
    ("AUC", {"curve": "PR"}, "binary", True),
    ("AUC", {"curve": "PRGAIN", "summation_method": "minoring", "num_thresholds": 50}, "binary", False),
    ("AUC", {"curve": "PR", "summation_method": "majoring", "thresholds": [0.1, 0.35, 0.5, 0.9]}, "binary", True),
    ("AUC", {"multi_label": True, "num_labels": 3, "label_weights": [1.0, 0.5, 2.0]}, "multilabel", False),
]


def _stack(batches):
    """(y_true, y_pred, sample_weight or None) stacked over batches, for one lax.scan over them."""
    yt, yp, w = zip(*batches)
    return np.stack(yt), np.stack(yp), None if w[0] is None else np.stack(w)


def _keras_value(keras, name, kwargs, batches):
    """Keras 3's result after all batches, through its stateless API in one jitted scan (fast to run)."""
    m = getattr(keras.metrics, name)(**kwargs)

    def run(stacked):
        def step(state, batch):
            yt, yp, w = batch
            return m.stateless_update_state(state, yt, yp, sample_weight=w), None
        state, _ = jax.lax.scan(step, [v.value for v in m.variables], stacked)
        return m.stateless_result(state)

    return np.asarray(jax.jit(run)(_stack(batches)))


def _functional_value(metric, batches):
    """kxla's functional protocol (init / update / result(state)) in one jitted scan over the batches."""
    def run(stacked):
        def step(state, batch):
            yt, yp, w = batch
            return metric.update(state, yt, yp, sample_weight=w), None
        state, _ = jax.lax.scan(step, metric.init(), stacked)
        return metric.result(state)

    return np.asarray(jax.jit(run)(_stack(batches)))


EAGER_CASES = {min(i for i, c in enumerate(CASES) if c[0] == name) for name, *_ in CASES if name != "AUC"}


@pytest.mark.parametrize("name,kwargs,kind,weighted", CASES,
                         ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_metric_matches_keras_eager_and_jitted(keras, name, kwargs, kind, weighted):
    batches = _batches(kind, weighted=weighted)
    want = _keras_value(keras, name, kwargs, batches)

    if CASES.index((name, kwargs, kind, weighted)) in EAGER_CASES:
        eager = getattr(metrics, name)(**kwargs)
        for yt, yp, w in batches:
            eager.update_state(yt, yp, sample_weight=w)
        np.testing.assert_allclose(eager.result(), want, rtol=1e-5, atol=1e-6)
        eager.reset_state()
        np.testing.assert_allclose(eager.result(), 0.0)

    functional = getattr(metrics, name)(**kwargs)
    np.testing.assert_allclose(_functional_value(functional, batches), want, rtol=1e-5, atol=1e-6)
    # The functional path leaves the eager variables untouched.
    assert all(float(np.sum(np.abs(v.numpy()))) == 0.0 for v in functional.variables)


def test_auc_from_logits_and_roc_numpy():
    rng = np.random.default_rng(3)
    logits = rng.normal(size=(64,)).astype(np.float32) * 3
    labels = (rng.uniform(size=64) < 1 / (1 + np.exp(-logits))).astype(np.float32)
    probs = 1 / (1 + np.exp(-logits))

    def auc(metric, y_pred):
        return metric.result(metric.update(metric.init(), labels, y_pred))

    np.testing.assert_allclose(jax.jit(lambda: auc(metrics.AUC(from_logits=True), logits))(),
                               jax.jit(lambda: auc(metrics.AUC(), probs))(), rtol=1e-6)
    # With many thresholds, the interpolated ROC AUC approaches the exact rank statistic.
    pos, neg = probs[labels == 1], probs[labels == 0]
    exact = np.mean((pos[:, None] > neg[None, :]) + 0.5 * (pos[:, None] == neg[None, :]))
    fine = jax.jit(lambda: auc(metrics.AUC(num_thresholds=2000), probs))()
    assert float(fine) == pytest.approx(exact, abs=2e-3)


def test_mean_and_sum_match_keras(keras):
    rng = np.random.default_rng(0)
    values = [rng.normal(size=(4, 3)).astype(np.float32) for _ in range(3)]
    weights = [rng.uniform(size=(4,)).astype(np.float32) for _ in range(3)]
    for cls in ("Mean", "Sum"):
        ours, theirs = getattr(metrics, cls)(), getattr(keras.metrics, cls)()
        state = ours.init()
        for v, w in zip(values, weights):
            ours.update_state(v, sample_weight=w)
            theirs.update_state(v, sample_weight=w)
            state = jax.jit(ours.update)(state, v, sample_weight=w)
        np.testing.assert_allclose(ours.result(), np.asarray(theirs.result()), rtol=1e-6)
        np.testing.assert_allclose(ours.result(state), np.asarray(theirs.result()), rtol=1e-6)
        assert ours.name == theirs.name
    m = metrics.Mean()
    m.update_state(3.0)
    m.update_state(np.array([1.0, 2.0]))
    assert float(m.result()) == pytest.approx(2.0)


def test_mean_metric_wrapper_with_plain_function(keras):
    def mean_cubed_error(y_true, y_pred):
        import jax.numpy as jnp
        return jnp.mean(jnp.abs(y_true - y_pred) ** 3, axis=-1)

    ours = metrics.get(mean_cubed_error)
    assert isinstance(ours, metrics.MeanMetricWrapper) and ours.name == "mean_cubed_error"
    theirs = keras.metrics.MeanMetricWrapper(mean_cubed_error)
    state = ours.init()
    for yt, yp, w in _batches("regression", weighted=True):
        state = jax.jit(ours.update)(state, yt, yp, sample_weight=w)
        theirs.update_state(yt, yp, sample_weight=w)
    np.testing.assert_allclose(ours.result(state), np.asarray(theirs.result()), rtol=1e-5)
