"""LossScaleOptimizer, Muon and ScheduleFreeAdamW against Keras 3: the same variables (names, shapes,
order) and the same values after several steps on the same gradients (list-based stateless_apply,
jitted, as a Keras JAX custom step calls it); LossScaleOptimizer also inside fit."""
import jax
import jax.numpy as jnp
import numpy as np
import pytest

import kxla
from kxla import optimizers
from kxla.ops.tracing import Variable

SHAPES = {"dense/kernel": (3, 4), "dense/bias": (4,), "embedding/embeddings": (5, 3), "out/kernel": (6, 2)}


def _values(seed=0, scale=1.0):
    rng = np.random.default_rng(seed)
    return [(scale * rng.normal(size=s)).astype(np.float32) for s in SHAPES.values()]


def compare_steps(keras, kx, ke, grads_seq, rtol=1e-5, atol=1e-6):
    """Build both on the same variables, run ``stateless_apply`` on each gradient list, compare all."""
    params = _values()
    kv = [Variable(p, name=n.split("/")[-1], path=n) for p, n in zip(params, SHAPES)]
    kev = [keras.Variable(p, name=n.split("/")[-1]) for p, n in zip(params, SHAPES)]
    for v, n in zip(kev, SHAPES):
        v._path = n                     # Keras's variable paths, as a model would give them
    kx.build(kv)
    ke.build(kev)
    assert [tuple(v.shape) for v in kx.variables] == [tuple(v.shape) for v in ke.variables]
    assert [v.name for v in kx.variables] == [v.name for v in ke.variables]
    kx_step, ke_step = jax.jit(kx.stateless_apply), jax.jit(ke.stateless_apply)
    a_t, a_o = [v.value for v in kv], [v.value for v in kx.variables]
    b_t, b_o = [v.value for v in kev], [v.value for v in ke.variables]
    for grads in grads_seq:
        gl = [jnp.asarray(g) for g in grads]
        a_t, a_o = kx_step(a_o, gl, a_t)
        b_t, b_o = ke_step(b_o, gl, b_t)
        for x, y in zip(list(a_t) + list(a_o), list(b_t) + list(b_o)):
            np.testing.assert_allclose(np.asarray(x), np.asarray(y), rtol=rtol, atol=atol)
    return a_o


def test_loss_scale_optimizer_dynamic_scale_like_keras(keras):
    grads = [_values(s, scale=1000.0) for s in range(1, 6)]
    grads[2] = [g.copy() for g in grads[2]]
    grads[2][1][0] = np.inf                                    # a non-finite step: skipped, scale halved
    kx = optimizers.LossScaleOptimizer(optimizers.Adam(0.01), initial_scale=8.0, dynamic_growth_steps=2)
    ke = keras.optimizers.LossScaleOptimizer(keras.optimizers.Adam(0.01), initial_scale=8.0,
                                             dynamic_growth_steps=2)
    final = compare_steps(keras, kx, ke, grads)
    assert float(final[1]) != 8.0
    assert kxla.mixed_precision.LossScaleOptimizer is optimizers.LossScaleOptimizer
    assert optimizers.deserialize(optimizers.serialize(kx)).get_config() == kx.get_config()


def test_loss_scale_optimizer_arguments_as_keras():
    with pytest.raises(ValueError, match="does not support `clipnorm`"):
        optimizers.LossScaleOptimizer(optimizers.SGD(), clipnorm=1.0)
    with pytest.raises(ValueError, match="dynamic=False"):
        optimizers.LossScaleOptimizer(optimizers.SGD(), dynamic=False)


def test_fit_calls_scale_loss_like_keras(keras):
    rng = np.random.default_rng(0)
    x, y = rng.random((48, 4), np.float32), rng.random((48, 2), np.float32)
    m = kxla.Sequential([kxla.layers.Input((4,)), kxla.layers.Dense(2)])
    k = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2)])
    k.set_weights(m.get_weights())
    m.compile(optimizers.LossScaleOptimizer(optimizers.SGD(0.1), initial_scale=4.0, dynamic_growth_steps=2),
              "mse")
    k.compile(keras.optimizers.LossScaleOptimizer(keras.optimizers.SGD(0.1), initial_scale=4.0,
                                                  dynamic_growth_steps=2), "mse")
    hm = m.fit(x, y, batch_size=16, epochs=2, shuffle=False, verbose=0).history
    hk = k.fit(x, y, batch_size=16, epochs=2, shuffle=False, verbose=0).history
    np.testing.assert_allclose(hm["loss"], hk["loss"], rtol=1e-5)
    for a, b in zip(m.get_weights(), k.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    for a, b in zip(m.optimizer.variables, k.optimizer.variables):
        np.testing.assert_allclose(np.asarray(a.value), np.asarray(b.value), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("kwargs", [{}, pytest.param({"exclude_layers": ["out"], "nesterov": False, "rms_rate": None,
                                                       "adam_lr_ratio": 0.5}, marks=pytest.mark.slow)],
                         ids=["defaults", "options"])
def test_muon_like_keras(keras, kwargs):
    grads = [_values(s) for s in range(1, 4)]
    compare_steps(keras, optimizers.Muon(learning_rate=0.01, **kwargs),
                  keras.optimizers.Muon(learning_rate=0.01, **kwargs), grads, rtol=2e-5, atol=2e-6)


@pytest.mark.parametrize("kwargs", [{}, pytest.param({"warmup_steps": 2, "weight_decay": 0.01},
                                                       marks=pytest.mark.slow)], ids=["defaults", "warmup"])
def test_schedule_free_adamw_like_keras(keras, kwargs):
    grads = [_values(s) for s in range(1, 5)]
    compare_steps(keras, optimizers.ScheduleFreeAdamW(**kwargs), keras.optimizers.ScheduleFreeAdamW(**kwargs),
                  grads)


def test_ema_variables_and_overwrite_like_keras(keras):
    grads = [_values(s) for s in range(1, 5)]
    kwargs = {"use_ema": True, "ema_momentum": 0.9, "ema_overwrite_frequency": 3}
    compare_steps(keras, optimizers.Adam(0.01, **kwargs), keras.optimizers.Adam(0.01, **kwargs), grads)
    with pytest.raises(ValueError, match="ema_momentum"):
        optimizers.SGD(use_ema=True, ema_momentum=2.0)
