"""The JAX escape hatches: kxla.ops.jax_call, layers.Lambda, and model.as_jax() in a custom loop."""
import jax
import jax.numpy as jnp
import numpy as np
import pytest

import kxla
from kxla import layers, ops


def swish_jax(x):
    return x * jax.nn.sigmoid(x)


def _jax_call_model():
    inp = kxla.Input((4,))
    h = layers.Dense(3, name="pre")(inp)
    h = layers.Lambda(lambda t: ops.jax_call(swish_jax, t), name="swish")(h)
    return kxla.Model(inp, layers.Dense(1, name="post")(h))


def _numpy_forward(model, x):
    k1, b1 = model.get_layer("pre").get_weights()
    k2, b2 = model.get_layer("post").get_weights()
    h = x @ k1 + b1
    h = h / (1 + np.exp(-h))
    return h @ k2 + b2


def test_jax_call_output_matches():
    model = _jax_call_model()
    x = np.random.default_rng(0).normal(size=(5, 4)).astype("float32")
    np.testing.assert_allclose(model.predict(x, verbose=0), _numpy_forward(model, x), rtol=1e-5, atol=1e-6)
    assert "jax_call" in [n.op for n in model.to_ir().nodes]


def test_jax_call_eager_and_multi_output():
    x = np.linspace(-2, 2, 6, dtype="float32").reshape(2, 3)
    np.testing.assert_allclose(np.asarray(ops.jax_call(swish_jax, x)), x / (1 + np.exp(-x)), rtol=1e-6)
    inp = kxla.Input((3,))
    a, b = ops.jax_call(lambda t: (jnp.sin(t), jnp.sum(t, axis=-1)), inp, name="test_sin_sum")
    assert a.shape == (None, 3) and b.shape == (None,)
    model = kxla.Model(inp, [a, b])
    pa, pb = model.predict(x, verbose=0)
    np.testing.assert_allclose(pa, np.sin(x), rtol=1e-6)
    np.testing.assert_allclose(pb, x.sum(-1), rtol=1e-6)


def test_jax_call_survives_default_pipelines():
    model = _jax_call_model()
    model.compile("sgd", "mse")
    for training in (False, True):
        optimized = model.to_ir(training=training, optimized=True)
        assert [n.op for n in optimized.nodes].count("jax_call") == 1, optimized


def test_gradients_flow_through_jax_call_finite_differences():
    model = _jax_call_model()
    apply_fn, params, state = model.as_jax()
    x = jnp.asarray(np.random.default_rng(1).normal(size=(3, 4)).astype("float32"))

    def loss(p):
        out, _ = apply_fn(p, state, x)
        return jnp.sum(out ** 2)

    grads = jax.grad(loss)(params)
    name = "pre.kernel"
    assert name in grads and np.abs(np.asarray(grads[name])).sum() > 0
    p64 = {k: np.asarray(v, dtype="float64") for k, v in params.items()}
    k1, b1, k2, b2 = p64["pre.kernel"], p64["pre.bias"], p64["post.kernel"], p64["post.bias"]
    x64 = np.asarray(x, dtype="float64")

    def np_loss(k):
        h = x64 @ k + b1
        h = h / (1 + np.exp(-h))
        return np.sum((h @ k2 + b2) ** 2)

    eps = 1e-5
    for idx in [(0, 0), (2, 1), (3, 2)]:
        kp, km = k1.copy(), k1.copy()
        kp[idx] += eps
        km[idx] -= eps
        fd = (np_loss(kp) - np_loss(km)) / (2 * eps)
        np.testing.assert_allclose(float(grads[name][idx]), fd, rtol=1e-3, atol=1e-4)


def test_lambda_of_kxla_ops_and_fit():
    inp = kxla.Input((4,))
    h = layers.Lambda(lambda t: ops.tanh(t) * 2.0, name="scaled_tanh")(inp)
    model = kxla.Model(inp, layers.Dense(1)(h))
    x = np.random.default_rng(0).normal(size=(64, 4)).astype("float32")
    y = np.tanh(x).sum(-1, keepdims=True).astype("float32")
    k, b = model.layers[-1].get_weights()
    np.testing.assert_allclose(model.predict(x[:4], verbose=0), (2 * np.tanh(x[:4])) @ k + b, rtol=1e-5, atol=1e-6)
    model.compile(kxla.optimizers.SGD(0.05), "mse")
    hist = model.fit(x, y, epochs=5, batch_size=16, verbose=0)
    assert hist.history["loss"][-1] < hist.history["loss"][0]


def _tiny_model():
    return kxla.Sequential([layers.Input((3,)), layers.Dense(4, activation="tanh", name="a"),
                            layers.Dense(1, name="b")])


def test_as_jax_custom_loop_with_edited_gradients():
    model = _tiny_model()
    apply_fn, params, state = model.as_jax()
    rng = np.random.default_rng(0)
    x = jnp.asarray(rng.normal(size=(16, 3)).astype("float32"))
    y = jnp.asarray(rng.normal(size=(16, 1)).astype("float32"))
    lr, clip = 0.1, 0.05

    def loss_fn(p):
        out, _ = apply_fn(p, state, x, training=True)
        return jnp.mean((out - y) ** 2)

    @jax.jit
    def step(p):
        loss, g = jax.value_and_grad(loss_fn)(p)
        g = {k: jnp.clip(v, -clip, clip) for k, v in g.items()}                      # clip
        g = {k: jnp.zeros_like(v) if k.startswith("a.") else v for k, v in g.items()}  # mask layer "a"
        return {k: p[k] - lr * g[k] for k in p}, loss

    # the same computation written by hand in jax.numpy (no kxla)
    def manual_loss(ka, ba, kb, bb):
        return jnp.mean((jnp.tanh(x @ ka + ba) @ kb + bb - y) ** 2)

    manual = {k: jnp.asarray(v) for k, v in params.items()}
    p = params
    for _ in range(3):
        p, loss = step(p)
        ml, (gkb, gbb) = jax.value_and_grad(manual_loss, argnums=(2, 3))(
            manual["a.kernel"], manual["a.bias"], manual["b.kernel"], manual["b.bias"])
        np.testing.assert_allclose(float(loss), float(ml), rtol=1e-5)
        manual = {**manual, "b.kernel": manual["b.kernel"] - lr * jnp.clip(gkb, -clip, clip),
                  "b.bias": manual["b.bias"] - lr * jnp.clip(gbb, -clip, clip)}
    for k in p:
        np.testing.assert_allclose(np.asarray(p[k]), np.asarray(manual[k]), rtol=1e-5, atol=1e-7)
    np.testing.assert_array_equal(np.asarray(p["a.kernel"]), np.asarray(params["a.kernel"]))   # masked
    # write back into the model
    model.set_weights([np.asarray(p[w.ir_name]) for w in model.weights])
    out, _ = apply_fn(p, state, x)
    np.testing.assert_allclose(model.predict(np.asarray(x), verbose=0), np.asarray(out), rtol=1e-5, atol=1e-6)
