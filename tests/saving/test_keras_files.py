"""Keras 3 files both ways: configs, .weights.h5 and .keras archives written by one library, read by the other."""
import json
import zipfile

import numpy as np
import pytest

import kxla
from kxla import layers
from kxla.saving import FormatError, register_keras_serializable

pytest.importorskip("h5py")
keras = pytest.importorskip("keras")

X = np.random.default_rng(0).normal(size=(6, 8, 8, 3)).astype("float32")
V = np.random.default_rng(1).normal(size=(6, 5)).astype("float32")


def _close(a, b):
    a = a if isinstance(a, list) else [a]
    b = b if isinstance(b, list) else [b]
    assert len(a) == len(b)
    for u, v in zip(a, b):
        np.testing.assert_allclose(np.asarray(u), np.asarray(v), rtol=1e-5, atol=1e-5)


def _keras_sequential(lib):
    L = lib.layers
    return lib.Sequential([lib.Input((8, 8, 3)), L.Conv2D(4, 3, activation="relu", padding="same"),
                           L.BatchNormalization(), L.MaxPooling2D(), L.DepthwiseConv2D(3),
                           L.GlobalAveragePooling2D(), L.Activation("sigmoid"), L.Dense(3, activation="softmax")])


def _keras_functional(lib):
    L = lib.layers
    a = lib.Input((5,), name="a")
    b = lib.Input((5,), name="b")
    shared = L.Dense(4, activation="tanh", name="shared")
    inner = lib.Sequential([L.Dense(3), L.Dense(2)], name="inner")
    z = L.Concatenate()([shared(a), shared(b)])
    z = L.Add()([inner(z), L.Dense(2, kernel_regularizer="l2")(z)])
    return lib.Model([a, b], [z, L.Dense(1, name="score")(z)], name="two_heads")


MODELS = {"sequential": (_keras_sequential, X), "functional": (_keras_functional, [V, V[::-1].copy()])}
KINDS = ["functional", pytest.param("sequential", marks=pytest.mark.slow)]     # both kinds under -m slow


def _predict(model, x):
    """Outputs of a direct call (no compiled predict step: keeps the tests fast)."""
    out = model.predict(x, verbose=0) if isinstance(model, kxla.Model) else model(x)
    return [np.asarray(o) for o in out] if isinstance(out, (list, tuple)) else [np.asarray(out)]


@pytest.mark.parametrize("kind", KINDS)
def test_keras_config_builds_the_same_model_in_kxla_and_back(kind):
    build, x = MODELS[kind]
    km = build(keras)
    m = kxla.Model.from_config(km.get_config()) if kind == "functional" else \
        kxla.Sequential.from_config(km.get_config())
    assert [l.name for l in m.layers] == [l.name for l in km.layers]
    m.set_weights(km.get_weights())
    _close(_predict(m, x), _predict(km, x))
    # kxla's config goes back into Keras, and into kxla, with the same structure
    k2 = (keras.Model if kind == "functional" else keras.Sequential).from_config(m.get_config())
    k2.set_weights(m.get_weights())
    _close(_predict(k2, x), _predict(km, x))
    m2 = type(m).from_config(json.loads(json.dumps(m.get_config())))
    assert [type(l).__name__ for l in m2.layers] == [type(l).__name__ for l in m.layers]


@pytest.mark.parametrize("kind", sorted(MODELS))
def test_weights_h5_both_ways(kind, tmp_path):
    build, x = MODELS[kind]
    km, m = build(keras), build(kxla)
    km.save_weights(tmp_path / "k.weights.h5")
    m.load_weights(tmp_path / "k.weights.h5")
    _close(_predict(m, x), _predict(km, x))
    k2 = build(keras)
    m.save_weights(tmp_path / "m.weights.h5")
    k2.load_weights(tmp_path / "m.weights.h5")
    _close(_predict(k2, x), _predict(km, x))


def _fit(model, x, lib):
    y = [np.ones((len(V), 2), "float32"), np.zeros((len(V), 1), "float32")] if isinstance(x, list) else \
        np.eye(3, dtype="float32")[np.arange(len(X)) % 3]
    model.compile(optimizer=lib.optimizers.Adam(1e-2), loss="mse" if isinstance(x, list) else
                  "categorical_crossentropy", metrics=None)
    model.fit(x, y, epochs=2, batch_size=3, verbose=0)
    return y


