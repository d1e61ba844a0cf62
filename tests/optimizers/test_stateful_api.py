"""Keras 3's stateful optimizer API: build / variables / iterations / apply / apply_gradients /
list-based stateless_apply / settable learning_rate, against Keras 3 on the same values."""
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from kxla import optimizers
from kxla.ops.tracing import Variable

from .test_optimizer_updates import CASES, SHAPES, _grads, _params


def _kx_vars(params):
    return [Variable(params[n], name=n.split("/")[-1], path=n) for n in sorted(params)]


def _keras_vars(keras, params):
    return [keras.Variable(params[n], name=n.split("/")[-1]) for n in sorted(params)]


_FAST = {"Adam", "RMSprop", "Nadam"}


@pytest.mark.parametrize("name,kwargs", [c if c[0] in _FAST and len(c[1]) > 1 or c[0] == "Nadam"
                                         else pytest.param(*c, marks=pytest.mark.slow) for c in CASES],
                         ids=[f"{n}-{'-'.join(k)}" for n, k in CASES])
def test_variables_match_keras_order_and_values(keras, name, kwargs):
    params, grads = _params(), _grads(3)
    names = sorted(params)
    kx, ke = getattr(optimizers, name)(**kwargs), getattr(keras.optimizers, name)(**kwargs)
    kv, kev = _kx_vars(params), _keras_vars(keras, params)
    kx.build(kv)
    ke.build(kev)
    assert [tuple(v.shape) for v in kx.variables] == [tuple(v.shape) for v in ke.variables]
    kx_step = jax.jit(kx.stateless_apply)
    ke_step = jax.jit(ke.stateless_apply)
    a_t, a_o = [v.value for v in kv], [v.value for v in kx.variables]
    b_t, b_o = [v.value for v in kev], [v.value for v in ke.variables]
    for g in grads:
        gl = [jnp.asarray(g[n]) for n in names]
        a_t, a_o = kx_step(a_o, gl, a_t)
        b_t, b_o = ke_step(b_o, gl, b_t)
    for x, y in zip(a_t + a_o, b_t + b_o):
        np.testing.assert_allclose(np.asarray(x), np.asarray(y), rtol=1e-5, atol=1e-6)


def test_variable_names_and_iterations(keras):
    params = _params()
    kx, ke = optimizers.Adam(), keras.optimizers.Adam()
    kv, kev = _kx_vars(params), _keras_vars(keras, params)
    kx.build(kv)
    ke.build(kev)
    assert [v.name for v in kx.variables][:4] == ["iteration", "learning_rate", "dense_bias_momentum",
                                                  "dense_bias_velocity"]
    assert len(kx.variables) == len(ke.variables)
    assert int(kx.iterations.numpy()) == 0


@pytest.mark.parametrize("how", ["apply", "apply_gradients"])
def test_stateful_apply_matches_keras(keras, how):
    params, grads = _params(), _grads(3)
    names = sorted(params)
    kx, ke = optimizers.Adam(0.01, clipnorm=1.0), keras.optimizers.Adam(0.01, clipnorm=1.0)
    kv, kev = _kx_vars(params), _keras_vars(keras, params)
    for g in grads:
        gl = [np.asarray(g[n]) for n in names]
        if how == "apply":
            kx.apply(gl, kv)
            ke.apply(gl, kev)
        else:
            kx.apply_gradients(zip(gl, kv))
            ke.apply_gradients(zip(gl, kev))
    assert int(kx.iterations.numpy()) == int(ke.iterations.numpy()) == 3
    for a, b in zip(kv, kev):
        np.testing.assert_allclose(a.numpy(), np.asarray(b.value), rtol=1e-5, atol=1e-6)


def test_settable_learning_rate_reaches_the_variables():
    params = _params()
    opt = optimizers.SGD(0.1)
    kv = _kx_vars(params)
    opt.build(kv)
    opt.learning_rate = 0.5
    assert float(opt.variables[1].numpy()) == 0.5
    before = kv[0].numpy().copy()
    opt.apply([np.ones_like(before), np.zeros(SHAPES["dense/kernel"], np.float32)])
    np.testing.assert_allclose(kv[0].numpy(), before - 0.5, rtol=1e-6)


def test_constraint_applied_after_apply():
    v = Variable(np.ones(3, np.float32), name="w", path="w")
    v.constraint = lambda x: jnp.clip(x, 0.0, 0.95)
    opt = optimizers.SGD(0.01)
    opt.apply([np.full(3, -1.0, np.float32)], [v])
    np.testing.assert_allclose(v.numpy(), 0.95)


def test_errors_like_keras():
    opt = optimizers.Adam()
    with pytest.raises(ValueError, match="must be built"):
        opt.stateless_apply([], [], [])
    with pytest.raises(ValueError, match="must already be built"):
        opt.apply([np.ones(3)])
    kv = _kx_vars(_params())
    opt.build(kv)
    with pytest.raises(ValueError, match="1:1"):
        opt.stateless_apply([v.value for v in opt.variables][:-1], [v.value for v in kv], [v.value for v in kv])
    with pytest.raises(ValueError, match="Unknown variable"):
        opt.apply([np.ones(2)], [Variable(np.ones(2, np.float32), name="x", path="x")])
