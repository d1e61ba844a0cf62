"""Mixed precision in training: dtype policies, the pass in the compiled IR, float16 loss scaling."""
import numpy as np
import pytest

import kxla
from kxla import layers


@pytest.fixture(autouse=True)
def _float32_after():
    yield
    kxla.config.set_dtype_policy("float32")


def _data(n=96):
    rng = np.random.default_rng(0)
    return rng.normal(size=(n, 12)).astype("float32"), rng.integers(0, 3, n).astype("int32")


def _model(policy=None, head_dtype=None):
    if policy:
        kxla.config.set_dtype_policy(policy)
    kxla.utils.set_random_seed(0)
    model = kxla.Sequential([layers.Input(shape=(12,)), layers.Dense(16, activation="relu", name="hidden"),
                             layers.Dense(3, activation="softmax", name="head", dtype=head_dtype)])
    kxla.config.set_dtype_policy("float32")
    model.compile(kxla.optimizers.SGD(0.05), "sparse_categorical_crossentropy")
    return model


def test_policy_api_and_layer_dtype_names():
    assert kxla.config.dtype_policy().name == "float32"
    kxla.config.set_dtype_policy("mixed_bfloat16")
    policy = kxla.config.dtype_policy()
    assert (policy.name, policy.compute_dtype, policy.variable_dtype) == ("mixed_bfloat16", "bfloat16", "float32")
    dense = layers.Dense(2)
    assert dense.dtype_policy == policy and dense.dtype == "float32" and dense.compute_dtype == "bfloat16"
    kxla.config.set_dtype_policy("float32")
    other = layers.Dense(2, dtype="mixed_float16")
    assert other.compute_dtype == "float16" and other.get_config()["dtype"] == "mixed_float16"
    assert layers.Dense.from_config(other.get_config()).dtype_policy.name == "mixed_float16"
    with pytest.raises(ValueError, match="Unknown dtype policy"):
        kxla.config.set_dtype_policy("mixed_int8")


def test_training_agrees_with_float32_and_variables_stay_float32():
    x, y = _data()
    ref = _model()
    ref.fit(x, y, batch_size=32, epochs=2, shuffle=False, verbose=0)
    ref_pred = ref.predict(x[:5], verbose=0)
    for policy, tol in (("mixed_bfloat16", 2e-2), ("mixed_float16", 2e-3)):
        mixed = _model(policy)
        mixed.fit(x, y, batch_size=32, epochs=2, shuffle=False, verbose=0)
        assert all(w.dtype == "float32" for w in mixed.weights)
        for a, b in zip(ref.get_weights(), mixed.get_weights()):
            np.testing.assert_allclose(b, a, atol=tol, rtol=tol)
        np.testing.assert_allclose(mixed.history.history["loss"], ref.history.history["loss"], rtol=tol)
        pred = mixed.predict(x[:5], verbose=0)
        assert pred.dtype == np.float32
        np.testing.assert_allclose(pred, ref_pred, atol=5 * tol)
        # bfloat16 has float32's exponent range: no loss scaling; float16 scales (nothing overflowed here)
        assert mixed.loss_scale == (None if policy == "mixed_bfloat16" else 2.0 ** 15)


def test_compiled_ir_shows_the_casts_and_per_layer_override():
    text = str(_model("mixed_bfloat16").to_ir(training=True, optimized=True))
    assert text.count('cast(') >= 6 and "bf16" in text and "f32[?,3]" in text
    # the head asked for float32 inside a mixed model: only the hidden layer is cast
    text = str(_model("mixed_bfloat16", head_dtype="float32").to_ir(training=True, optimized=True))
    head = [line for line in text.splitlines() if line.rstrip().endswith("// head")]
    assert head and not any("bf16" in line for line in head)
    assert any("bf16" in line for line in text.splitlines() if line.rstrip().endswith("// hidden"))
    # one mixed layer in a float32 model
    text = str(_model(None, head_dtype="mixed_float16").to_ir(training=False, optimized=True))
    assert any("f16" in line for line in text.splitlines() if line.rstrip().endswith("// head"))


def test_float16_loss_scaling_skips_a_step_with_inf_gradients_then_trains():
    model = _model("mixed_float16")
    x, y = _data(32)
    before = model.get_weights()
    huge = np.full_like(x, 6e4)                   # float16 overflows: non-finite gradients
    model.train_on_batch(huge, y)
    assert model.loss_scale == 2.0 ** 14            # halved from Keras's initial 2**15
    for a, b in zip(before, model.get_weights()):
        np.testing.assert_array_equal(a, b)         # the step was skipped
    assert int(np.asarray(model._opt_state["iterations"])) == 0
    model.train_on_batch(x, y)
    assert model.loss_scale == 2.0 ** 14
    assert any(not np.array_equal(a, b) for a, b in zip(before, model.get_weights()))
    assert int(np.asarray(model._opt_state["iterations"])) == 1


def test_loss_scale_halves_below_one_as_keras():
    """Keras's LossScaleOptimizer has no floor: a non-finite step at scale 1 leaves 0.5."""
    import jax.numpy as jnp
    import keras

    from kxla.training.step_builder import next_loss_scale
    ours = {"scale": jnp.asarray(1.0, "float32"), "good_steps": jnp.asarray(5, "int32")}
    ke = keras.optimizers.LossScaleOptimizer(keras.optimizers.SGD(), initial_scale=1.0)
    v = keras.Variable(np.ones(2, "float32"))
    ke.build([v])
    opt_vars, params = [w.value for w in ke.variables], [v.value]
    for finite in (False, True, False):
        ours = next_loss_scale(ours, jnp.asarray(finite))
        grads = [jnp.full(2, 1.0 if finite else np.inf, "float32")]
        params, opt_vars = ke.stateless_apply(opt_vars, grads, params)
        state = dict(zip([w.name for w in ke.variables], opt_vars))
        assert float(ours["scale"]) == float(state["dynamic_scale"])
        assert int(ours["good_steps"]) == int(state["step_counter"])
    assert float(ours["scale"]) == 0.25