@pytest.mark.parametrize("kind", KINDS)
def test_keras_archive_written_by_keras_loads_in_kxla_with_optimizer_state(kind, tmp_path):
    build, x = MODELS[kind]
    km = build(keras)
    y = _fit(km, x, keras)
    km.save(tmp_path / "k.keras")
    m = kxla.models.load_model(tmp_path / "k.keras")
    _close(_predict(m, x), _predict(km, x))
    assert int(np.asarray(m._opt_state["iterations"])) == 4
    km.fit(x, y, epochs=1, batch_size=3, verbose=0, shuffle=False)     # one more epoch on both: same weights
    m.fit(x, y, epochs=1, batch_size=3, verbose=0, shuffle=False)
    _close(_predict(m, x), _predict(km, x))


@pytest.mark.parametrize("kind", KINDS)
def test_keras_archive_written_by_kxla_loads_in_keras(kind, tmp_path):
    build, x = MODELS[kind]
    m = build(kxla)
    _fit(m, x, kxla)
    m.save(tmp_path / "m.keras")
    with zipfile.ZipFile(tmp_path / "m.keras") as zf:
        assert sorted(zf.namelist()) == ["config.json", "metadata.json", "model.weights.h5"]
    km = keras.saving.load_model(tmp_path / "m.keras")
    _close(_predict(km, x), _predict(m, x))
    assert int(km.optimizer.iterations.numpy()) == 4
    assert km.optimizer.learning_rate.numpy() == pytest.approx(1e-2)


def _optimizer_values(model):
    return [np.asarray(v.numpy()) for v in model.optimizer.variables]


def test_weights_h5_carry_the_optimizer_state_both_ways(tmp_path):
    """``save_weights`` writes ``optimizer/vars`` and ``load_weights`` restores a built optimizer, as Keras."""
    build, x = MODELS["functional"]
    km, m = build(keras), build(kxla)
    m.set_weights(km.get_weights())
    y = _fit(km, x, keras)
    _fit(m, x, kxla)
    km.save_weights(tmp_path / "k.weights.h5")
    m.save_weights(tmp_path / "m.weights.h5")
    k2, m2 = build(keras), build(kxla)                 # trained one epoch elsewhere: built, other state
    for model, lib in ((k2, keras), (m2, kxla)):
        _fit(model, x, lib)
    m2.load_weights(tmp_path / "k.weights.h5")
    k2.load_weights(tmp_path / "m.weights.h5")
    names = [v.name for v in km.optimizer.variables]
    assert len(m2.optimizer.variables) == len(names)
    _close(_optimizer_values(m2), _optimizer_values(km))
    _close(_optimizer_values(k2), _optimizer_values(m))
    km.fit(x, y, epochs=1, batch_size=3, verbose=0, shuffle=False)      # they go on training alike
    m2.fit(x, y, epochs=1, batch_size=3, verbose=0, shuffle=False)
    _close(m2.get_weights(), km.get_weights())


def test_weights_h5_into_an_unbuilt_optimizer_warns_as_keras(tmp_path):
    build, x = MODELS["functional"]
    m = build(kxla)
    _fit(m, x, kxla)
    m.save_weights(tmp_path / "m.weights.h5")
    fresh = {}
    for lib in (keras, kxla):
        fresh[lib] = build(lib)
        fresh[lib].compile(optimizer=lib.optimizers.Adam(1e-2, name="adam"), loss="mse")
        with pytest.warns(UserWarning) as record:
            fresh[lib].load_weights(tmp_path / "m.weights.h5")
        fresh[lib] = [str(w.message) for w in record if "optimizer" in str(w.message)]
    assert fresh[kxla] == fresh[keras] and fresh[kxla][0].startswith("Skipping variable loading for optimizer")


@pytest.mark.parametrize("make", [lambda: kxla.optimizers.Muon(), lambda: kxla.optimizers.Adam(use_ema=True)],
                         ids=["muon", "adam_ema"])
