"""Keras's legacy full-model ``.h5`` files (``model.save("m.h5")``), written by one library and read by the other."""
import h5py
import numpy as np
import pytest

import kxla
from kxla.saving import FormatError

keras = pytest.importorskip("keras")

RNG = np.random.default_rng(0)
XS = [RNG.normal(size=(4, 5)).astype("float32") for _ in range(2)]
YS = [np.ones((4, 2), "float32"), np.zeros((4, 2), "float32")]
X1 = RNG.normal(size=(4, 6)).astype("float32")


def _functional(lib):
    L = lib.layers
    a, b = lib.Input((5,), name="a"), lib.Input((5,), name="b")
    shared = L.Dense(4, name="shared")
    z = L.BatchNormalization()(L.Concatenate()([shared(a), shared(b)]))
    inner = lib.Sequential([L.Dense(3), L.Dense(2)], name="inner")
    return lib.Model([a, b], [inner(z), L.LSTM(2)(L.Reshape((4, 2))(z))])


def _sequential(lib):
    L = lib.layers
    return lib.Sequential([lib.Input((6,)), L.Dense(4, activation="relu"), L.LayerNormalization(), L.Dense(2)])


def _outs(model, x):
    y = model(x)
    return [np.asarray(t) for t in (y if isinstance(y, (list, tuple)) else [y])]


def _close(a, b):
    assert len(a) == len(b)
    for u, v in zip(a, b):
        np.testing.assert_allclose(u, v, rtol=1e-5, atol=1e-6)


def _optimizer_arrays(path):
    with h5py.File(path, "r") as f:
        g = f["optimizer_weights"]
        return [np.asarray(g[n]) for n in g.attrs["weight_names"]]


@pytest.mark.slow
def test_keras_legacy_h5_functional_loads_in_kxla_compiled(tmp_path):
    km = _functional(keras)
    km.compile(optimizer=keras.optimizers.Adam(1e-2), loss="mse")
    km.fit(XS, YS, epochs=2, batch_size=2, verbose=0)
    km.save(tmp_path / "k.h5")
    m = kxla.models.load_model(tmp_path / "k.h5")
    assert [l.name for l in m.layers] == [l.name for l in km.layers]
    _close(_outs(m, XS), _outs(km, XS))
    assert m.compiled and type(m.optimizer).__name__ == "Adam"
    assert int(np.asarray(m._opt_state["iterations"])) == 4
    m.save(tmp_path / "m.h5")                           # the optimizer state comes back out unchanged
    _close(_optimizer_arrays(tmp_path / "m.h5")[2:], _optimizer_arrays(tmp_path / "k.h5")[2:])
    bare = _functional(kxla)                            # load_weights reads a full-model file, as Keras
    bare.load_weights(tmp_path / "k.h5")
    _close(_outs(bare, XS), _outs(km, XS))


def test_kxla_legacy_h5_loads_in_keras(tmp_path):
    m = _sequential(kxla)
    # a loss object: Keras 3.15 cannot itself reload a legacy file compiled with the string "mse"
    m.compile(optimizer=kxla.optimizers.Adam(1e-2), loss=kxla.losses.MeanSquaredError(),
              metrics=[kxla.metrics.MeanAbsoluteError()])
    m.fit(X1, np.ones((4, 2), "float32"), batch_size=2, verbose=0)
    m.save(tmp_path / "m.h5")
    with h5py.File(tmp_path / "m.h5", "r") as f:
        assert {"model_config", "training_config", "keras_version", "backend"} <= set(f.attrs)
        names = [n.decode() if isinstance(n, bytes) else n for n in f["model_weights"].attrs["layer_names"]]
        assert names == [l.name for l in m.layers]
    km = keras.saving.load_model(tmp_path / "m.h5")
    _close(_outs(km, X1), _outs(m, X1))
    assert int(km.optimizer.iterations.numpy()) == 2
    assert km.optimizer.learning_rate.numpy() == pytest.approx(1e-2)
    again = kxla.models.load_model(tmp_path / "m.h5")
    _close(_outs(again, X1), _outs(m, X1))


