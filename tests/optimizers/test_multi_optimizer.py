"""MultiOptimizer / OptimizerMap against Keras 3 (JAX backend): the same variables (names, order,
values) after several list-based ``stateless_apply`` steps, ``fit`` (built-in and a Keras-guide custom
``train_step``), ``apply`` / ``apply_gradients``, config round trips, saved files, and Keras's errors."""
import re

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import kxla
from kxla import optimizers
from kxla.ops.tracing import Variable

SHAPES = {"dense_1/kernel": (3, 4), "dense_1/bias": (4,), "dense_2/kernel": (4, 2), "dense_2/bias": (2,),
          "out/kernel": (2, 1)}


def _values(seed=0):
    rng = np.random.default_rng(seed)
    return [rng.normal(size=s).astype(np.float32) for s in SHAPES.values()]


def _multi(mod, case):
    """The same MultiOptimizer built from ``mod`` (kxla.optimizers or keras.optimizers)."""
    if case == "map":            # Adam, SGD with momentum (default), an unused Nadam
        return mod.MultiOptimizer(mod.OptimizerMap(mod.SGD(0.1, momentum=0.9, name="sgd"),
                                                   {".*dense_1/.*": mod.Adam(1e-2, name="adam"),
                                                    "nothing": mod.Nadam(name="nadam")}), name="multi")
    if case == "options":        # clipping, weight decay, a schedule, loss scaling
        sched = mod.schedules.ExponentialDecay(0.05, decay_steps=2, decay_rate=0.5)
        return mod.MultiOptimizer(mod.OptimizerMap(mod.RMSprop(0.01, clipnorm=0.5, name="rmsprop"),
                                                   {".*dense_2/.*": mod.AdamW(sched, weight_decay=0.1,
                                                                              name="adamw")}),
                                  loss_scale_factor=4.0, name="multi")
    def choose(variable):        # a callable map: dense_1 -> Adam, the rest -> SGD
        return adam if "dense_1" in variable.path else sgd
    adam, sgd = mod.Adam(1e-2, name="adam"), mod.SGD(0.05, name="sgd")
    return mod.MultiOptimizer(choose, name="multi")


def _variables(keras):
    vals = _values()
    kv = [Variable(v, name=n.split("/")[-1], path=n) for v, n in zip(vals, SHAPES)]
    kev = [keras.Variable(v, name=n.split("/")[-1]) for v, n in zip(vals, SHAPES)]
    for v, n in zip(kev, SHAPES):
        v._path = n                     # Keras's variable paths, as a model would give them
    return kv, kev


def _close(a, b):
    for x, y in zip(a, b):
        np.testing.assert_allclose(np.asarray(x), np.asarray(y), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("case", ["map", "options", "callable"])
def test_stateless_apply_steps_match_keras(keras, case):
    kx, ke = _multi(optimizers, case), _multi(keras.optimizers, case)
    kv, kev = _variables(keras)
    kx.build(kv)
    ke.build(kev)
    assert [v.path for v in kx.variables] == [v.path for v in ke.variables]
    assert [v.dtype for v in kx.variables] == [str(v.dtype) for v in ke.variables]
    assert [type(o).__name__ for o in kx.optimizers] == [type(o).__name__ for o in ke.optimizers]
    kx_step, ke_step = jax.jit(kx.stateless_apply), jax.jit(ke.stateless_apply)
    a_t, a_o = [v.value for v in kv], [v.value for v in kx.variables]
    b_t, b_o = [v.value for v in kev], [v.value for v in ke.variables]
    for seed in range(1, 5):
        grads = [jnp.asarray(g) for g in _values(seed)]
        a_t, a_o = kx_step(a_o, grads, a_t)
        b_t, b_o = ke_step(b_o, grads, b_t)
        _close(list(a_t) + list(a_o), list(b_t) + list(b_o))
    assert int(a_o[0]) == 4


@pytest.mark.parametrize("how", ["apply", pytest.param("apply_gradients", marks=pytest.mark.slow)])
def test_stateful_apply_equals_keras_stateless_steps(keras, how):
    kx, ke = _multi(optimizers, "map"), _multi(keras.optimizers, "map")
    kv, kev = _variables(keras)
    ke.build(kev)
    b_t, b_o = [v.value for v in kev], [v.value for v in ke.variables]
    for seed in range(1, 4):
        grads = [jnp.asarray(g) for g in _values(seed)]
        if how == "apply":
            kx.apply(grads, kv)
        else:
            kx.apply_gradients(list(zip(grads, kv)))
        b_t, b_o = ke.stateless_apply(b_o, grads, b_t)
    _close([v.value for v in kv] + [v.value for v in kx.variables], list(b_t) + list(b_o))
    assert [int(o.iterations.numpy()) for o in kx.optimizers] == [3, 0, 3]
    assert int(kx.iterations.numpy()) == 3


def _models(keras):
    m = kxla.Sequential([kxla.layers.Input((4,)), kxla.layers.Dense(3, name="dense_1"),
                         kxla.layers.Dense(1, name="dense_2")])
    k = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, name="dense_1"),
                          keras.layers.Dense(1, name="dense_2")])
    k.set_weights(m.get_weights())
    return m, k


