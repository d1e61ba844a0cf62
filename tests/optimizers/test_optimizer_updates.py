"""kxla.optimizers: one-step numpy references, 3-step agreement with Keras 3, clipping, weight decay, config."""
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from kxla import optimizers

SHAPES = {"dense/bias": (4,), "dense/kernel": (3, 4)}


def _params(seed=0):
    rng = np.random.default_rng(seed)
    return {k: rng.normal(size=s).astype(np.float32) for k, s in SHAPES.items()}


def _grads(n_steps, seed=1, scale=1.0):
    rng = np.random.default_rng(seed)
    return [{k: (scale * rng.normal(size=s)).astype(np.float32) for k, s in SHAPES.items()}
            for _ in range(n_steps)]


def _run_kxla(opt, params, grads_seq, jit=True):
    state = opt.init({k: jnp.asarray(v) for k, v in params.items()})
    p = {k: jnp.asarray(v) for k, v in params.items()}
    update = jax.jit(opt.update) if jit else opt.update
    for g in grads_seq:
        p, state = update(g, p, state, opt.current_learning_rate(state))
    return {k: np.asarray(v) for k, v in p.items()}, state


def _run_keras(keras, opt, params, grads_seq):
    """Keras 3's optimizer on keras.Variables, stepped through its stateless API under jax.jit."""
    names = sorted(params)
    variables = [keras.Variable(params[n], name=n.split("/")[-1]) for n in names]
    opt.build(variables)
    apply = jax.jit(opt.stateless_apply)
    train, opt_vars = [v.value for v in variables], [v.value for v in opt.variables]
    for g in grads_seq:
        train, opt_vars = apply(opt_vars, [jnp.asarray(g[n]) for n in names], train)
    return {n: np.asarray(v) for n, v in zip(names, train)}


def _assert_close(a, b, rtol=1e-5, atol=1e-6):
    assert sorted(a) == sorted(b)
    for k in a:
        np.testing.assert_allclose(a[k], b[k], rtol=rtol, atol=atol, err_msg=k)


# ----------------------------------------------------------------------------- one step vs numpy
@pytest.mark.parametrize("momentum,nesterov", [(0.0, False), (0.9, False), (0.9, True)])
def test_sgd_one_step_matches_numpy(momentum, nesterov):
    params, (g,) = _params(), _grads(1)
    got, state = _run_kxla(optimizers.SGD(0.1, momentum=momentum, nesterov=nesterov), params, [g])
    for k in params:
        p, gk = params[k].astype(np.float64), g[k].astype(np.float64)
        m = momentum * 0.0 - 0.1 * gk
        if momentum == 0:
            want = p - 0.1 * gk
        elif nesterov:
            want = p + momentum * m - 0.1 * gk
        else:
            want = p + m
        np.testing.assert_allclose(got[k], want, rtol=1e-6, atol=1e-7)
    assert int(state["iterations"]) == 1 and state["iterations"].dtype == jnp.int32
    assert ("momentum" in state) == (momentum != 0)