@pytest.mark.slow
def test_kxla_legacy_h5_functional_loads_in_keras(tmp_path):
    m = _functional(kxla)
    m.set_weights([RNG.uniform(0.1, 1, np.shape(w)).astype("float32") for w in m.get_weights()])
    m.save(tmp_path / "m.h5")
    km = keras.saving.load_model(tmp_path / "m.h5")
    _close(_outs(km, XS), _outs(m, XS))


def test_keras_legacy_h5_sequential_loads_in_kxla_compiled(tmp_path):
    km = _sequential(keras)
    km.compile(optimizer=keras.optimizers.Adam(1e-2), loss="mse", metrics=["mae"])
    km.fit(X1, np.ones((4, 2), "float32"), batch_size=2, verbose=0)
    km.save(tmp_path / "k.h5")
    m = kxla.models.load_model(tmp_path / "k.h5")
    _close(_outs(m, X1), _outs(km, X1))
    assert m.compiled and int(np.asarray(m._opt_state["iterations"])) == 2
    m.save(tmp_path / "m.h5")
    _close(_optimizer_arrays(tmp_path / "m.h5")[2:], _optimizer_arrays(tmp_path / "k.h5")[2:])


def test_uncompiled_keras_legacy_h5_functional_and_malformed_files(tmp_path):
    km = _functional(keras)
    km.set_weights([RNG.uniform(0.1, 1, np.shape(w)).astype("float32") for w in km.get_weights()])
    km.save(tmp_path / "k.h5")
    m = kxla.models.load_model(tmp_path / "k.h5")
    assert not m.compiled
    _close(_outs(m, XS), _outs(km, XS))
    bare = _functional(kxla)                            # load_weights reads a full-model file, as Keras
    bare.load_weights(tmp_path / "k.h5")
    _close(_outs(bare, XS), _outs(km, XS))
    with h5py.File(tmp_path / "bad.h5", "w") as f:
        f.create_group("model_weights")
    with pytest.raises(FormatError, match="no model config"):
        kxla.models.load_model(tmp_path / "bad.h5")
    (tmp_path / "junk.h5").write_bytes(b"not hdf5 at all")
    with pytest.raises(FormatError):
        kxla.models.load_model(tmp_path / "junk.h5")


def _as_keras2(entry):
    """A Keras 3 legacy config rewritten the way Keras 2 (tf.keras) wrote it: list-style inbound nodes,
    ``batch_input_shape``, dtype names, objects without a module."""
    if isinstance(entry, list):
        return [_as_keras2(e) for e in entry]
    if not isinstance(entry, dict):
        return entry
    if entry.get("class_name") == "DTypePolicy":
        return entry["config"]["name"]
    out = {k: _as_keras2(v) for k, v in entry.items() if k not in ("module", "registered_name")}
    if "inbound_nodes" in entry:
        out["inbound_nodes"] = [[[t["config"]["keras_history"][0], t["config"]["keras_history"][1],
                                  t["config"]["keras_history"][2], {}]
                                 for t in (n["args"][0] if isinstance(n["args"][0], list) else [n["args"][0]])]
                                for n in entry["inbound_nodes"]]
    if entry.get("class_name") == "InputLayer":
        out["config"]["batch_input_shape"] = out["config"].pop("batch_shape")
    return out


def test_keras2_style_functional_h5_loads_like_keras3_loads_it(tmp_path):
    import json
    L = keras.layers
    a, b = keras.Input((5,), name="a"), keras.Input((5,), name="b")
    shared = L.Dense(4, name="shared")
    z = L.BatchNormalization(axis=-1)(L.Concatenate()([shared(a), shared(b)]))
    km = keras.Model([a, b], L.Dense(2, kernel_initializer="he_normal")(z))
    km.set_weights([RNG.uniform(0.1, 1, np.shape(w)).astype("float32") for w in km.get_weights()])
    km.save(tmp_path / "k.h5")
    with h5py.File(tmp_path / "k.h5", "r+") as f:
        config = json.loads(f.attrs["model_config"])
        f.attrs["model_config"] = json.dumps(_as_keras2(config)).encode()
    oracle = keras.saving.load_model(tmp_path / "k.h5")
    m = kxla.models.load_model(tmp_path / "k.h5")
    _close(_outs(m, XS), _outs(oracle, XS))
    _close(_outs(m, XS), _outs(km, XS))
