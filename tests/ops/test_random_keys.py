"""Random draws are keyed per op (layer path and rank), not by node position: the same rng gives the
same dropout masks with and without passes — in the lowered step fit runs, in as_jax() and in a custom
loop over stateless_call — and fit with and without passes trains to the same weights."""
import jax
import numpy as np
import pytest

import kxla
from kxla import layers
from kxla.lowering import lower
from kxla.ops.random_ops import random_key_ids

X = np.random.default_rng(0).normal(size=(16, 6)).astype("float32")
Y = np.random.default_rng(1).normal(size=(16, 3)).astype("float32")


def _model():
    kxla.utils.set_random_seed(7)
    inp = kxla.Input((6,))
    h = layers.Dense(8)(inp)
    h = layers.BatchNormalization()(h)          # folded / fused by passes: node positions move
    h = layers.Activation("relu")(h)
    h = layers.Dropout(0.5)(h)
    h = layers.GaussianNoise(0.3)(layers.Dense(8, activation="relu")(h))
    return kxla.Model(inp, layers.Dense(3)(layers.Dropout(0.3)(h)))


def _positions(graph):
    return [i for i, n in enumerate(graph.nodes) if n.op in ("dropout", "gaussian_noise")]


def test_key_ids_do_not_depend_on_positions():
    model = _model()
    plain = model.to_ir(training=True)
    optimized = model.to_ir(training=True, optimized=True)
    ids_plain = sorted(random_key_ids(plain.nodes).values())
    ids_opt = sorted(random_key_ids(optimized.nodes).values())
    assert len(ids_plain) == 3 and ids_plain == ids_opt
    assert len(set(ids_plain)) == 3


def test_same_masks_with_and_without_passes_and_in_as_jax():
    model = _model()
    plain, optimized = model.to_ir(training=True), model.to_ir(training=True, optimized=True)
    assert _positions(plain) != _positions(optimized) or len(plain.nodes) != len(optimized.nodes)
    apply_fn, params, state = model.as_jax()
    rng = jax.random.key(11)
    via_as_jax, _ = apply_fn(params, state, X, training=True, rng=rng)
    outs_plain, _ = lower(plain)(params, state, [X], rng=rng, training=True)
    outs_opt, _ = lower(optimized)(params, state, [X], rng=rng, training=True)
    model.compile(optimizer="sgd", loss="mse")
    via_call, _ = model.stateless_call(params, state, X, training=True, rng=rng)
    for other in (outs_plain[0], outs_opt[0], via_call):
        np.testing.assert_allclose(np.asarray(via_as_jax), np.asarray(other), rtol=1e-4, atol=1e-5)


def _custom_loop(step_fn, params, state, steps=3):
    def loss(p, st, key):
        out, st = step_fn(p, st, key)
        return jax.numpy.mean((out - Y) ** 2), st
    grad = jax.jit(jax.grad(loss, has_aux=True))
    for i in range(steps):
        g, state = grad(params, state, jax.random.fold_in(jax.random.key(5), i))
        params = jax.tree_util.tree_map(lambda p, d: p - 0.1 * d, params, g)
    return params


def test_custom_loops_agree_as_jax_and_stateless_call():
    model = _model()
    model.compile(optimizer="sgd", loss="mse")
    apply_fn, params, state = model.as_jax()
    a = _custom_loop(lambda p, st, k: apply_fn(p, st, X, training=True, rng=k), params, state)
    b = _custom_loop(lambda p, st, k: model.stateless_call(p, st, X, training=True, rng=k), params, state)
    for name in a:
        np.testing.assert_allclose(np.asarray(a[name]), np.asarray(b[name]), rtol=1e-4, atol=1e-5, err_msg=name)


@pytest.mark.slow
def test_fit_with_and_without_passes_trains_the_same():
    results = []
    for passes in ("default", "none"):
        model = _model()
        model.compile(optimizer=kxla.optimizers.SGD(0.1), loss="mse", passes=passes)
        kxla.utils.set_random_seed(3)
        model.fit(X, Y, batch_size=8, epochs=2, shuffle=False, verbose=0)
        results.append(model.get_weights())
    for a, b in zip(*results):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)