def test_weights_h5_round_trip_other_optimizer_layouts(make, tmp_path):
    build, x = MODELS["functional"]
    y = [np.ones((len(V), 2), "float32"), np.zeros((len(V), 1), "float32")]
    models = []
    for _ in range(2):
        models.append(build(kxla))
        models[-1].compile(optimizer=make(), loss="mse")
        models[-1].fit(x, y, epochs=1, batch_size=3, verbose=0)
    models[0].fit(x, y, epochs=1, batch_size=3, verbose=0)
    models[0].save_weights(tmp_path / "m.weights.h5")
    models[1].load_weights(tmp_path / "m.weights.h5")
    _close(_optimizer_values(models[1]), _optimizer_values(models[0]))


@register_keras_serializable(package="kf_tests")
def doubled_relu(x):
    return kxla.ops.relu(x) * 2.0


@register_keras_serializable(package="kf_tests")
class Gain(layers.Layer):
    def __init__(self, factor=1.5, **kwargs):
        super().__init__(**kwargs)
        self.factor = factor

    def build(self, input_shape):
        self.gain = self.add_weight(shape=(input_shape[-1],), initializer="ones", name="gain")

    def call(self, x):
        return x * self.gain * self.factor

    def get_config(self):
        return {**super().get_config(), "factor": self.factor}