def _data():
    rng = np.random.default_rng(0)
    return rng.random((48, 4), np.float32), rng.random((48, 1), np.float32)


def _same_state(m, k):
    _close(m.get_weights(), k.get_weights())
    assert [v.path for v in m.optimizer.variables] == [re.sub(r"sequential(_\d+)?_", "", v.path)
                                                       for v in k.optimizer.variables]
    _close([v.value for v in m.optimizer.variables], [v.value for v in k.optimizer.variables])


@pytest.mark.parametrize("case", ["map", pytest.param("options", marks=pytest.mark.slow)])
def test_fit_matches_keras(keras, case):
    x, y = _data()
    m, k = _models(keras)
    m.compile(_multi(optimizers, case), "mse")
    k.compile(_multi(keras.optimizers, case), "mse")
    hm = m.fit(x, y, batch_size=16, epochs=2, shuffle=False, verbose=0).history
    hk = k.fit(x, y, batch_size=16, epochs=2, shuffle=False, verbose=0).history
    np.testing.assert_allclose(hm["loss"], hk["loss"], rtol=1e-5)
    _same_state(m, k)
    if case == "map":               # an inner rate set between fits is used by the next steps
        m.optimizer.optimizers[0].learning_rate = 0.5
        k.optimizer.optimizers[0].learning_rate = 0.5
        m.fit(x, y, batch_size=16, epochs=1, shuffle=False, verbose=0)
        k.fit(x, y, batch_size=16, epochs=1, shuffle=False, verbose=0)
        _same_state(m, k)
        assert [int(o.iterations.numpy()) for o in m.optimizer.optimizers] == [9, 0, 9]


def _guide_step_model(mod):
    """A model whose ``train_step`` is the Keras JAX guide's, written once for kxla and for Keras."""
    class GuideStep(mod.Model):
        def __init__(self):
            super().__init__()
            self.hidden = mod.layers.Dense(3, name="hidden")
            self.head = mod.layers.Dense(1, name="head")

        def call(self, x, training=False):
            return self.head(self.hidden(x))

        def train_step(self, state, data):
            trainable, non_trainable, opt_vars, metric_vars = state
            x, y = data

            def loss_fn(trainable, non_trainable):
                y_pred, non_trainable = self.stateless_call(trainable, non_trainable, x, training=True)
                return self.compute_loss(x, y, y_pred), non_trainable

            (loss, non_trainable), grads = jax.value_and_grad(loss_fn, has_aux=True)(trainable, non_trainable)
            trainable, opt_vars = self.optimizer.stateless_apply(opt_vars, grads, trainable)
            return {"loss": loss}, (trainable, non_trainable, opt_vars, metric_vars)
    return GuideStep()


