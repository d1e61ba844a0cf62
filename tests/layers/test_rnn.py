"""SimpleRNN / LSTM / GRU / Bidirectional / TimeDistributed against Keras 3, the IR they make, gradients, fit."""
import jax
import jax.numpy as jnp
import numpy as np
import pytest

import kxla
from kxla import layers as L
from kxla.lowering import lower
from layer_check import check_against_keras, rand, run_traced

RNN_CASES = [
    ("SimpleRNN", dict(units=5, activation="relu", return_sequences=True, go_backwards=True)),
    ("LSTM", dict(units=6)),
    ("LSTM", dict(units=6, use_bias=False, return_sequences=True, go_backwards=True)),
    ("GRU", dict(units=4, return_sequences=True, go_backwards=True)),
    ("GRU", dict(units=4, reset_after=False, return_sequences=True)),
]


def _make(cls, kwargs):
    extra = {"bias_initializer": "random_normal"} if kwargs.get("use_bias", True) else {}
    return getattr(L, cls)(**kwargs, **extra)


def _keras_copy(keras, ours, cls, kwargs, x):
    twin = getattr(keras.layers, cls)(**kwargs)
    twin(x)
    twin.set_weights(ours.get_weights())
    return twin


@pytest.mark.parametrize("cls,kwargs", RNN_CASES)
def test_forward_matches_keras(keras, cls, kwargs):
    x = rand(3, 7, 4, seed=1)
    ours = _make(cls, kwargs)
    out, twin = check_against_keras(keras, ours, cls, kwargs, x, rtol=1e-5, atol=1e-5)
    assert out.shape == tuple(twin.compute_output_shape(x.shape))
    assert ours.compute_output_shape((None, 7, 4)) == (None,) + out.shape[1:]


@pytest.mark.parametrize("hoist", [True, False], ids=["hoisted", "projected_per_step"])
@pytest.mark.parametrize("cls,go_backwards", [("SimpleRNN", False), ("LSTM", False), ("LSTM", True),
                                               ("GRU", True)])
def test_return_state_initial_state_and_mask_match_keras(keras, cls, go_backwards, hoist, monkeypatch):
    monkeypatch.setattr(kxla.ops.rnn, "HOIST_ON_CPU", True)       # both lowerings, on any backend
    if not hoist:                        # past the memory limit each step projects its own input
        monkeypatch.setattr(kxla.ops.rnn, "HOIST_LIMIT_BYTES", 0)
    x = rand(3, 6, 4, seed=2)
    n_states = 2 if cls == "LSTM" else 1
    states = [rand(3, 5, seed=10 + i) for i in range(n_states)]
    mask = np.ones((3, 6), bool)
    mask[0, :2] = False                       # leading padding
    mask[1, 4:] = False                       # trailing padding
    kwargs = dict(units=5, return_sequences=True, return_state=True, go_backwards=go_backwards)
    ours = _make(cls, kwargs)
    ours.build((None, 6, 4))
    twin = _keras_copy(keras, ours, cls, kwargs, x)
    expected = twin(x, initial_state=states, mask=mask)
    # traced, with the states and the mask as graph inputs
    with kxla.ops.Builder("t") as b:
        xs = b.input(kxla.ir.TensorType((None, 6, 4)), "x")
        hs = [b.input(kxla.ir.TensorType((None, 5)), f"h{i}") for i in range(n_states)]
        m = b.input(kxla.ir.TensorType((None, 6), "bool"), "m")
        outs = ours(xs, initial_state=hs if n_states > 1 else hs[0], mask=m)
        b.graph.outputs = [b.value_of(o) for o in outs]
    b.graph.verify()
    params = {v.ir_name: v.value for v in b.variables()}
    traced, _ = lower(b.graph)(params, {}, [x, *states, mask])
    assert len(traced) == len(expected) == 1 + n_states
    for a, e in zip(traced, expected):
        np.testing.assert_allclose(np.asarray(a), np.asarray(e), rtol=1e-5, atol=1e-5)


