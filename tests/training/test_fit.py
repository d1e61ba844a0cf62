"""compile / fit / evaluate / predict: update rules, gradients, masking of ragged batches, logs, errors."""
import subprocess
import sys

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import kxla
from kxla import layers
from kxla.lowering import lower
from kxla.testing import assert_max_compiles


def linear_model(units=2, inputs=3):
    model = kxla.Sequential([layers.Dense(units, input_shape=(inputs,))])
    rng = np.random.default_rng(0)
    model.set_weights([rng.normal(size=(inputs, units)).astype("float32"),
                       rng.normal(size=(units,)).astype("float32")])
    return model


def mse_grads(w, b, x, y):
    err = x @ w + b - y
    scale = 2.0 / err.size
    return x.T @ err * scale, err.sum(0) * scale


def test_one_sgd_momentum_step_matches_numpy():
    model = linear_model()
    w, b = model.get_weights()
    rng = np.random.default_rng(1)
    x, y = rng.normal(size=(8, 3)).astype("float32"), rng.normal(size=(8, 2)).astype("float32")
    model.compile(kxla.optimizers.SGD(learning_rate=0.1, momentum=0.9), "mse")
    loss = model.train_on_batch(x, y)
    gw, gb = mse_grads(w, b, x, y)
    assert loss == pytest.approx(np.mean((x @ w + b - y) ** 2), rel=1e-5)
    w1, b1 = model.get_weights()                     # first step: velocity = -lr * g
    np.testing.assert_allclose(w1, w - 0.1 * gw, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(b1, b - 0.1 * gb, rtol=1e-5, atol=1e-6)
    model.train_on_batch(x, y)                       # second step: v = 0.9 v - lr g
    gw2, gb2 = mse_grads(w1, b1, x, y)
    np.testing.assert_allclose(model.get_weights()[0], w1 + 0.9 * (-0.1 * gw) - 0.1 * gw2, rtol=1e-5, atol=1e-6)


def test_one_adam_step_matches_numpy():
    model = linear_model()
    w, b = model.get_weights()
    rng = np.random.default_rng(2)
    x, y = rng.normal(size=(8, 3)).astype("float32"), rng.normal(size=(8, 2)).astype("float32")
    model.compile(kxla.optimizers.Adam(learning_rate=0.01), "mse")
    model.train_on_batch(x, y)
    gw, _ = mse_grads(w, b, x, y)
    m, v = 0.1 * gw, 0.001 * gw ** 2
    lr_t = 0.01 * np.sqrt(1 - 0.999) / (1 - 0.9)
    np.testing.assert_allclose(model.get_weights()[0], w - lr_t * m / (np.sqrt(v) + 1e-7), rtol=1e-4, atol=1e-6)


def test_gradients_of_a_small_net_match_finite_differences():
    model = kxla.Sequential([layers.Dense(4, activation="tanh", input_shape=(3,)),
                             layers.Dense(2, activation="softmax")])
    fn = lower(model.to_ir())
    x = jnp.asarray(np.random.default_rng(0).normal(size=(5, 3)).astype("float32"))
    params = {v.ir_name: jnp.asarray(v.numpy()) for v in model.weights}

    def loss(p):
        (out,), _ = fn(p, {}, [x])
        return jnp.sum(jnp.log(out[:, 0]))

    grads = jax.grad(loss)(params)
    eps = 1e-2
    for name, value in params.items():
        flat = np.asarray(value).reshape(-1)
        for i in range(flat.size):
            plus, minus = flat.copy(), flat.copy()
            plus[i] += eps
            minus[i] -= eps
            fd = (loss({**params, name: plus.reshape(value.shape)}) -
                  loss({**params, name: minus.reshape(value.shape)})) / (2 * eps)
            assert float(np.asarray(grads[name]).reshape(-1)[i]) == pytest.approx(float(fd), rel=1e-2, abs=2e-3)


def test_digits_reach_90_percent():
    pytest.importorskip("sklearn")
    (x, y), (xt, yt) = kxla.datasets.digits.load_data()
    model = kxla.Sequential([layers.Flatten(input_shape=(8, 8)), layers.Dense(64, activation="relu"),
                             layers.Dense(10, activation="softmax")])
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(x, y, batch_size=32, epochs=10, verbose=0)
    _, accuracy = model.evaluate(xt, yt, verbose=0)
    assert accuracy >= 0.90


def test_ragged_last_batch_compiles_once_and_equals_unpadded():
    model = kxla.Sequential([layers.Dense(3, activation="relu", input_shape=(4,)), layers.Dense(1)])
    model.compile("sgd", "mse", metrics=["mae"])
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(100, 4)).astype("float32"), rng.normal(size=(100, 1)).astype("float32")
    sw = rng.uniform(size=100).astype("float32")
    full = model.evaluate(x, y, batch_size=100, sample_weight=sw, verbose=0, return_dict=True)
    ragged = model.evaluate(x, y, batch_size=32, sample_weight=sw, verbose=0, return_dict=True)
    for k in full:
        assert ragged[k] == pytest.approx(full[k], rel=1e-5)
    pred = model.predict(x, verbose=0)
    w = model.get_weights()
    np.testing.assert_allclose(pred, np.maximum(x @ w[0] + w[1], 0) @ w[2] + w[3], rtol=1e-5, atol=1e-6)
    model.fit(x, y, batch_size=32, epochs=1, verbose=0)
    before = model.compile_stats()["train"]["compiles"]
    with assert_max_compiles(0):
        model.fit(x, y, batch_size=32, epochs=3, validation_split=0.2, verbose=0)
    assert before == 1