@register_keras_serializable(package="kf_tests")
class TwoLayer(kxla.Model):
    def __init__(self, units=3, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.hidden = layers.Dense(units, activation="relu")
        self.out = layers.Dense(1)

    def call(self, x):
        return self.out(self.hidden(x))

    def get_config(self):
        return {**super().get_config(), "units": self.units}


def _keras_twins():
    """The same custom objects defined for Keras, under the same registered names."""
    @keras.saving.register_keras_serializable(package="kf_tests", name="doubled_relu")
    def k_doubled_relu(x):
        return keras.ops.relu(x) * 2.0

    @keras.saving.register_keras_serializable(package="kf_tests", name="Gain")
    class Gain(keras.layers.Layer):
        def __init__(self, factor=1.5, **kwargs):
            super().__init__(**kwargs)
            self.factor = factor

        def build(self, input_shape):
            self.gain = self.add_weight(shape=(input_shape[-1],), initializer="ones", name="gain")

        def call(self, x):
            return x * self.gain * self.factor

        def get_config(self):
            return {**super().get_config(), "factor": self.factor}

    @keras.saving.register_keras_serializable(package="kf_tests", name="TwoLayer")
    class TwoLayer(keras.Model):
        def __init__(self, units=3, **kwargs):
            super().__init__(**kwargs)
            self.units = units
            self.hidden = keras.layers.Dense(units, activation="relu")
            self.out = keras.layers.Dense(1)

        def call(self, x):
            return self.out(self.hidden(x))

        def get_config(self):
            return {**super().get_config(), "units": self.units}
    return k_doubled_relu, Gain, TwoLayer


def test_custom_layer_and_activation_by_registered_name_both_ways(tmp_path):
    k_relu, KGain, _ = _keras_twins()
    km = keras.Sequential([keras.Input((5,)), keras.layers.Dense(4, activation=k_relu), KGain(2.0)])
    km.layers[1].set_weights([np.full((4,), 0.5, "float32")])
    km.save(tmp_path / "k.keras")
    m = kxla.models.load_model(tmp_path / "k.keras")
    assert m.layers[0].activation is doubled_relu and isinstance(m.layers[1], Gain)
    _close(_predict(m, V), _predict(km, V))
    m.save(tmp_path / "m.keras")
    _close(_predict(keras.saving.load_model(tmp_path / "m.keras"), V), _predict(km, V))


def test_registered_subclassed_model_archive_both_ways(tmp_path):
    _, _, KTwoLayer = _keras_twins()
    km = KTwoLayer(units=4)
    km(V)
    km.save(tmp_path / "k.keras")
    m = kxla.models.load_model(tmp_path / "k.keras")
    assert isinstance(m, TwoLayer) and m.units == 4
    _close(_predict(m, V), _predict(km, V))
    m.save(tmp_path / "m.keras")
    k2 = keras.saving.load_model(tmp_path / "m.keras")
    _close(_predict(k2, V), _predict(km, V))


def test_to_json_model_from_json_and_clone_model():
    m = _keras_functional(kxla)
    text = m.to_json()
    assert json.loads(text)["class_name"] == "Functional"
    k = keras.models.model_from_json(text)
    m2 = kxla.models.model_from_json(k.to_json())
    assert [l.name for l in m2.layers] == [l.name for l in m.layers]
    clone = kxla.models.clone_model(m)
    assert [l.name for l in clone.layers] == [l.name for l in m.layers]
    assert all(a is not b for a, b in zip(clone.layers, m.layers))
    clone.set_weights(m.get_weights())
    _close(_predict(clone, [V, V]), _predict(m, [V, V]))
    seq = _keras_sequential(kxla)
    seq_clone = kxla.models.clone_model(seq, clone_function=lambda l: type(l).from_config(l.get_config()))
    seq_clone.set_weights(seq.get_weights())
    _close(_predict(seq_clone, X), _predict(seq, X))
    with pytest.raises(ValueError, match="call_function"):
        kxla.models.clone_model(m, call_function=lambda *a: None)


def test_serialization_api_scopes_and_custom_objects():
    from kxla.saving import (custom_object_scope, deserialize_keras_object, get_custom_objects,
                             serialize_keras_object)
    assert get_custom_objects()["kf_tests>Gain"] is Gain
    entry = serialize_keras_object(Gain(3.0, name="g"))
    assert entry["registered_name"] == "kf_tests>Gain" and entry["config"]["factor"] == 3.0
    assert entry == keras.saving.serialize_keras_object(_keras_twins()[1](3.0, name="g"))
    layer = deserialize_keras_object(entry)
    assert isinstance(layer, Gain) and layer.factor == 3.0 and layer.name == "g"
    assert serialize_keras_object(doubled_relu) == keras.saving.serialize_keras_object(_keras_twins()[0])

    def plain(x):
        return x
    fn_entry = serialize_keras_object(plain)
    with pytest.raises(ValueError, match="plain"):
        deserialize_keras_object(fn_entry)
    with custom_object_scope({"plain": plain}):
        assert deserialize_keras_object(fn_entry) is plain
    init = deserialize_keras_object(keras.saving.serialize_keras_object(keras.initializers.GlorotUniform(seed=3)))
    assert type(init).__name__ == "GlorotUniform" and init.seed == 3


def test_lambda_marshalled_function_is_refused_in_safe_mode(tmp_path):
    km = keras.Sequential([keras.Input((5,)), keras.layers.Lambda(lambda t: t * 3.0)])
    km.save(tmp_path / "lam.keras")
    with pytest.raises(ValueError, match="safe_mode=False"):
        kxla.models.load_model(tmp_path / "lam.keras")
    m = kxla.models.load_model(tmp_path / "lam.keras", safe_mode=False)
    _close(_predict(m, V), V * 3.0)


def test_corrupt_archives_raise_format_error(tmp_path):
    m = _keras_sequential(kxla)
    m.save(tmp_path / "ok.keras")
    data = (tmp_path / "ok.keras").read_bytes()
    (tmp_path / "cut.keras").write_bytes(data[: len(data) // 2])
    with pytest.raises(FormatError):
        kxla.models.load_model(tmp_path / "cut.keras")
    with zipfile.ZipFile(tmp_path / "bad.keras", "w") as zf:
        zf.writestr("config.json", "{not json")
    with pytest.raises(FormatError, match="config.json"):
        kxla.models.load_model(tmp_path / "bad.keras")
    with zipfile.ZipFile(tmp_path / "noweights.keras", "w") as zf:
        zf.writestr("config.json", json.dumps(m.to_json() and json.loads(m.to_json())))
    with pytest.raises(FormatError, match="model.weights.h5"):
        kxla.models.load_model(tmp_path / "noweights.keras")


def test_missing_h5py_is_a_clear_error(monkeypatch, tmp_path):
    import builtins
    real = builtins.__import__

    def no_h5py(name, *args, **kwargs):
        if name == "h5py":
            raise ImportError("No module named 'h5py'")
        return real(name, *args, **kwargs)
    monkeypatch.setattr(builtins, "__import__", no_h5py)
    with pytest.raises(ImportError, match=r"kxla\[h5\]"):
        _keras_sequential(kxla).save_weights(tmp_path / "w.weights.h5")