def test_weights_initializers_and_config(keras):
    layer = L.LSTM(3, name="l")
    layer(rand(2, 4, 5))
    assert [w.name for w in layer.weights] == ["kernel", "recurrent_kernel", "bias"]
    assert [w.shape for w in layer.weights] == [(5, 12), (3, 12), (12,)]
    k, rk, bias = layer.get_weights()
    np.testing.assert_allclose(rk @ rk.T, np.eye(3), atol=1e-5)                      # orthogonal rows
    np.testing.assert_array_equal(bias, np.r_[np.zeros(3), np.ones(3), np.zeros(6)])  # unit_forget_bias
    gru = L.GRU(3)
    gru(rand(2, 4, 5))
    assert [w.shape for w in gru.weights] == [(5, 9), (3, 9), (2, 9)]
    config = layer.get_config()
    ref = keras.layers.LSTM(3, name="l").get_config()
    for key in ("units", "activation", "recurrent_activation", "use_bias", "unit_forget_bias", "dropout",
                "recurrent_dropout", "return_sequences", "return_state", "go_backwards", "stateful", "unroll"):
        assert config[key] == ref[key], key
    assert L.LSTM.from_config(config).get_config() == config
    assert "recurrent_activation" not in L.SimpleRNN(2).get_config()


def test_bad_arguments_raise():
    with pytest.raises(ValueError, match="batch size must be static"):
        kxla.Sequential([kxla.Input((3, 4)), L.LSTM(4, stateful=True)])
    with pytest.raises(ValueError, match="units must be a positive integer"):
        L.GRU(0)
    with pytest.raises(ValueError, match="expected ndim=3"):
        L.SimpleRNN(2)(rand(2, 3))
    with pytest.raises(ValueError, match="expects 2 initial state"):
        L.LSTM(2)(rand(2, 3, 4), initial_state=[np.zeros((2, 2), np.float32)])


def test_lstm_model_is_one_node_and_one_scan(monkeypatch):
    model = kxla.Sequential([L.Embedding(20, 4), L.LSTM(8), L.Dense(1)])
    model.build((None, 6))
    graph = model.to_ir()
    assert [n.op for n in graph.nodes].count("lstm") == 1
    node = next(n for n in graph.nodes if n.op == "lstm")
    assert len(node.results) == 3 and node.layer == model.layers[1].name
    assert kxla.ir.get_op("lstm").layout == "opaque"
    fn = lower(graph)
    params = {v.ir_name: v.value for v in model.trace().variables}
    jaxpr = jax.make_jaxpr(lambda p, x: fn(p, {}, [x])[0])(params, np.zeros((2, 6), np.float32))
    scans = [e for e in jaxpr.jaxpr.eqns if e.primitive.name == "scan"]
    assert len(scans) == 1
    body = scans[0].params["jaxpr"].jaxpr
    # on XLA:CPU the input projection runs inside the loop (measured faster there)
    assert [e.primitive.name for e in body.eqns].count("dot_general") == (2 if jax.default_backend() == "cpu" else 1)
    # where hoisting is on, only the recurrent matmul runs inside the loop
    monkeypatch.setattr(kxla.ops.rnn, "HOIST_ON_CPU", True)
    jaxpr = jax.make_jaxpr(lambda p, x: fn(p, {}, [x])[0])(params, np.zeros((2, 6), np.float32))
    body = next(e for e in jaxpr.jaxpr.eqns if e.primitive.name == "scan").params["jaxpr"].jaxpr
    assert [e.primitive.name for e in body.eqns].count("dot_general") == 1
    # past HOIST_LIMIT_BYTES (batch 2 x 6 steps x 32 floats = 1,536 bytes) it runs per step
    monkeypatch.setattr(kxla.ops.rnn, "HOIST_LIMIT_BYTES", 1535)
    jaxpr = jax.make_jaxpr(lambda p, x: fn(p, {}, [x])[0])(params, np.zeros((2, 6), np.float32))
    body = next(e for e in jaxpr.jaxpr.eqns if e.primitive.name == "scan").params["jaxpr"].jaxpr
    assert [e.primitive.name for e in body.eqns].count("dot_general") == 2


