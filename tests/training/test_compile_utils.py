"""One loss path: evaluate / fit losses and metrics equal Keras 3's on identical models, weights and data
(ignore_class, reduction="sum", weighted_metrics, class_weight, sample_weight, multi-label accuracy,
multi-output loss weights, ragged last batches)."""
import numpy as np
import pytest

import kxla
from kxla import layers


def _pair(keras, units, in_dim=6, activation=None, seed=0):
    """The same 2-layer MLP in kxla and Keras with identical weights."""
    kx = kxla.Sequential([layers.Dense(8, activation="relu", input_shape=(in_dim,)),
                          layers.Dense(units, activation=activation)])
    ke = keras.Sequential([keras.Input((in_dim,)), keras.layers.Dense(8, activation="relu"),
                           keras.layers.Dense(units, activation=activation)])
    rng = np.random.default_rng(seed)
    weights = [rng.normal(size=w.shape).astype("float32") * 0.5 for w in ke.get_weights()]
    kx.set_weights(weights)
    ke.set_weights(weights)
    return kx, ke


def _close(a: dict, b: dict, rtol=1e-5):
    assert set(a) == set(b), (sorted(a), sorted(b))
    for k in a:
        np.testing.assert_allclose(a[k], b[k], rtol=rtol, atol=1e-6, err_msg=k)


def _data(n=37, in_dim=6, seed=1):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, in_dim)).astype("float32")


CASES = {
    "sparse_ignore_class": dict(units=4, loss=lambda m: m.losses.SparseCategoricalCrossentropy(
        from_logits=True, ignore_class=0), y=lambda r, n: r.integers(0, 4, n), metrics=["accuracy"]),
    "reduction_sum": dict(units=3, loss=lambda m: m.losses.MeanSquaredError(reduction="sum"),
                          y=lambda r, n: r.normal(size=(n, 3)).astype("float32"), metrics=["mae"]),
    "multilabel_accuracy": dict(units=5, activation="sigmoid", loss=lambda m: "binary_crossentropy",
                                y=lambda r, n: r.integers(0, 2, (n, 5)).astype("float32"),
                                metrics=["accuracy"]),
    "weighted_metrics": dict(units=4, loss=lambda m: m.losses.SparseCategoricalCrossentropy(from_logits=True),
                             y=lambda r, n: r.integers(0, 4, n), metrics=["accuracy"],
                             weighted_metrics=["accuracy"], sample_weight=True),
    "mean_with_sample_weight": dict(units=2, loss=lambda m: m.losses.MeanAbsoluteError(
        reduction="mean_with_sample_weight"), y=lambda r, n: r.normal(size=(n, 2)).astype("float32"),
        sample_weight=True, weighted_metrics=["mse"]),
}


def _compile(model, mod, case):
    model.compile(optimizer=mod.optimizers.SGD(0.05), loss=case["loss"](mod), metrics=case.get("metrics"),
                  weighted_metrics=case.get("weighted_metrics"))


FAST = {"sparse_ignore_class", "multilabel_accuracy", "weighted_metrics"}


@pytest.mark.parametrize("name", [n if n in FAST else pytest.param(n, marks=pytest.mark.slow)
                                  for n in sorted(CASES)])
def test_evaluate_and_fit_match_keras(keras, name):
    case = CASES[name]
    kx, ke = _pair(keras, case["units"], activation=case.get("activation"))
    rng = np.random.default_rng(2)
    x = _data()
    y = case["y"](rng, len(x))
    sw = rng.uniform(0.1, 2.0, len(x)).astype("float32") if case.get("sample_weight") else None
    _compile(kx, kxla, case)
    _compile(ke, keras, case)
    got = kx.evaluate(x, y, sample_weight=sw, batch_size=16, verbose=0, return_dict=True)
    want = ke.evaluate(x, y, sample_weight=sw, batch_size=16, verbose=0, return_dict=True)
    _close(got, want)
    h1 = kx.fit(x, y, sample_weight=sw, batch_size=16, epochs=2, verbose=0, shuffle=False).history
    h2 = ke.fit(x, y, sample_weight=sw, batch_size=16, epochs=2, verbose=0, shuffle=False).history
    _close({k: v[-1] for k, v in h1.items()}, {k: v[-1] for k, v in h2.items()}, rtol=2e-4)


