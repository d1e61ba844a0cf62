"""kxla.losses against Keras 3 and numpy formulas: values, from_logits, label smoothing, sample weights,
reductions, masks, jit, and lookup by name."""
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from kxla import losses

EPS = 1e-7
B, C = 6, 4


def _data(seed=0):
    rng = np.random.default_rng(seed)
    logits = rng.normal(size=(B, C)).astype(np.float32) * 2
    probs = np.exp(logits) / np.exp(logits).sum(-1, keepdims=True)
    labels = rng.integers(0, C, size=(B,))
    onehot = np.eye(C, dtype=np.float32)[labels]
    bin_true = rng.integers(0, 2, size=(B, 3)).astype(np.float32)
    bin_logits = rng.normal(size=(B, 3)).astype(np.float32) * 2
    bin_probs = 1 / (1 + np.exp(-bin_logits))
    reg_true = rng.normal(size=(B, 3)).astype(np.float32) * 2
    reg_pred = rng.normal(size=(B, 3)).astype(np.float32) * 2
    weights = rng.uniform(0.1, 2.0, size=(B,)).astype(np.float32)
    return dict(logits=logits, probs=probs, labels=labels, onehot=onehot, bin_true=bin_true,
                bin_logits=bin_logits, bin_probs=bin_probs, reg_true=reg_true, reg_pred=reg_pred, weights=weights)


D = _data()

# (class name, kwargs, y_true key, y_pred key)
CASES = [
    ("CategoricalCrossentropy", {}, "onehot", "probs"),
    ("CategoricalCrossentropy", {"from_logits": True}, "onehot", "logits"),
    ("CategoricalCrossentropy", {"label_smoothing": 0.1}, "onehot", "probs"),
    ("CategoricalCrossentropy", {"from_logits": True, "label_smoothing": 0.2}, "onehot", "logits"),
    ("SparseCategoricalCrossentropy", {}, "labels", "probs"),
    ("SparseCategoricalCrossentropy", {"from_logits": True}, "labels", "logits"),
    ("SparseCategoricalCrossentropy", {"from_logits": True, "ignore_class": 2}, "labels", "logits"),
    ("BinaryCrossentropy", {}, "bin_true", "bin_probs"),
    ("BinaryCrossentropy", {"from_logits": True}, "bin_true", "bin_logits"),
    ("BinaryCrossentropy", {"label_smoothing": 0.1}, "bin_true", "bin_probs"),
    ("BinaryFocalCrossentropy", {"from_logits": True, "apply_class_balancing": True}, "bin_true", "bin_logits"),
    ("CategoricalFocalCrossentropy", {}, "onehot", "probs"),
    ("MeanSquaredError", {}, "reg_true", "reg_pred"),
    ("MeanAbsoluteError", {}, "reg_true", "reg_pred"),
    ("MeanAbsolutePercentageError", {}, "reg_true", "reg_pred"),
    ("MeanSquaredLogarithmicError", {}, "reg_true", "reg_pred"),
    ("Huber", {}, "reg_true", "reg_pred"),
    ("Huber", {"delta": 2.5}, "reg_true", "reg_pred"),
    ("LogCosh", {}, "reg_true", "reg_pred"),
    ("KLDivergence", {}, "onehot", "probs"),
    ("Poisson", {}, "bin_true", "bin_probs"),
    ("Hinge", {}, "bin_true", "bin_logits"),
    ("SquaredHinge", {}, "bin_true", "bin_logits"),
    ("CategoricalHinge", {}, "onehot", "logits"),
    ("CosineSimilarity", {}, "reg_true", "reg_pred"),
]


@pytest.mark.parametrize("name,kwargs,t,p", CASES, ids=[f"{c[0]}-{'-'.join(c[1])}" for c in CASES])
def test_loss_matches_keras(keras, name, kwargs, t, p):
    ours = getattr(losses, name)(**kwargs)
    theirs = getattr(keras.losses, name)(**kwargs)
    y_true, y_pred, w = D[t], D[p], D["weights"]
    assert ours.name == theirs.name
    np.testing.assert_allclose(ours(y_true, y_pred), np.asarray(theirs(y_true, y_pred)), rtol=2e-5, atol=1e-6)
    np.testing.assert_allclose(ours(y_true, y_pred, sample_weight=w),
                               np.asarray(theirs(y_true, y_pred, sample_weight=w)), rtol=2e-5, atol=1e-6)


def test_jitted_losses_match_eager():
    objs = [getattr(losses, name)(**kwargs) for name, kwargs, _, _ in CASES]

    def all_losses(data):
        return [obj(data[t], data[p], sample_weight=data["weights"]) for obj, (_, _, t, p) in zip(objs, CASES)]

    jitted = jax.jit(all_losses)(D)
    for obj, value, eager in zip(objs, jitted, all_losses(D)):
        np.testing.assert_allclose(value, eager, rtol=1e-5, atol=1e-7, err_msg=obj.name)