def test_custom_train_step_matches_keras(keras):
    x, y = _data()
    m, k = _guide_step_model(kxla), _guide_step_model(keras)
    m.build((None, 4))
    k(x[:1])
    k.set_weights(m.get_weights())
    for model, mod in ((m, optimizers), (k, keras.optimizers)):
        model.compile(mod.MultiOptimizer(mod.OptimizerMap(mod.SGD(0.1), {".*hidden/.*": mod.Adam(0.01)})), "mse")
        model.fit(x, y, batch_size=16, epochs=2, shuffle=False, verbose=0)
    _close(m.get_weights(), k.get_weights())
    assert len(m.optimizer.variables) == len(k.optimizer.variables) == 10
    _close([v.value for v in m.optimizer.variables], [v.value for v in k.optimizer.variables])


@pytest.mark.parametrize("ext", ["keras", pytest.param("kxla", marks=pytest.mark.slow),
                                 pytest.param("h5", marks=pytest.mark.slow)])
def test_saved_model_resumes_like_uninterrupted_fit(tmp_path, ext):
    x, y = _data()
    m = kxla.Sequential([kxla.layers.Input((4,)), kxla.layers.Dense(3, name="dense_1"),
                         kxla.layers.Dense(1, name="dense_2")])
    m.compile(_multi(optimizers, "map"), "mse")
    m.fit(x, y, batch_size=16, epochs=1, shuffle=False, verbose=0)
    path = str(tmp_path / f"m.{ext}")
    m.save(path)
    loaded = kxla.saving.load_model(path)
    assert isinstance(loaded.optimizer, optimizers.MultiOptimizer)
    assert [type(o).__name__ for o in loaded.optimizer.optimizers] == ["Adam", "Nadam", "SGD"]
    _close([v.value for v in loaded.optimizer.variables], [v.value for v in m.optimizer.variables])
    m.fit(x, y, batch_size=16, epochs=1, shuffle=False, verbose=0)
    loaded.fit(x, y, batch_size=16, epochs=1, shuffle=False, verbose=0)
    _close(loaded.get_weights(), m.get_weights())
    _close([v.value for v in loaded.optimizer.variables], [v.value for v in m.optimizer.variables])


def test_keras_saved_file_loads_with_its_optimizer_state(keras, tmp_path):
    x, y = _data()
    _, k = _models(keras)
    k.compile(_multi(keras.optimizers, "map"), "mse")
    k.fit(x, y, batch_size=16, epochs=1, shuffle=False, verbose=0)
    k.save(tmp_path / "k.keras")
    m = kxla.saving.load_model(str(tmp_path / "k.keras"))
    _close([v.value for v in m.optimizer.variables], [v.value for v in k.optimizer.variables])
    m.fit(x, y, batch_size=16, epochs=1, shuffle=False, verbose=0)
    k.fit(x, y, batch_size=16, epochs=1, shuffle=False, verbose=0)
    _close(m.get_weights(), k.get_weights())


def test_config_round_trip_as_keras(keras):
    kx, ke = _multi(optimizers, "options"), _multi(keras.optimizers, "options")
    config = optimizers.serialize(kx)
    assert config["class_name"] == "MultiOptimizer"
    keras_config = keras.optimizers.serialize(ke)["config"]
    assert set(config["config"]) == set(keras_config) == {"optimizer_map", "loss_scale_factor", "name"}
    inner = config["config"]["optimizer_map"]
    assert (inner["module"], inner["class_name"]) == ("keras.optimizers", "OptimizerMap")
    back = optimizers.deserialize(config)
    assert back.get_config() == kx.get_config()
    from_keras = optimizers.deserialize({"class_name": "MultiOptimizer", "config": keras_config})
    assert [type(o).__name__ for o in from_keras.optimizers] == ["AdamW", "RMSprop"]
    assert from_keras.loss_scale_factor == 4.0
    assert kxla.saving.deserialize_keras_object(kxla.saving.serialize_keras_object(kx)).get_config() == \
        kx.get_config()