def test_adam_one_step_matches_numpy():
    params, (g,) = _params(), _grads(1)
    got, state = _run_kxla(optimizers.Adam(0.01), params, [g])
    for k in params:
        p, gk = params[k].astype(np.float64), g[k].astype(np.float64)
        m = 0.1 * gk
        v = 0.001 * gk ** 2
        alpha = 0.01 * np.sqrt(1 - 0.999) / (1 - 0.9)
        want = p - m * alpha / (np.sqrt(v) + 1e-7)
        np.testing.assert_allclose(got[k], want, rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(state["momentum"][k], m, rtol=1e-6)
        np.testing.assert_allclose(state["velocity"][k], v, rtol=1e-5)


def test_rmsprop_one_step_matches_numpy():
    params, (g,) = _params(), _grads(1)
    got, _ = _run_kxla(optimizers.RMSprop(0.01), params, [g])
    for k in params:
        p, gk = params[k].astype(np.float64), g[k].astype(np.float64)
        v = 0.1 * gk ** 2
        want = p - 0.01 * gk / np.sqrt(v + 1e-7)
        np.testing.assert_allclose(got[k], want, rtol=1e-5, atol=1e-6)


def test_adamw_one_step_matches_numpy():
    params, (g,) = _params(), _grads(1)
    got, _ = _run_kxla(optimizers.AdamW(0.01, weight_decay=0.1), params, [g])
    for k in params:
        p, gk = params[k].astype(np.float64), g[k].astype(np.float64)
        p = p - p * 0.1 * 0.01                      # decoupled decay first
        alpha = 0.01 * np.sqrt(1 - 0.999) / (1 - 0.9)
        want = p - (0.1 * gk) * alpha / (np.sqrt(0.001 * gk ** 2) + 1e-7)
        np.testing.assert_allclose(got[k], want, rtol=1e-5, atol=1e-6)


def test_defaults_match_keras(keras):
    pairs = [(optimizers.SGD(), keras.optimizers.SGD()), (optimizers.Adam(), keras.optimizers.Adam()),
             (optimizers.AdamW(), keras.optimizers.AdamW()), (optimizers.RMSprop(), keras.optimizers.RMSprop()),
             (optimizers.Adagrad(), keras.optimizers.Adagrad()), (optimizers.Adadelta(), keras.optimizers.Adadelta()),
             (optimizers.Adamax(), keras.optimizers.Adamax()), (optimizers.Nadam(), keras.optimizers.Nadam())]
    for ours, theirs in pairs:
        theirs_cfg = theirs.get_config()
        for key, value in ours.get_config().items():
            if key == "name":
                continue
            if isinstance(value, float):
                assert value == pytest.approx(theirs_cfg[key], rel=1e-6), (type(ours).__name__, key)
            else:
                assert value == theirs_cfg[key], (type(ours).__name__, key)


# ----------------------------------------------------------------------------- 3 steps vs Keras 3
CASES = [
    ("SGD", dict(learning_rate=0.1)),
    ("SGD", dict(learning_rate=0.1, momentum=0.9)),
    ("SGD", dict(learning_rate=0.1, momentum=0.9, nesterov=True)),
    ("Adam", dict(learning_rate=0.01)),
    ("Adam", dict(learning_rate=0.01, amsgrad=True)),
    ("AdamW", dict(learning_rate=0.01, weight_decay=0.05)),
    ("RMSprop", dict(learning_rate=0.01)),
    ("RMSprop", dict(learning_rate=0.01, momentum=0.5, centered=True)),
    ("Adagrad", dict(learning_rate=0.1)),
    ("Adadelta", dict(learning_rate=1.0)),
    ("Adamax", dict(learning_rate=0.01)),
    ("Nadam", dict(learning_rate=0.01)),
    ("SGD", dict(learning_rate=0.1, weight_decay=0.1)),
]


@pytest.mark.parametrize("name,kwargs", CASES, ids=[f"{n}-{'-'.join(k)}" for n, k in CASES])
def test_three_steps_match_keras(keras, name, kwargs):
    params, grads = _params(), _grads(3)
    got, state = _run_kxla(getattr(optimizers, name)(**kwargs), params, grads)
    want = _run_keras(keras, getattr(keras.optimizers, name)(**kwargs), params, grads)
    _assert_close(got, want)
    assert int(state["iterations"]) == 3


def test_jit_and_eager_agree():
    params, grads = _params(), _grads(3)
    a, _ = _run_kxla(optimizers.SGD(0.1, momentum=0.9, nesterov=True), params, grads, jit=True)
    b, _ = _run_kxla(optimizers.SGD(0.1, momentum=0.9, nesterov=True), params, grads, jit=False)
    _assert_close(a, b, rtol=1e-6, atol=1e-7)


# ----------------------------------------------------------------------------- clipping
@pytest.mark.parametrize("clip", [dict(clipnorm=0.5), dict(clipvalue=0.3), dict(global_clipnorm=0.7)])
def test_clipping_matches_keras(keras, clip):
    params, grads = _params(), _grads(3, scale=3.0)
    got, _ = _run_kxla(optimizers.SGD(0.1, momentum=0.5, **clip), params, grads)
    want = _run_keras(keras, keras.optimizers.SGD(0.1, momentum=0.5, **clip), params, grads)
    _assert_close(got, want)


def test_clipping_numpy():
    g = [np.array([3.0, 4.0], np.float32), np.array([0.0, 12.0], np.float32)]
    by_norm = optimizers.SGD(clipnorm=1.0).clip_gradients(g)
    np.testing.assert_allclose(by_norm[0], [0.6, 0.8], rtol=1e-6)
    np.testing.assert_allclose(by_norm[1], [0.0, 1.0], rtol=1e-6)
    by_global = optimizers.SGD(global_clipnorm=6.5).clip_gradients(g)   # global norm 13
    np.testing.assert_allclose(by_global[0], [1.5, 2.0], rtol=1e-6)
    by_value = optimizers.SGD(clipvalue=2.0).clip_gradients(g)
    np.testing.assert_allclose(by_value[1], [0.0, 2.0])
    zero = optimizers.SGD(clipnorm=1.0).clip_gradients([np.zeros(3, np.float32)])
    assert np.all(np.isfinite(zero[0])) and np.all(zero[0] == 0)
    with pytest.raises(ValueError, match="Only one of"):
        optimizers.SGD(clipnorm=1.0, clipvalue=1.0)


def test_exclude_from_weight_decay_matches_keras(keras):
    params, grads = _params(), _grads(2)
    ours = optimizers.AdamW(0.01, weight_decay=0.2)
    ours.exclude_from_weight_decay(var_names=["bias"])
    got, _ = _run_kxla(ours, params, grads)
    theirs = keras.optimizers.AdamW(0.01, weight_decay=0.2)
    theirs.exclude_from_weight_decay(var_names=["bias"])
    want = _run_keras(keras, theirs, params, grads)
    _assert_close(got, want)
    plain, _ = _run_kxla(optimizers.Adam(0.01), params, grads)
    np.testing.assert_allclose(got["dense/bias"], plain["dense/bias"], rtol=1e-6)


# ----------------------------------------------------------------------------- learning rate handling
def test_learning_rate_is_settable_and_traced():
    opt = optimizers.SGD(0.1)
    params = {"w": jnp.ones(3)}
    grads = {"w": jnp.ones(3)}
    state = opt.init(params)
    traces = []

    @jax.jit
    def step(p, s, lr):
        traces.append(1)
        return opt.update(grads, p, s, lr)

    params, state = step(params, state, opt.current_learning_rate(state))
    opt.learning_rate = 0.5
    assert opt.learning_rate == 0.5
    params, state = step(params, state, opt.current_learning_rate(state))
    np.testing.assert_allclose(params["w"], 1 - 0.1 - 0.5, rtol=1e-6)
    assert len(traces) == 1
    # Without an explicit learning rate, update() uses current_learning_rate(state).
    params2, _ = opt.update(grads, {"w": jnp.ones(3)}, opt.init(params))
    np.testing.assert_allclose(params2["w"], 0.5, rtol=1e-6)


def test_schedule_learning_rate_matches_keras(keras):
    params, grads = _params(), _grads(3)
    ours = optimizers.Adam(optimizers.schedules.ExponentialDecay(0.1, decay_steps=1, decay_rate=0.5))
    theirs = keras.optimizers.Adam(keras.optimizers.schedules.ExponentialDecay(0.1, decay_steps=1, decay_rate=0.5))
    got, state = _run_kxla(ours, params, grads)
    want = _run_keras(keras, theirs, params, grads)
    _assert_close(got, want)
    np.testing.assert_allclose(ours.current_learning_rate(state), 0.1 * 0.5 ** 3, rtol=1e-6)
    with pytest.raises(TypeError, match="not settable"):
        ours.learning_rate = 0.1


# ----------------------------------------------------------------------------- lookup and config
def test_get_by_name_dict_instance():
    for name, cls in [("sgd", optimizers.SGD), ("adam", optimizers.Adam), ("rmsprop", optimizers.RMSprop),
                      ("adamw", optimizers.AdamW), ("adagrad", optimizers.Adagrad),
                      ("adadelta", optimizers.Adadelta), ("adamax", optimizers.Adamax),
                      ("nadam", optimizers.Nadam), ("Adam", optimizers.Adam), ("RMSprop", optimizers.RMSprop)]:
        assert type(optimizers.get(name)) is cls
    opt = optimizers.SGD(0.3, momentum=0.2)
    assert optimizers.get(opt) is opt
    again = optimizers.get(optimizers.serialize(opt))
    assert type(again) is optimizers.SGD and again.get_config() == opt.get_config()
    assert optimizers.get(None) is None


def test_unknown_name_did_you_mean():
    with pytest.raises(ValueError, match=r"Unknown optimizer 'adamm'\. Did you mean 'adam'\?.*Valid names: "):
        optimizers.get("adamm")
    with pytest.raises(ValueError, match="Did you mean 'sgd'"):
        optimizers.get("sgdd")
    with pytest.raises(ValueError, match="Could not interpret"):
        optimizers.get(3)


def test_config_round_trip_and_keras_configs(keras):
    sched = optimizers.schedules.CosineDecay(0.1, 100, alpha=0.1)
    opt = optimizers.Adam(sched, beta_1=0.8, clipnorm=1.0)
    again = optimizers.Adam.from_config(opt.get_config())
    assert isinstance(again.learning_rate, optimizers.schedules.CosineDecay)
    assert again.learning_rate.get_config() == sched.get_config()
    assert again.beta_1 == 0.8 and again.clipnorm == 1.0
    # Keras 3 configs (with use_ema & co. at their defaults and serialized schedules) load too.
    keras_opt = keras.optimizers.RMSprop(
        keras.optimizers.schedules.PiecewiseConstantDecay([2, 4], [0.1, 0.01, 0.001]), rho=0.8)
    ours = optimizers.get({"class_name": "RMSprop", "config": keras_opt.get_config()})
    assert ours.rho == 0.8
    assert float(ours.current_learning_rate({"iterations": jnp.asarray(3, jnp.int32)})) == pytest.approx(0.01)
    with pytest.raises(ValueError, match="do not support gradient_accumulation_steps=2"):
        optimizers.Adam(gradient_accumulation_steps=2)
    ema = optimizers.Adam(use_ema=True, ema_momentum=0.9)          # EMA is supported (test_wrapping_optimizers)
    assert optimizers.Adam.from_config(ema.get_config()).ema_momentum == 0.9
    with pytest.raises(ValueError, match="not recognized"):
        optimizers.Adam(bogus=1)
    with pytest.raises(ValueError, match="weight_decay"):
        optimizers.AdamW(weight_decay=None)


def test_state_is_flat_dict_of_arrays():
    params = {k: jnp.asarray(v) for k, v in _params().items()}
    state = optimizers.Nadam().init(params)
    assert set(state) == {"iterations", "momentum", "velocity", "u_product"}
    assert set(state["momentum"]) == set(params)
    assert state["iterations"].dtype == jnp.int32 and state["iterations"].shape == ()
    acc = optimizers.Adagrad().init(params)["accumulator"]
    np.testing.assert_allclose(acc["dense/bias"], 0.1)
    # Nested pytrees of params work too (slot names follow the structure).
    nested = {"dense": {"kernel": jnp.ones((2, 2)), "bias": jnp.zeros(2)}}
    opt = optimizers.Adam()
    new, st = opt.update(jax.tree_util.tree_map(jnp.ones_like, nested), nested, opt.init(nested))
    assert set(st["momentum"]["dense"]) == {"kernel", "bias"} and int(st["iterations"]) == 1


def test_jitted_train_step_with_loss_optimizer_and_metric():
    """The three pieces composed the way the trainer does: one jitted, pure step."""
    from kxla import losses, metrics

    rng = np.random.default_rng(0)
    x = rng.normal(size=(32, 4)).astype(np.float32)
    y = (x @ rng.normal(size=(4, 3))).argmax(-1)
    loss_fn = losses.get("sparse_categorical_crossentropy")
    opt = optimizers.get("adam")
    opt.learning_rate = 0.05
    acc = metrics.get("accuracy", loss="sparse_categorical_crossentropy")
    params = {"kernel": jnp.zeros((4, 3)), "bias": jnp.zeros(3)}
    opt_state, metric_state = opt.init(params), acc.init()

    @jax.jit
    def step(params, opt_state, metric_state, lr, x, y, mask):
        def objective(p):
            logits = jax.nn.softmax(x @ p["kernel"] + p["bias"])
            return loss_fn(y, logits, mask=mask), logits
        (loss, probs), grads = jax.value_and_grad(objective, has_aux=True)(params)
        params, opt_state = opt.update(grads, params, opt_state, lr)
        metric_state = acc.update(metric_state, y, probs, sample_weight=mask.astype(jnp.float32))
        return params, opt_state, metric_state, loss

    mask = np.ones(32, bool)
    first = None
    for _ in range(30):
        params, opt_state, metric_state, loss = step(params, opt_state, metric_state,
                                                     opt.current_learning_rate(opt_state), x, y, mask)
        first = float(loss) if first is None else first
    assert float(loss) < 0.5 * first
    assert int(opt_state["iterations"]) == 30
    assert 0.5 < float(acc.result(metric_state)) <= 1.0