@pytest.mark.parametrize("cls", ["LSTM", "GRU"])
def test_gradient_matches_finite_differences(cls):
    layer = getattr(L, cls)(4, return_sequences=True, bias_initializer="random_normal")
    x = rand(2, 5, 3, seed=3)
    mask = np.array([[1, 1, 1, 1, 1], [0, 0, 1, 1, 1]], bool)
    layer.build((None, 5, 3))
    with kxla.ops.Builder("g") as b:
        xs = b.input(kxla.ir.TensorType((None, 5, 3)), "x")
        m = b.input(kxla.ir.TensorType((None, 5), "bool"), "m")
        b.graph.outputs = [b.value_of(layer(xs, mask=m))]
    fn = lower(b.graph)
    params = {v.ir_name: jnp.asarray(v.value) for v in b.variables()}
    weights = jnp.asarray(rand(2, 5, 4, seed=4))

    @jax.jit
    def loss(p):
        return jnp.sum(fn(p, {}, [x, mask])[0][0] * weights)

    grads = jax.jit(jax.grad(loss))(params)
    rng = np.random.default_rng(5)
    eps = 1e-2
    for _ in range(3):
        direction = {k: jnp.asarray(rng.normal(size=v.shape).astype(np.float32)) for k, v in params.items()}
        plus = {k: params[k] + eps * direction[k] for k in params}
        minus = {k: params[k] - eps * direction[k] for k in params}
        numeric = (loss(plus) - loss(minus)) / (2 * eps)
        analytic = sum(jnp.vdot(grads[k], direction[k]) for k in params)
        np.testing.assert_allclose(float(analytic), float(numeric), rtol=2e-2, atol=2e-2)


def test_dropout_only_in_training():
    layer = L.GRU(6, dropout=0.5, recurrent_dropout=0.5, return_sequences=True)
    x = rand(4, 5, 3)
    inference, _, graph = run_traced(layer, x, training=False)
    assert "dropout" not in [n.op for n in graph.nodes]
    trained, _, graph = run_traced(layer, x, training=True)
    assert [n.op for n in graph.nodes].count("dropout") == 2
    assert trained.shape == inference.shape and not np.allclose(trained, inference)
    again, _, _ = run_traced(layer, x, training=True)
    np.testing.assert_array_equal(trained, again)                 # same rng, same masks


def test_bidirectional_merge_modes_match_keras(keras):
    x = rand(2, 6, 3, seed=6)
    mask = np.ones((2, 6), bool)
    mask[1, :3] = False
    ours = L.Bidirectional(L.LSTM(4, return_sequences=True, bias_initializer="random_normal"), merge_mode=None)
    ours(x, mask=mask)
    twin = keras.layers.Bidirectional(keras.layers.LSTM(4, return_sequences=True), merge_mode=None)
    twin(x)
    assert [w.shape for w in ours.weights] == [tuple(w.shape) for w in twin.weights]
    twin.set_weights(ours.get_weights())
    y, y_rev = (np.asarray(t) for t in twin(x, mask=mask))
    merged = {"concat": np.concatenate([y, y_rev], -1), "sum": y + y_rev, "ave": (y + y_rev) / 2, "mul": y * y_rev}
    with kxla.ops.Builder("t") as b:                         # one graph, one jit: every merge mode at once
        xs = b.input(kxla.ir.TensorType((None, 6, 3)), "x")
        m = b.input(kxla.ir.TensorType((None, 6), "bool"), "m")
        for mode in merged:
            layer = L.Bidirectional(L.LSTM(4, return_sequences=True), merge_mode=mode)
            layer.build((None, 6, 3))
            layer.set_weights(ours.get_weights())
            b.graph.outputs.append(b.value_of(layer(xs, mask=m)))
    assert [n.op for n in b.graph.nodes].count("lstm") == 2 * len(merged)
    fn = jax.jit(lambda p, x, m: lower(b.graph)(p, {}, [x, m])[0])
    got = fn({v.ir_name: v.value for v in b.variables()}, x, mask)
    for (mode, expected), a in zip(merged.items(), got):
        np.testing.assert_allclose(np.asarray(a), expected, rtol=1e-5, atol=1e-5, err_msg=mode)
    assert layer.compute_output_shape((None, 6, 3)) == (None, 6, 4)
    assert L.Bidirectional(L.GRU(4, return_sequences=True)).compute_output_shape((None, 6, 3)) == (None, 6, 8)