def test_ragged_batch_training_equals_unpadded_training():
    """Padded+masked last batch gives the same weights as training on the short batch alone."""
    a, b = linear_model(), linear_model()
    rng = np.random.default_rng(3)
    x, y = rng.normal(size=(10, 3)).astype("float32"), rng.normal(size=(10, 2)).astype("float32")
    for m in (a, b):
        m.compile(kxla.optimizers.SGD(0.1), "mse")
    a.fit(x, y, batch_size=8, epochs=1, shuffle=False, verbose=0)      # batches of 8 and 2 (padded)
    b.train_on_batch(x[:8], y[:8])
    b.train_on_batch(x[8:], y[8:])
    for wa, wb in zip(a.get_weights(), b.get_weights()):
        np.testing.assert_allclose(wa, wb, rtol=1e-5, atol=1e-6)


def test_history_validation_and_verbosity(capsys):
    model = linear_model()
    model.compile("adam", "mse", metrics=["mae"])
    x, y = np.ones((40, 3), "float32"), np.zeros((40, 2), "float32")
    history = model.fit(x, y, epochs=2, batch_size=16, validation_data=(x, y), verbose=0)
    assert list(history.history) == ["loss", "mae", "val_loss", "val_mae"]
    assert len(history.history["loss"]) == 2 and history.epoch == [0, 1]
    assert capsys.readouterr().out == ""
    model.fit(x, y, epochs=2, batch_size=16, verbose=2)
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "Epoch 1/2" and out[1].startswith("3/3 - ") and "/step - loss: " in out[1]
    model.fit(x, y, epochs=1, batch_size=16, verbose=1)
    bar = capsys.readouterr().out
    assert "\x1b[1m3/3\x1b[0m \x1b[32m━━━━━━━━━━━━━━━━━━━━\x1b[0m" in bar and "- mae: " in bar   # Keras's text


def test_bad_input_errors_before_compiling():
    model = linear_model()
    with pytest.raises(ValueError, match="You must call `compile\\(\\)` before using the model"):
        model.fit(np.ones((2, 3)), np.ones((2, 2)))
    with pytest.raises(ValueError, match="Did you mean 'adam'"):
        model.compile("adma", "mse")
    with pytest.raises(ValueError, match="Did you mean 'mse'"):
        model.compile("adam", "msee")
    with pytest.raises(ValueError, match="Did you mean 'accuracy'"):
        model.compile("adam", "mse", metrics=["acuracy"])
    model.compile("adam", "mse")
    with assert_max_compiles(0):
        with pytest.raises(ValueError, match="different numbers of samples"):
            model.fit(np.ones((4, 3)), np.ones((3, 2)), verbose=0)
        with pytest.raises(ValueError, match="expected shape \\(None, 3\\), but x has shape \\(4, 5\\)"):
            model.fit(np.ones((4, 5)), np.ones((4, 2)), verbose=0)


def test_lowering_is_deterministic_across_processes():
    script = (
        "import kxla, jax, numpy as np\n"
        "from kxla import layers\n"
        "kxla.utils.set_random_seed(0)\n"
        "m = kxla.Sequential([layers.Dense(8, activation='relu', input_shape=(4,)), layers.Dense(2)])\n"
        "m.compile('adam', 'mse')\n"
        "print(jax.jit(kxla.lower(m.to_ir())).lower({v.ir_name: v.numpy() for v in m.weights}, {}, "
        "[np.ones((2, 4), 'float32')]).as_text())\n")
    outs = [subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True).stdout
            for _ in range(2)]
    assert outs[0] == outs[1] and "stablehlo" in outs[0]
