"""The benchmark workloads, each written four ways: kxla, Keras 3, and hand-written JAX (params, apply).

A workload is a ``Workload``: synthetic data, the model built with kxla and
with Keras 3, the same network written by hand as ``init(key) -> (params,
state)`` / ``apply(params, state, x, training) -> (probs, new_state)``, the
loss, and the optimizer (named once, translated to kxla, Keras and optax).

The hand-written baselines are written as a JAX user writes them: recurrent
layers project each step's input inside the ``lax.scan`` body, BatchNorm uses
the one-pass variance ``E[x^2] - E[x]^2``. ``jax_from_weights(weights)`` maps a
kxla model's ``get_weights()`` to the baseline's ``(params, state)``, so
tests/benchmarks/test_workloads.py checks every baseline against kxla on the
same weights.

Imports of kxla / keras / optax happen inside the builders, so a benchmark
child process pays only for the system it measures.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Callable

import numpy as np


@dataclass
class Workload:
    name: str
    kind: str                        # "train" (fit + predict) or "infer" (predict only)
    batch: int
    n: int                           # training samples (full mode)
    n_quick: int                     # training samples (--quick)
    n_predict: int                   # samples for the batch-1024 predict throughput
    n_predict_quick: int
    optimizer: tuple = ("adam", {"learning_rate": 1e-3})
    loss: str = "sparse_categorical_crossentropy"
    make_data: Callable = None       # (n, seed) -> (x, y)
    kxla_model: Callable = None      # () -> kxla model
    keras_model: Callable = None     # () -> keras model
    jax_init: Callable = None        # (key) -> (params, state)
    jax_apply: Callable = None       # (params, state, x, training) -> (probs, new_state)
    jax_from_weights: Callable = None  # (kxla model.get_weights()) -> (params, state) of the baseline
    needs: tuple = ()                # kxla attributes the workload needs ("layers.LSTM")
    note: str = ""
    extra: dict = field(default_factory=dict)


# -- data ------------------------------------------------------------------------------
def _images(shape, classes=10):
    def make(n, seed=0):
        rng = np.random.default_rng(seed)
        x = rng.random((n,) + shape, dtype=np.float32)
        y = rng.integers(0, classes, n).astype(np.int32)
        return x, y
    return make


def _sequences(n, seed=0, vocab=10000, length=200):
    rng = np.random.default_rng(seed)
    x = rng.integers(1, vocab, (n, length)).astype(np.int32)
    y = rng.integers(0, 2, n).astype(np.float32)
    return x, y


# -- hand-written JAX pieces (Keras's initializers and math) --------------------------------
def _glorot(key, shape, fan_in, fan_out):
    import jax
    limit = math.sqrt(6.0 / (fan_in + fan_out))
    return jax.random.uniform(key, shape, minval=-limit, maxval=limit, dtype="float32")


def _dense_init(key, n_in, n_out):
    import jax.numpy as jnp
    return {"kernel": _glorot(key, (n_in, n_out), n_in, n_out), "bias": jnp.zeros((n_out,), "float32")}


def _conv_init(key, kh, kw, cin, cout, bias=True):
    import jax.numpy as jnp
    rf = kh * kw
    p = {"kernel": _glorot(key, (kh, kw, cin, cout), rf * cin, rf * cout)}
    if bias:
        p["bias"] = jnp.zeros((cout,), "float32")
    return p


def _conv(x, p, padding="VALID", strides=(1, 1), data_format="channels_last"):
    import jax
    dn = ("NHWC", "HWIO", "NHWC") if data_format == "channels_last" else ("NCHW", "HWIO", "NCHW")
    y = jax.lax.conv_general_dilated(x, p["kernel"], strides, padding, dimension_numbers=dn)
    if "bias" in p:
        y = y + (p["bias"] if data_format == "channels_last" else p["bias"][:, None, None])
    return y


def _maxpool(x, data_format="channels_last"):
    import jax
    import jax.numpy as jnp
    window = (1, 2, 2, 1) if data_format == "channels_last" else (1, 1, 2, 2)
    return jax.lax.reduce_window(x, -jnp.inf, jax.lax.max, window, window, "VALID")


def _dense(x, p):
    return x @ p["kernel"] + p["bias"]


# -- mlp ----------------------------------------------------------------------------------
def _mlp_kxla(hidden):
    def build():
        import kxla
        from kxla import layers
        return kxla.Sequential([layers.Input(shape=(784,))] +
                               [layers.Dense(h, activation="relu") for h in hidden] +
                               [layers.Dense(10, activation="softmax")])
    return build


def _mlp_keras(hidden):
    def build():
        import keras
        from keras import layers
        return keras.Sequential([keras.Input(shape=(784,))] +
                                [layers.Dense(h, activation="relu") for h in hidden] +
                                [layers.Dense(10, activation="softmax")])
    return build


def _mlp_jax(hidden):
    sizes = [784] + list(hidden) + [10]

    def init(key):
        import jax
        keys = jax.random.split(key, len(sizes) - 1)
        return {f"d{i}": _dense_init(k, a, b) for i, (k, a, b) in enumerate(zip(keys, sizes, sizes[1:]))}, {}

    def apply(params, state, x, training):
        import jax
        for i in range(len(sizes) - 2):
            x = jax.nn.relu(_dense(x, params[f"d{i}"]))
        return jax.nn.softmax(_dense(x, params[f"d{len(sizes) - 2}"])), state
    return init, apply


# -- cnn ----------------------------------------------------------------------------------
def _cnn_kxla(data_format="channels_last"):
    def build():
        import kxla
        from kxla import layers
        shape = (28, 28, 1) if data_format == "channels_last" else (1, 28, 28)
        return kxla.Sequential([
            layers.Input(shape=shape),
            layers.Conv2D(32, 3, activation="relu", data_format=data_format),
            layers.MaxPooling2D(2, data_format=data_format),
            layers.Conv2D(64, 3, activation="relu", data_format=data_format),
            layers.MaxPooling2D(2, data_format=data_format),
            layers.Flatten(),
            layers.Dense(64, activation="relu"),
            layers.Dense(10, activation="softmax")])
    return build


def _cnn_keras(data_format="channels_last"):
    def build():
        import keras
        from keras import layers
        shape = (28, 28, 1) if data_format == "channels_last" else (1, 28, 28)
        return keras.Sequential([
            keras.Input(shape=shape),
            layers.Conv2D(32, 3, activation="relu", data_format=data_format),
            layers.MaxPooling2D(2, data_format=data_format),
            layers.Conv2D(64, 3, activation="relu", data_format=data_format),
            layers.MaxPooling2D(2, data_format=data_format),
            layers.Flatten(),
            layers.Dense(64, activation="relu"),
            layers.Dense(10, activation="softmax")])
    return build


def _cnn_jax(data_format="channels_last"):
    def init(key):
        import jax
        k = jax.random.split(key, 4)
        return {"c1": _conv_init(k[0], 3, 3, 1, 32), "c2": _conv_init(k[1], 3, 3, 32, 64),
                "d1": _dense_init(k[2], 5 * 5 * 64, 64), "d2": _dense_init(k[3], 64, 10)}, {}

    def apply(params, state, x, training):
        import jax
        x = _maxpool(jax.nn.relu(_conv(x, params["c1"], data_format=data_format)), data_format)
        x = _maxpool(jax.nn.relu(_conv(x, params["c2"], data_format=data_format)), data_format)
        x = x.reshape(x.shape[0], -1)
        x = jax.nn.relu(_dense(x, params["d1"]))
        return jax.nn.softmax(_dense(x, params["d2"])), state
    return init, apply


# -- resnet_bn: stem, 2 identity blocks at 16 channels, a strided conv to 32, 1 identity block ----
_RESNET_BLOCKS = [("stem", 3, 16, 1), ("b1", 16, 16, 1), ("b2", 16, 16, 1), ("down", 16, 32, 2), ("b3", 32, 32, 1)]


def _resnet_kxla():
    import kxla
    from kxla import layers
    return _resnet_generic(kxla, layers, kxla.Model, kxla.Input)


def _resnet_keras():
    import keras
    from keras import layers
    return _resnet_generic(keras, layers, keras.Model, keras.Input)


def _resnet_generic(lib, layers, Model, Input):
    def cbr(x, filters, strides=1, relu=True):
        x = layers.Conv2D(filters, 3, strides=strides, padding="same", use_bias=False)(x)
        x = layers.BatchNormalization()(x)
        return layers.Activation("relu")(x) if relu else x

    inputs = Input(shape=(32, 32, 3))
    x = inputs
    for name, cin, cout, stride in _RESNET_BLOCKS:
        if name in ("stem", "down"):
            x = cbr(x, cout, stride)
        else:
            y = cbr(x, cout)
            y = cbr(y, cout, relu=False)
            x = layers.Activation("relu")(layers.Add()([x, y]))
    x = layers.GlobalAveragePooling2D()(x)
    return Model(inputs, layers.Dense(10, activation="softmax")(x))


def _resnet_jax():
    def bn_init(c):
        import jax.numpy as jnp
        return ({"gamma": jnp.ones((c,), "float32"), "beta": jnp.zeros((c,), "float32")},
                {"mean": jnp.zeros((c,), "float32"), "var": jnp.ones((c,), "float32")})

    def init(key):
        import jax
        keys = iter(jax.random.split(key, 16))
        params, state = {}, {}
        for name, cin, cout, _ in _RESNET_BLOCKS:
            convs = 1 if name in ("stem", "down") else 2
            for j in range(convs):
                tag = f"{name}_{j}"
                params[tag] = _conv_init(next(keys), 3, 3, cin if j == 0 else cout, cout, bias=False)
                params[tag + "_bn"], state[tag + "_bn"] = bn_init(cout)
        params["head"] = _dense_init(next(keys), 32, 10)
        return params, state

    def bn(x, p, s, training):
        import jax.numpy as jnp
        if training:
            mean = jnp.mean(x, axis=(0, 1, 2))
            var = jnp.maximum(jnp.mean(jnp.square(x), axis=(0, 1, 2)) - jnp.square(mean), 0.0)   # one pass
            s = {"mean": s["mean"] * 0.99 + mean * 0.01, "var": s["var"] * 0.99 + var * 0.01}
        else:
            mean, var = s["mean"], s["var"]
        return (x - mean) * (p["gamma"] / jnp.sqrt(var + 1e-3)) + p["beta"], s

    def apply(params, state, x, training):
        import jax
        new_state = {}

        def cbr(x, tag, stride, relu=True):
            y = _conv(x, params[tag], padding="SAME", strides=(stride, stride))
            y, new_state[tag + "_bn"] = bn(y, params[tag + "_bn"], state[tag + "_bn"], training)
            return jax.nn.relu(y) if relu else y

        for name, _, _, stride in _RESNET_BLOCKS:
            if name in ("stem", "down"):
                x = cbr(x, f"{name}_0", stride)
            else:
                y = cbr(x, f"{name}_0", 1)
                y = cbr(y, f"{name}_1", 1, relu=False)
                x = jax.nn.relu(x + y)
        x = x.mean(axis=(1, 2))
        return jax.nn.softmax(_dense(x, params["head"])), new_state
    return init, apply


# -- lstm / gru --------------------------------------------------------------------------------
def _rnn_kxla(kind):
    def build():
        import kxla
        from kxla import layers
        cell = layers.LSTM(32) if kind == "lstm" else layers.GRU(32)
        return kxla.Sequential([layers.Input(shape=(200,), dtype="int32"), layers.Embedding(10000, 32),
                                cell, layers.Dense(1, activation="sigmoid")])
    return build


def _rnn_keras(kind):
    def build():
        import keras
        from keras import layers
        cell = layers.LSTM(32) if kind == "lstm" else layers.GRU(32)
        return keras.Sequential([keras.Input(shape=(200,), dtype="int32"), layers.Embedding(10000, 32),
                                 cell, layers.Dense(1, activation="sigmoid")])
    return build


def _rnn_jax(kind):
    """Keras's LSTM (gates i, f, c, o) / GRU (z, r, h; reset_after), each step's projection in the loop."""
    units, gates = 32, 4 if kind == "lstm" else 3

    def init(key):
        import jax
        import jax.numpy as jnp
        k = jax.random.split(key, 4)
        emb = jax.random.uniform(k[0], (10000, 32), minval=-0.05, maxval=0.05, dtype="float32")
        q, _ = jnp.linalg.qr(jax.random.normal(k[2], (gates * units, units), "float32"))
        if kind == "lstm":
            bias = jnp.concatenate([jnp.zeros(units), jnp.ones(units), jnp.zeros(2 * units)]).astype("float32")
        else:
            bias = jnp.zeros((2, 3 * units), "float32")
        return {"emb": emb, "kernel": _glorot(k[1], (32, gates * units), 32, gates * units),
                "recurrent": q.T.astype("float32"), "bias": bias, "head": _dense_init(k[3], units, 1)}, {}

    def lstm_cell(params, carry, x_t):
        import jax
        import jax.numpy as jnp
        h, c = carry
        z = x_t @ params["kernel"] + h @ params["recurrent"] + params["bias"]
        i, f, g, o = jnp.split(z, 4, axis=-1)
        c = jax.nn.sigmoid(f) * c + jax.nn.sigmoid(i) * jnp.tanh(g)
        h = jax.nn.sigmoid(o) * jnp.tanh(c)
        return (h, c), None

    def gru_cell(params, carry, x_t):
        import jax
        import jax.numpy as jnp
        (h,) = carry
        xz, xr, xh = jnp.split(x_t @ params["kernel"] + params["bias"][0], 3, axis=-1)
        rz, rr, rh = jnp.split(h @ params["recurrent"] + params["bias"][1], 3, axis=-1)
        z = jax.nn.sigmoid(xz + rz)
        r = jax.nn.sigmoid(xr + rr)
        h = z * h + (1 - z) * jnp.tanh(xh + r * rh)
        return (h,), None

    def apply(params, state, x, training):
        import jax
        import jax.numpy as jnp
        e = jnp.swapaxes(jnp.take(params["emb"], x, axis=0), 0, 1)      # (t, b, 32)
        h0 = jnp.zeros((x.shape[0], units), "float32")
        cell = lstm_cell if kind == "lstm" else gru_cell
        carry, _ = jax.lax.scan(lambda c, x_t: cell(params, c, x_t), (h0, h0) if kind == "lstm" else (h0,), e)
        return jax.nn.sigmoid(_dense(carry[0], params["head"])), state
    return init, apply


def _rnn_from_weights(weights):
    emb, kernel, recurrent, bias, dk, db = weights
    return {"emb": emb, "kernel": kernel, "recurrent": recurrent, "bias": bias,
            "head": {"kernel": dk, "bias": db}}, {}


def _mlp_from_weights(weights):
    return {f"d{i}": {"kernel": k, "bias": b} for i, (k, b) in enumerate(zip(weights[::2], weights[1::2]))}, {}


def _cnn_from_weights(weights):
    names = ["c1", "c2", "d1", "d2"]
    return {n: {"kernel": k, "bias": b} for n, k, b in zip(names, weights[::2], weights[1::2])}, {}


def _resnet_from_weights(weights):
    it = iter(weights)
    params, state = {}, {}
    for name, _, _, _ in _RESNET_BLOCKS:
        for j in range(1 if name in ("stem", "down") else 2):
            tag = f"{name}_{j}"
            params[tag] = {"kernel": next(it)}
            params[tag + "_bn"] = {"gamma": next(it), "beta": next(it)}
            state[tag + "_bn"] = {"mean": next(it), "var": next(it)}
    params["head"] = {"kernel": next(it), "bias": next(it)}
    return params, state


def _with(pair):
    init, apply = pair
    return {"jax_init": init, "jax_apply": apply}


WORKLOADS = {
    "mlp": Workload("mlp", "train", batch=128, n=60000, n_quick=8192, n_predict=60000, n_predict_quick=16384,
                    make_data=_images((784,)), kxla_model=_mlp_kxla((512, 512)), keras_model=_mlp_keras((512, 512)),
                    jax_from_weights=_mlp_from_weights, **_with(_mlp_jax((512, 512)))),
    "mlp_small": Workload("mlp_small", "train", batch=32, n=60000, n_quick=16384, n_predict=60000,
                          n_predict_quick=16384, make_data=_images((784,)), kxla_model=_mlp_kxla((32,)),
                          keras_model=_mlp_keras((32,)), jax_from_weights=_mlp_from_weights,
                          **_with(_mlp_jax((32,)))),
    "cnn": Workload("cnn", "train", batch=32, n=60000, n_quick=2048, n_predict=10000, n_predict_quick=4096,
                    make_data=_images((28, 28, 1)), kxla_model=_cnn_kxla(), keras_model=_cnn_keras(),
                    jax_from_weights=_cnn_from_weights, **_with(_cnn_jax())),
    "resnet_bn": Workload("resnet_bn", "train", batch=64, n=10000, n_quick=640, n_predict=4096,
                          n_predict_quick=2048, optimizer=("sgd", {"learning_rate": 0.01, "momentum": 0.9}),
                          make_data=_images((32, 32, 3)), kxla_model=_resnet_kxla, keras_model=_resnet_keras,
                          jax_from_weights=_resnet_from_weights, **_with(_resnet_jax())),
    "lstm": Workload("lstm", "train", batch=32, n=25000, n_quick=640, n_predict=4096, n_predict_quick=2048,
                     optimizer=("rmsprop", {"learning_rate": 1e-3}), loss="binary_crossentropy",
                     make_data=_sequences, kxla_model=_rnn_kxla("lstm"), keras_model=_rnn_keras("lstm"),
                     jax_from_weights=_rnn_from_weights, needs=("layers.Embedding", "layers.LSTM"),
                     **_with(_rnn_jax("lstm"))),
    "gru": Workload("gru", "train", batch=32, n=25000, n_quick=640, n_predict=4096, n_predict_quick=2048,
                    optimizer=("rmsprop", {"learning_rate": 1e-3}), loss="binary_crossentropy",
                    make_data=_sequences, kxla_model=_rnn_kxla("gru"), keras_model=_rnn_keras("gru"),
                    jax_from_weights=_rnn_from_weights, needs=("layers.Embedding", "layers.GRU"),
                    **_with(_rnn_jax("gru"))),
    "cnn_channels_first": Workload("cnn_channels_first", "infer", batch=32, n=0, n_quick=0, n_predict=10000,
                                   n_predict_quick=4096, make_data=_images((1, 28, 28)),
                                   kxla_model=_cnn_kxla("channels_first"), keras_model=_cnn_keras("channels_first"),
                                   note="inference only: the same cnn built channels_first",
                                   extra={"channels_last": _cnn_kxla("channels_last")},
                                   jax_from_weights=_cnn_from_weights, **_with(_cnn_jax("channels_first"))),
}


def optimizer_for(system: str, spec: tuple):
    """The workload's optimizer for ``system`` ("kxla", "keras" or "optax")."""
    name, kw = spec
    if system == "optax":
        import optax
        if name == "adam":
            return optax.adam(kw["learning_rate"], eps=1e-7)
        if name == "sgd":
            return optax.sgd(kw["learning_rate"], momentum=kw.get("momentum"))
        if name == "rmsprop":
            return optax.rmsprop(kw["learning_rate"], decay=0.9, eps=1e-7)
        raise ValueError(name)
    if system == "kxla":
        import kxla
        mod = kxla.optimizers
    else:
        import keras
        mod = keras.optimizers
    cls = {"adam": mod.Adam, "sgd": mod.SGD, "rmsprop": mod.RMSprop}[name]
    return cls(**kw)


def jax_loss(name: str):
    """Keras's loss on probabilities, written with jax.numpy (the hand-written baselines use it)."""
    import jax.numpy as jnp
    eps = 1e-7
    if name == "sparse_categorical_crossentropy":
        def loss(probs, y):
            probs = probs / jnp.sum(probs, axis=-1, keepdims=True)
            p = jnp.take_along_axis(jnp.clip(probs, eps, 1 - eps), y[:, None].astype("int32"), axis=-1)
            return -jnp.log(p[:, 0])
        return loss
    if name == "binary_crossentropy":
        def loss(probs, y):
            p = jnp.clip(probs[:, 0], eps, 1 - eps)
            return -(y * jnp.log(p) + (1 - y) * jnp.log(1 - p))
        return loss
    raise ValueError(name)