def test_callable_map_serializes_by_name():
    def pick(variable):
        return sgd
    sgd = optimizers.SGD(0.2)
    config = optimizers.serialize(optimizers.MultiOptimizer(pick))
    assert config["config"]["optimizer_map"]["config"] == "pick"
    with pytest.raises(ValueError, match="custom_objects"):
        optimizers.deserialize(config)
    assert optimizers.deserialize(config, custom_objects={"pick": pick})._optimizer_map is pick


def _scoped(name):
    v = Variable(np.ones((1, 1), np.float32), name="kernel", path=f"{name}/kernel")
    return v


def test_optimizer_map_matching_and_errors():
    adam, sgd, default = optimizers.Adam(), optimizers.SGD(), optimizers.RMSprop()
    opt_map = optimizers.OptimizerMap(default_optimizer=default)
    opt_map["^dense/.*"] = adam
    opt_map["^conv/.*"] = sgd
    assert opt_map(_scoped("dense")) is adam and opt_map(_scoped("conv")) is sgd
    assert opt_map(_scoped("other")) is default and len(opt_map) == 2 and list(opt_map) == ["^dense/.*", "^conv/.*"]
    opt_map["conv/kernel"] = adam                  # an exact key wins over the patterns
    assert opt_map["conv/kernel"] is adam
    opt_map[".*kernel"] = sgd
    with pytest.raises(ValueError, match="Multiple optimizers assigned to variable dense/kernel"):
        opt_map(_scoped("dense"))
    with pytest.raises(ValueError, match="already exists"):
        opt_map["^dense/.*"] = sgd
    with pytest.raises(ValueError, match="key must be a string"):
        opt_map[3] = sgd
    with pytest.raises(ValueError, match="must be a Keras Optimizer instance"):
        opt_map["x"] = "adam"
    with pytest.raises(ValueError, match="optimizer cannot be LossScaleOptimizer."):
        opt_map["x"] = optimizers.LossScaleOptimizer(sgd)
    with pytest.raises(ValueError, match="optimizer cannot be MultiOptimizer."):
        opt_map["x"] = optimizers.MultiOptimizer(opt_map)
    del opt_map[".*kernel"]
    with pytest.raises(TypeError, match="default_optimizer must be a Keras Optimizer instance"):
        optimizers.OptimizerMap("sgd")
    with pytest.raises(TypeError, match="optimizer_map must be a dictionary"):
        optimizers.OptimizerMap(sgd, [("a", adam)])


def test_multi_optimizer_keras_behaviour():
    adam, sgd, default = optimizers.Adam(), optimizers.SGD(), optimizers.RMSprop()
    multi = optimizers.MultiOptimizer(optimizers.OptimizerMap(default, {"^a/.*": adam, "^b/.*": sgd}))
    assert multi.name == "multi_optimizer" and multi.optimizers == [adam, sgd, default]
    with pytest.raises(AttributeError, match="cannot be accessed on a MultiOptimizer"):
        multi.learning_rate
    with pytest.raises(AttributeError, match="cannot be set on a MultiOptimizer"):
        multi.learning_rate = 0.1
    with pytest.raises(ValueError, match="must be built"):
        multi.stateless_apply([], [], [])
    with pytest.raises(ValueError, match="must already be built"):
        multi.apply([jnp.ones((1, 1))])
    multi.build([_scoped("b"), _scoped("c")])
    assert [v.path for v in multi.variables] == [
        "multi_optimizer/iteration", "multi_optimizer/learning_rate", "adam/iteration", "adam/learning_rate",
        "sgd/iteration", "sgd/learning_rate", "rm_sprop/iteration", "rm_sprop/learning_rate",
        "rm_sprop/c_kernel_velocity"]
    assert not adam.built and sgd.built
    with pytest.raises(ValueError, match="Gradients must match trainable variables one-to-one"):
        multi.apply([jnp.ones((1, 1))])
    with pytest.raises(ValueError, match="corresponding 1:1"):
        multi.stateless_apply([v.value for v in multi.variables][:-1], [jnp.ones((1, 1))] * 2,
                              [jnp.ones((1, 1))] * 2)