FUNCTIONS = ["categorical_crossentropy", "sparse_categorical_crossentropy", "binary_crossentropy",
             "mean_squared_error", "mean_absolute_error", "huber", "kl_divergence", "hinge", "cosine_similarity",
             "log_cosh", "poisson", "squared_hinge", "categorical_hinge", "mean_absolute_percentage_error",
             "mean_squared_logarithmic_error"]
FN_INPUTS = {"categorical_crossentropy": ("onehot", "probs"), "sparse_categorical_crossentropy": ("labels", "probs"),
             "binary_crossentropy": ("bin_true", "bin_probs"), "kl_divergence": ("onehot", "probs"),
             "hinge": ("bin_true", "bin_logits"), "squared_hinge": ("bin_true", "bin_logits"),
             "categorical_hinge": ("onehot", "logits"), "poisson": ("bin_true", "bin_probs")}


@pytest.mark.parametrize("fn", FUNCTIONS)
def test_per_sample_function_matches_keras(keras, fn):
    t, p = FN_INPUTS.get(fn, ("reg_true", "reg_pred"))
    ours = getattr(losses, fn)(D[t], D[p])
    theirs = np.asarray(getattr(keras.losses, fn)(D[t], D[p]))
    assert ours.shape == theirs.shape == (B,)
    np.testing.assert_allclose(ours, theirs, rtol=2e-5, atol=1e-6)


def test_main_losses_match_numpy():
    probs, logits, onehot, labels, w = D["probs"], D["logits"], D["onehot"], D["labels"], D["weights"]
    clipped = np.clip(probs / probs.sum(-1, keepdims=True), EPS, 1 - EPS)
    cce = -(onehot * np.log(clipped)).sum(-1)
    np.testing.assert_allclose(losses.CategoricalCrossentropy()(onehot, probs), cce.mean(), rtol=1e-5)
    np.testing.assert_allclose(losses.SparseCategoricalCrossentropy()(labels, probs), cce.mean(), rtol=1e-5)
    log_softmax = logits - np.log(np.exp(logits).sum(-1, keepdims=True))
    cce_logits = -(onehot * log_softmax).sum(-1)
    np.testing.assert_allclose(losses.CategoricalCrossentropy(from_logits=True)(onehot, logits, sample_weight=w),
                               (cce_logits * w).sum() / B, rtol=1e-5)
    bt, bp = D["bin_true"], np.clip(D["bin_probs"], EPS, 1 - EPS)
    bce = -(bt * np.log(bp) + (1 - bt) * np.log(1 - bp)).mean(-1)
    np.testing.assert_allclose(losses.BinaryCrossentropy()(bt, D["bin_probs"]), bce.mean(), rtol=1e-5)
    yt, yp = D["reg_true"], D["reg_pred"]
    np.testing.assert_allclose(losses.MeanSquaredError()(yt, yp), ((yt - yp) ** 2).mean(), rtol=1e-5)
    np.testing.assert_allclose(losses.MeanAbsoluteError()(yt, yp, sample_weight=w),
                               (np.abs(yt - yp).mean(-1) * w).sum() / B, rtol=1e-5)


@pytest.mark.parametrize("shape", ["flat", "column"])
@pytest.mark.parametrize("dtype", ["int32", "float32"])
def test_sparse_labels_any_shape_and_dtype(keras, shape, dtype):
    labels = D["labels"].astype(dtype)
    if shape == "column":
        labels = labels[:, None]
    ours = losses.SparseCategoricalCrossentropy(from_logits=True)
    want = np.asarray(keras.losses.SparseCategoricalCrossentropy(from_logits=True)(labels, D["logits"]))
    np.testing.assert_allclose(ours(labels, D["logits"]), want, rtol=1e-5)
    assert ours.per_sample(labels, D["logits"]).shape == (B,)


def test_binary_column_output_with_flat_labels(keras):
    y_true = np.array([0, 1, 1, 0], np.float32)
    y_pred = np.array([[0.1], [0.8], [0.4], [0.3]], np.float32)
    want = np.asarray(keras.losses.BinaryCrossentropy()(y_true, y_pred))
    np.testing.assert_allclose(losses.BinaryCrossentropy()(y_true, y_pred), want, rtol=1e-6)
    np.testing.assert_allclose(losses.get("binary_crossentropy")(y_true, y_pred), want, rtol=1e-6)


@pytest.mark.parametrize("reduction", ["sum", "none", "mean", "mean_with_sample_weight", None])
def test_reductions_match_keras(keras, reduction):
    yt, yp, w = D["reg_true"], D["reg_pred"], D["weights"]
    ours = losses.MeanSquaredError(reduction=reduction)
    theirs = keras.losses.MeanSquaredError(reduction=reduction)
    np.testing.assert_allclose(ours(yt, yp, sample_weight=w), np.asarray(theirs(yt, yp, sample_weight=w)),
                               rtol=1e-5)
    with pytest.raises(ValueError, match="reduction"):
        losses.MeanSquaredError(reduction="avg")