@pytest.mark.slow
def test_class_weight_matches_keras(keras):
    kx, ke = _pair(keras, 3)
    x = _data()
    y = np.random.default_rng(3).integers(0, 3, len(x))
    for m, mod in ((kx, kxla), (ke, keras)):
        m.compile(optimizer=mod.optimizers.SGD(0.05),
                  loss=mod.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"], weighted_metrics=["accuracy"])
    cw = {0: 1.0, 1: 3.0, 2: 0.5}
    h1 = kx.fit(x, y, class_weight=cw, batch_size=16, epochs=2, verbose=0, shuffle=False).history
    h2 = ke.fit(x, y, class_weight=cw, batch_size=16, epochs=2, verbose=0, shuffle=False).history
    _close({k: v[-1] for k, v in h1.items()}, {k: v[-1] for k, v in h2.items()}, rtol=2e-4)


def test_multi_output_loss_weights_and_names_match_keras(keras):
    def build(mod):
        inp = mod.Input((6,))
        h = mod.layers.Dense(8, activation="relu", name="h")(inp)
        a = mod.layers.Dense(3, name="a")(h)
        b = mod.layers.Dense(1, activation="sigmoid", name="b")(h)
        return mod.Model(inp, [a, b])
    kx, ke = build(kxla), build(keras)
    kx.set_weights(ke.get_weights())
    x = _data()
    rng = np.random.default_rng(4)
    ys = [rng.normal(size=(len(x), 3)).astype("float32"), rng.integers(0, 2, (len(x), 1)).astype("float32")]
    for m, mod in ((kx, kxla), (ke, keras)):
        m.compile(optimizer=mod.optimizers.SGD(0.05), loss=["mse", "binary_crossentropy"],
                  loss_weights=[0.3, 2.0], metrics=[["mae"], ["accuracy"]])
    _close(kx.evaluate(x, ys, batch_size=16, verbose=0, return_dict=True),
           ke.evaluate(x, ys, batch_size=16, verbose=0, return_dict=True))


def test_compile_argument_errors():
    model, _ = None, None
    model = kxla.Sequential([layers.Dense(2, input_shape=(3,))])
    with pytest.raises(ValueError, match="loss_weights"):
        model.compile(loss="mse", loss_weights="abc")
    with pytest.raises(ValueError, match="metrics"):
        model.compile(loss="mse", metrics="mae")
    with pytest.raises(ValueError, match="jit_compile"):
        model.compile(loss="mse", jit_compile=False)
    with pytest.raises(ValueError, match="jit_compile"):
        model.compile(loss="mse", jit_compile="yes")


def test_auto_scale_loss_false_turns_off_loss_scaling():
    kxla.config.set_dtype_policy("mixed_float16")
    try:
        model = kxla.Sequential([layers.Dense(2, input_shape=(3,))])
    finally:
        kxla.config.set_dtype_policy("float32")
    model.compile(loss="mse")
    assert model._loss_scaling()
    model.compile(loss="mse", auto_scale_loss=False)
    assert not model._loss_scaling()


def test_sequence_ignore_class_with_padded_batch_matches_keras(keras):
    """Per-timestep sparse labels with ignore_class: the padding mask and the class mask combine."""
    def build(mod):
        return mod.Sequential([mod.Input((5, 3)), mod.layers.Dense(4)])
    kx, ke = build(kxla), build(keras)
    kx.set_weights([np.asarray(w) for w in ke.get_weights()])
    rng = np.random.default_rng(5)
    x = rng.normal(size=(11, 5, 3)).astype("float32")
    y = rng.integers(0, 4, (11, 5))
    for m, mod in ((kx, kxla), (ke, keras)):
        m.compile(loss=mod.losses.SparseCategoricalCrossentropy(from_logits=True, ignore_class=2))
    np.testing.assert_allclose(kx.evaluate(x, y, batch_size=4, verbose=0),
                               ke.evaluate(x, y, batch_size=4, verbose=0), rtol=1e-5)