def test_inner_optimizer_checks_at_build():
    sgd = optimizers.SGD()
    opt_map = optimizers.OptimizerMap(default_optimizer=sgd)
    opt_map._optimizer_map = {".*a/.*": optimizers.LossScaleOptimizer(sgd),
                              ".*b/.*": optimizers.MultiOptimizer(sgd_map := optimizers.OptimizerMap(sgd))}
    multi = optimizers.MultiOptimizer(opt_map)
    with pytest.raises(ValueError, match="LossScaleOptimizer cannot be used inside an MultiOptimizer."):
        multi.build([_scoped("a")])
    with pytest.raises(ValueError, match="MultiOptimizer cannot be used inside an MultiOptimizer."):
        multi.build([_scoped("b")])
    with pytest.raises(ValueError, match="is not an Optimizer instance"):
        optimizers.MultiOptimizer(lambda v: "sgd").build([_scoped("a")])
    with pytest.raises(TypeError, match="optimizer_map must be an OptimizerMap or a callable"):
        optimizers.MultiOptimizer(optimizers.SGD()).build([_scoped("a")])
    assert sgd_map.default_optimizer is sgd


def test_loss_scale_factor_as_keras():
    sgd = optimizers.SGD(0.1)
    multi = optimizers.MultiOptimizer(optimizers.OptimizerMap(sgd, {"^dense_1/.*": sgd}), loss_scale_factor=5.0)
    w = _scoped("dense_1")
    w.assign(np.full((1, 1), 2.0, np.float32))
    multi.build([w])
    assert float(multi.scale_loss(jnp.float32(2.0))) == 10.0
    multi.apply([jnp.full((1, 1), 10.0)], [w])           # the gradient is divided by 5 first
    np.testing.assert_allclose(w.numpy(), [[1.8]], rtol=1e-6)
    with pytest.raises(ValueError, match="loss_scale_factor"):
        optimizers.MultiOptimizer(sgd, loss_scale_factor=-1.0)


def test_learning_rate_callbacks_set_each_inner_rate_as_keras(keras):
    x, y = _data()
    logs, rates = {}, {}
    for model, mod, lib in zip(_models(keras), (kxla, keras), (optimizers, keras.optimizers)):
        fast, slow = lib.SGD(0.1, name="fast"), lib.SGD(0.01, name="slow")
        model.compile(lib.MultiOptimizer(lib.OptimizerMap(slow, {".*dense_1/.*": fast})), "mse")
        callbacks = [mod.callbacks.LearningRateScheduler(lambda epoch, lr: lr * 0.5),
                     mod.callbacks.ReduceLROnPlateau(monitor="loss", factor=0.5, patience=0, min_delta=10.0)]
        logs[mod.__name__] = model.fit(x, y, batch_size=16, epochs=2, shuffle=False, verbose=0,
                                       callbacks=callbacks).history
        rates[mod.__name__] = [float(fast.learning_rate), float(slow.learning_rate)]
    # two scheduler halvings, one plateau reduction (epoch 1 does not improve by min_delta)
    assert rates["kxla"] == pytest.approx(rates["keras"]) and rates["keras"] == pytest.approx([0.1 / 8, 0.01 / 8])
    assert set(logs["kxla"]) == set(logs["keras"]) == {"loss", "learning_rate_fast", "learning_rate_slow"}
    for key in logs["keras"]:
        np.testing.assert_allclose(logs["kxla"][key], logs["keras"][key], rtol=1e-5)