def test_mask_excludes_padded_samples():
    yt, yp = D["reg_true"], D["reg_pred"]
    mask = np.array([True, True, True, True, False, False])
    full = losses.MeanSquaredError()(yt[:4], yp[:4])
    np.testing.assert_allclose(losses.MeanSquaredError()(yt, yp, mask=mask), full, rtol=1e-6)
    w = D["weights"]
    np.testing.assert_allclose(losses.MeanSquaredError()(yt, yp, sample_weight=w, mask=mask),
                               losses.MeanSquaredError()(yt[:4], yp[:4], sample_weight=w[:4]), rtol=1e-6)


def test_get_resolves_names_aliases_and_functions(keras):
    yt, yp = D["reg_true"], D["reg_pred"]
    for name in ["mse", "MSE", "mean_squared_error", "MeanSquaredError"]:
        loss = losses.get(name)
        assert isinstance(loss, losses.Loss)
        np.testing.assert_allclose(loss(yt, yp), np.mean(np.asarray(keras.losses.get(name)(yt, yp))), rtol=1e-6)
    assert losses.get("mse").name == "mse"
    assert losses.get("MeanSquaredError").name == "mean_squared_error"
    assert losses.get("mae").fn is losses.mean_absolute_error
    assert losses.get("categorical_crossentropy").fn is losses.categorical_crossentropy
    assert losses.get("sparse_categorical_crossentropy").name == "sparse_categorical_crossentropy"
    assert losses.get(None) is None
    inst = losses.Huber(delta=2.0)
    assert losses.get(inst) is inst
    assert isinstance(losses.get(losses.Huber), losses.Huber)
    again = losses.get(losses.serialize(losses.CategoricalCrossentropy(from_logits=True, label_smoothing=0.1)))
    assert again.from_logits is True and again.label_smoothing == 0.1
    keras_cfg = {"class_name": "SparseCategoricalCrossentropy",
                 "config": keras.losses.SparseCategoricalCrossentropy(from_logits=True).get_config()}
    assert losses.get(keras_cfg).from_logits is True


def test_custom_function_loss():
    def my_loss(y_true, y_pred):
        return jnp.mean(jnp.abs(y_true - y_pred) ** 3, axis=-1)

    loss = losses.get(my_loss)
    assert isinstance(loss, losses.LossFunctionWrapper) and loss.name == "my_loss"
    yt, yp, w = D["reg_true"], D["reg_pred"], D["weights"]
    want = (np.mean(np.abs(yt - yp) ** 3, -1) * w).sum() / B
    np.testing.assert_allclose(loss(yt, yp, sample_weight=w), want, rtol=1e-5)
    np.testing.assert_allclose(jax.jit(loss)(yt, yp), np.mean(np.abs(yt - yp) ** 3), rtol=1e-5)


def test_auto_crossentropy_picks_by_shape(keras):
    ce = losses.get("crossentropy")
    np.testing.assert_allclose(ce(D["labels"], D["probs"]),
                               losses.SparseCategoricalCrossentropy()(D["labels"], D["probs"]), rtol=1e-6)
    np.testing.assert_allclose(ce(D["onehot"], D["probs"]),
                               losses.CategoricalCrossentropy()(D["onehot"], D["probs"]), rtol=1e-6)
    col_t, col_p = D["bin_true"][:, :1], D["bin_probs"][:, :1]
    np.testing.assert_allclose(ce(col_t, col_p), losses.BinaryCrossentropy()(col_t, col_p), rtol=1e-6)


def test_unknown_loss_did_you_mean():
    with pytest.raises(ValueError, match=r"Unknown loss 'categorical_crossentropi'\. "
                                         r"Did you mean 'categorical_crossentropy'\?.*Valid names: "):
        losses.get("categorical_crossentropi")
    with pytest.raises(ValueError, match="Did you mean 'mse'"):
        losses.get("msee")
    with pytest.raises(ValueError, match="Could not interpret"):
        losses.get(42)


def test_gradients_are_finite_at_saturated_probabilities():
    y_true = jnp.array([[1.0, 0.0], [0.0, 1.0]])
    y_pred = jnp.array([[1.0, 0.0], [1.0, 0.0]])
    grad = jax.jit(jax.grad(lambda p: losses.CategoricalCrossentropy()(y_true, p)))(y_pred)
    assert np.all(np.isfinite(grad))
    value = losses.CategoricalCrossentropy()(y_true, y_pred)
    np.testing.assert_allclose(value, -np.log(EPS) / 2, rtol=1e-4)