def test_bidirectional_return_state_and_initial_state(keras):
    x = rand(2, 5, 3, seed=7)
    ours = L.Bidirectional(L.GRU(4, return_state=True))
    ours(x)
    twin = keras.layers.Bidirectional(keras.layers.GRU(4, return_state=True))
    twin(x)
    twin.set_weights(ours.get_weights())
    init = [rand(2, 4, seed=8), rand(2, 4, seed=9)]
    got, expected = ours(x, initial_state=init), twin(x, initial_state=init)
    assert len(got) == len(expected) == 3
    for a, e in zip(got, expected):
        np.testing.assert_allclose(np.asarray(a), np.asarray(e), rtol=1e-5, atol=1e-5)
    assert [w.path.split("/")[0] for w in ours.weights] == ["forward_" + ours.forward_layer.name[8:]] * 3 + \
        ["backward_" + ours.backward_layer.name[9:]] * 3
    with pytest.raises(ValueError, match="Invalid merge mode"):
        L.Bidirectional(L.LSTM(2), merge_mode="max")


def test_time_distributed_dense_and_conv2d(keras):
    x = rand(2, 4, 5, seed=11)
    td = L.TimeDistributed(L.Dense(3, bias_initializer="random_normal"))
    out, twin = check_against_keras(keras, td, "TimeDistributed", {"layer": keras.layers.Dense(3)}, x)
    assert out.shape == (2, 4, 3)
    _, _, graph = run_traced(td, x)
    assert [n.op for n in graph.nodes].count("matmul") == 1        # one Dense for every step
    images = rand(2, 3, 6, 6, 2, seed=12)
    td = L.TimeDistributed(L.Conv2D(4, 3, bias_initializer="random_normal"))
    td(images)
    twin = keras.layers.TimeDistributed(keras.layers.Conv2D(4, 3))
    twin(images)
    twin.set_weights(td.get_weights())
    traced, _, _ = run_traced(td, images)
    np.testing.assert_allclose(traced, np.asarray(twin(images)), rtol=1e-4, atol=1e-4)
    assert td.compute_output_shape((None, 3, 6, 6, 2)) == (None, 3, 4, 4, 4)


def test_fit_embedding_lstm_learns():
    rng = np.random.default_rng(0)
    n = 800
    labels = rng.integers(0, 2, n)
    # class 0 draws tokens from 1..499, class 1 from 500..998; lengths 3..19, pre-padded with 0
    seqs = [rng.integers(1, 500, size=rng.integers(3, 20)) + 499 * labels[i] for i in range(n)]
    x = kxla.utils.pad_sequences(seqs, maxlen=20)
    model = kxla.Sequential([L.Embedding(1000, 16, mask_zero=True), L.LSTM(16), L.Dense(1, activation="sigmoid")])
    model.compile(kxla.optimizers.Adam(0.01), "binary_crossentropy", metrics=["accuracy"])
    history = model.fit(x[:640], labels[:640], batch_size=64, epochs=3, verbose=0)
    assert history.history["accuracy"][-1] > 0.9
    predicted = (model.predict(x[640:], verbose=0)[:, 0] > 0.5).astype(int)
    assert (predicted == labels[640:]).mean() > 0.9


def test_ir_round_trips_and_passes_preserve_meaning():
    from kxla.ir import parse, print_graph
    from kxla.passes.pipelines import INFERENCE_PIPELINE
    from kxla.testing.numerics import assert_semantics_preserved
    inp = kxla.Input((6, 3))
    h = L.TimeDistributed(L.Dense(4))(inp)
    h = L.Bidirectional(L.LSTM(5, return_sequences=True, go_backwards=False))(h)
    h = L.GRU(3, return_sequences=True, reset_after=False)(h)
    out = L.Dense(2)(L.GlobalAveragePooling1D()(h))
    graph = kxla.Model(inp, out).to_ir()
    text = print_graph(graph)
    assert print_graph(parse(text)) == text
    assert [n.op for n in graph.nodes].count("lstm") == 2 and "fold_time" in text and "unfold_time" in text
    assert_semantics_preserved(INFERENCE_PIPELINE + ",convert-layout{to=channels_first}", graph, n=1,
                               rtol=1e-4, atol=1e-5)