def test_inside_loss_scale_optimizer_as_keras(keras):
    def wrapped(lib):
        multi = lib.MultiOptimizer(lib.OptimizerMap(lib.SGD(0.1, name="sgd"),
                                                    {".*dense_1/.*": lib.Adam(0.01, name="adam")}),
                                   loss_scale_factor=5.0, name="multi")
        return lib.LossScaleOptimizer(multi, initial_scale=8.0, dynamic_growth_steps=2, name="lso"), multi
    (kx, kx_multi), (ke, ke_multi) = wrapped(optimizers), wrapped(keras.optimizers)
    kv, kev = _variables(keras)
    kx.build(kv)
    ke.build(kev)
    assert kx_multi.loss_scale_factor is None and ke_multi.loss_scale_factor is None
    assert [v.path for v in kx.variables] == [v.path for v in ke.variables]
    a_t, a_o = [v.value for v in kv], [v.value for v in kx.variables]
    b_t, b_o = [v.value for v in kev], [v.value for v in ke.variables]
    kx_step = jax.jit(kx.stateless_apply)
    for seed in range(1, 4):
        grads = [jnp.asarray(g) * 8.0 for g in _values(seed)]
        a_t, a_o = kx_step(a_o, grads, a_t)
        b_t, b_o = ke.stateless_apply(b_o, grads, b_t)
    _close(list(a_t) + list(a_o), list(b_t) + list(b_o))
    assert float(kx.scale_loss(jnp.float32(2.0))) == float(ke.scale_loss(2.0)) == 16.0


@pytest.mark.slow
def test_ema_inner_optimizer_and_swap_ema_weights_as_keras(keras):
    x, y = _data()
    m, k = _models(keras)
    hist = {}
    for model, mod, lib in ((m, kxla, optimizers), (k, keras, keras.optimizers)):
        ema = lib.SGD(0.1, use_ema=True, ema_momentum=0.9, name="ema")
        model.compile(lib.MultiOptimizer(lib.OptimizerMap(lib.Adam(0.01, name="adam"), {".*dense_1/.*": ema}),
                                         name="multi"), "mse")
        hist[mod.__name__] = model.fit(x, y, batch_size=16, epochs=2, shuffle=False, verbose=0,
                                       validation_data=(x[:16], y[:16]),
                                       callbacks=[mod.callbacks.SwapEMAWeights()]).history
    np.testing.assert_allclose(hist["kxla"]["val_loss"], hist["keras"]["val_loss"], rtol=1e-5)
    _same_state(m, k)


def test_tensorboard_logs_each_inner_rate(tmp_path):
    fast, slow = optimizers.SGD(0.1, name="fast"), optimizers.SGD(0.01, name="slow")
    model = kxla.Sequential([kxla.layers.Input((4,)), kxla.layers.Dense(1, name="dense_1")])
    model.compile(optimizers.MultiOptimizer(optimizers.OptimizerMap(slow, {".*dense_1/kernel": fast})), "mse")
    board, written = kxla.callbacks.TensorBoard(log_dir=str(tmp_path)), {}

    class Writer:
        def add_scalar(self, tag, value, step):
            written[tag] = value
    board.set_model(model)
    board._writer = lambda name: Writer()
    board._log_epoch_metrics(0, {"loss": 1.0})
    assert written == pytest.approx({"epoch_loss": 1.0, "epoch_learning_rate_fast": 0.1,
                                     "epoch_learning_rate_slow": 0.01})


def test_train_step_inspection_before_fit():
    model = kxla.Sequential([kxla.layers.Input((4,)), kxla.layers.Dense(3, name="dense_1"),
                             kxla.layers.Dense(1, name="dense_2")])
    model.compile(_multi(optimizers, "map"), "mse")
    assert kxla.debug.xla.cost_analysis(model, mode="train", batch_size=4)["flops"] > 0
