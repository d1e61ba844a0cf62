"""Whole-model round trips: Sequential, functional, subclassed, custom layers, optimizer state, continued fit."""
import numpy as np
import pytest

import kxla
from kxla import layers
from kxla.saving import FormatError, UnknownObjectError, register_serializable


def _rng():
    return np.random.default_rng(0)


def _same_weights(a, b):
    wa, wb = a.get_weights(), b.get_weights()
    return len(wa) == len(wb) and all(x.dtype == y.dtype and np.array_equal(x, y) for x, y in zip(wa, wb))


@register_serializable(package="tests")
class Scale(layers.Layer):
    """A custom layer with a weight and a config entry."""

    def __init__(self, factor=2.0, **kwargs):
        super().__init__(**kwargs)
        self.factor = factor

    def build(self, input_shape):
        self.gain = self.add_weight(shape=(input_shape[-1],), initializer="random_normal", name="gain")
        self.built = True

    def call(self, x):
        return x * self.gain * self.factor

    def get_config(self):
        return {**super().get_config(), "factor": self.factor}


class Unregistered(layers.Layer):
    def __init__(self, shift=1.0, **kwargs):
        super().__init__(**kwargs)
        self.shift = shift

    def call(self, x):
        return x + self.shift

    def get_config(self):
        return {**super().get_config(), "shift": self.shift}


@register_serializable(package="tests")
class TwoTower(kxla.Model):
    """A subclassed model with sublayers (names differ between processes/instances)."""

    def __init__(self, units=4, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.left = layers.Dense(units, activation="tanh")
        self.right = layers.Dense(units)
        self.scale = Scale(0.5)

    def call(self, x):
        return self.scale(self.left(x) + self.right(x))

    def get_config(self):
        return {**super().get_config(), "units": self.units}


def test_sequential_round_trip_is_bit_exact(tmp_path):
    model = kxla.Sequential([layers.Input((8, 8, 1)), layers.Conv2D(4, 3, activation="relu"),
                             layers.BatchNormalization(), layers.MaxPooling2D(), layers.Flatten(),
                             layers.Dropout(0.25), Scale(3.0), layers.Dense(3, activation="softmax")])
    bn = model.layers[1]
    bn.moving_mean.assign(np.linspace(-1, 1, 4).astype("float32"))      # state differs from its initializer
    model.save(tmp_path / "seq.kxla")
    loaded = kxla.models.load_model(tmp_path / "seq.kxla")
    assert type(loaded) is kxla.Sequential and loaded.name == model.name
    assert [type(l).__name__ for l in loaded.layers] == [type(l).__name__ for l in model.layers]
    assert [l.name for l in loaded.layers] == [l.name for l in model.layers]
    assert loaded.layers[5].factor == 3.0
    assert str(loaded.to_ir()) == str(model.to_ir())
    assert str(loaded.to_ir(training=True)) == str(model.to_ir(training=True))
    assert _same_weights(model, loaded)
    x = _rng().random((5, 8, 8, 1), dtype="float32")
    assert np.array_equal(model.predict(x, verbose=0), loaded.predict(x, verbose=0))


def test_sequential_built_from_input_shape_keeps_its_inputs(tmp_path):
    model = kxla.Sequential([layers.Dense(3, input_shape=(4,)), layers.Dense(2)])
    model.save(tmp_path / "m.kxla")
    loaded = kxla.models.load_model(tmp_path / "m.kxla")
    assert str(loaded.to_ir()) == str(model.to_ir())
    x = _rng().random((3, 4), dtype="float32")
    assert np.array_equal(model.predict(x, verbose=0), loaded.predict(x, verbose=0))


def test_functional_multi_input_shared_layer_and_direct_op(tmp_path):
    a = kxla.Input((4,), name="a")
    b = kxla.Input((4,), name="b")
    shared = layers.Dense(3, activation="relu", name="shared")
    merged = kxla.ops.add(shared(a), shared(b))              # a direct op between layers
    scaled = merged * 0.5                                    # an op with a Python constant
    out1 = layers.Dense(2, name="head")(scaled)
    out2 = layers.Concatenate(name="cat")([scaled, kxla.ops.relu(b)])
    model = kxla.Model(inputs={"a": a, "b": b}, outputs=[out1, out2], name="two_in")
    model.save(tmp_path / "f.kxla")
    loaded = kxla.models.load_model(tmp_path / "f.kxla")
    assert loaded._functional and loaded.name == "two_in"
    assert [l.name for l in loaded.layers] == [l.name for l in model.layers]
    assert str(loaded.to_ir()) == str(model.to_ir())
    xs = {"a": _rng().random((6, 4), dtype="float32"), "b": _rng().random((6, 4), dtype="float32") - 0.5}
    for p, q in zip(model.predict(xs, verbose=0), loaded.predict(xs, verbose=0)):
        assert np.array_equal(p, q)
    nodes = [n.get("op") or n.get("layer") for n in kxla.saving.read_model_file(tmp_path / "f.kxla")
             ["model"]["nodes"]]
    assert nodes == ["shared", "shared", "add", "multiply", "head", "relu", "cat"]


def test_nested_model_as_layer(tmp_path):
    inner = kxla.Sequential([layers.Input((4,)), layers.Dense(3, name="inner_dense")], name="inner")
    x = kxla.Input((4,), name="x")
    model = kxla.Model(x, layers.Dense(1, name="top")(inner(x)), name="outer")
    model.save(tmp_path / "n.kxla")
    loaded = kxla.models.load_model(tmp_path / "n.kxla")
    assert isinstance(loaded.get_layer("inner"), kxla.Sequential)
    data = _rng().random((2, 4), dtype="float32")
    assert np.array_equal(model.predict(data, verbose=0), loaded.predict(data, verbose=0))


def test_subclassed_registered_model(tmp_path):
    model = TwoTower(units=5)
    model.build((None, 3))
    model.save(tmp_path / "s.kxla")
    other = TwoTower(units=5)        # a second instance: its sublayers get other automatic names
    other.build((None, 3))
    loaded = kxla.models.load_model(tmp_path / "s.kxla")
    assert type(loaded) is TwoTower and loaded.units == 5
    assert _same_weights(model, loaded)
    x = _rng().random((4, 3), dtype="float32")
    assert np.array_equal(model.predict(x, verbose=0), loaded.predict(x, verbose=0))


def test_custom_layer_via_custom_objects_and_unknown_name(tmp_path):
    model = kxla.Sequential([layers.Input((3,)), Unregistered(2.5, name="shift"), layers.Dense(2)])
    model.save(tmp_path / "c.kxla")
    with pytest.raises(UnknownObjectError, match="'Unregistered'"):
        kxla.models.load_model(tmp_path / "c.kxla")
    loaded = kxla.models.load_model(tmp_path / "c.kxla", custom_objects={"Unregistered": Unregistered})
    assert loaded.get_layer("shift").shift == 2.5
    x = _rng().random((2, 3), dtype="float32")
    assert np.array_equal(model.predict(x, verbose=0), loaded.predict(x, verbose=0))
    assert kxla.saving.get_registered_name(Scale) == "tests>Scale"


def test_frozen_weights_and_compile_config_survive(tmp_path):
    model = kxla.Sequential([layers.Input((4,)), layers.Dense(3, name="a"), layers.Dense(2, name="b")])
    model.get_layer("a").trainable = False
    model.compile(kxla.optimizers.SGD(0.05, momentum=0.9), loss=kxla.losses.MeanSquaredError(),
                  metrics=["mae"], passes="canonicalize,dce")
    model.save(tmp_path / "m.kxla")
    loaded = kxla.models.load_model(tmp_path / "m.kxla")
    assert [w.trainable for w in loaded.weights] == [False, False, True, True]
    assert loaded.compiled and isinstance(loaded.optimizer, kxla.optimizers.SGD)
    assert loaded.optimizer.get_config() == model.optimizer.get_config()
    assert isinstance(loaded._loss_spec, kxla.losses.MeanSquaredError)
    assert loaded._metrics_spec == ["mae"] and loaded._passes == "canonicalize,dce"
    assert kxla.models.load_model(tmp_path / "m.kxla", compile=False).compiled is False


def test_unsaveable_loss_warns_and_loads_uncompiled(tmp_path):
    model = kxla.Sequential([layers.Input((4,)), layers.Dense(1)])
    model.compile("sgd", loss=lambda y, p: (y - p) ** 2)
    with pytest.warns(UserWarning, match="compile configuration is not saved"):
        model.save(tmp_path / "m.kxla")
    assert not kxla.models.load_model(tmp_path / "m.kxla").compiled


def test_continued_training_is_bit_identical(tmp_path):
    """save mid-training, load, keep fitting: weights and optimizer state equal an uninterrupted run."""
    rng = _rng()
    x = rng.random((40, 6), dtype="float32")
    y = (x.sum(1) > 3).astype("int32")

    def make():
        m = kxla.Sequential([layers.Input((6,)), layers.Dense(8, activation="relu", name="h"),
                             layers.BatchNormalization(name="bn"), layers.Dense(2, activation="softmax", name="o")])
        m.compile(kxla.optimizers.Adam(0.01), "sparse_categorical_crossentropy", metrics=["accuracy"])
        return m

    kxla.utils.set_random_seed(1)
    model = make()
    model.fit(x, y, batch_size=16, epochs=2, shuffle=False, verbose=0)     # 3 steps/epoch, ragged last
    model.save(tmp_path / "mid.kxla")
    model.fit(x, y, batch_size=16, epochs=2, shuffle=False, verbose=0)
    loaded = kxla.models.load_model(tmp_path / "mid.kxla")
    assert int(loaded._opt_state["iterations"]) == 6
    loaded.fit(x, y, batch_size=16, epochs=2, shuffle=False, verbose=0)
    assert _same_weights(model, loaded)
    for key in ("momentum", "velocity"):
        for name, value in model._opt_state[key].items():
            assert np.array_equal(np.asarray(value), np.asarray(loaded._opt_state[key][name])), (key, name)
    assert int(loaded._opt_state["iterations"]) == int(model._opt_state["iterations"]) == 12


def test_unbuilt_model_saves_and_loads(tmp_path):
    model = kxla.Sequential([layers.Dense(3), layers.Dense(1)])
    model.save(tmp_path / "u.kxla")
    loaded = kxla.models.load_model(tmp_path / "u.kxla")
    assert [type(l).__name__ for l in loaded.layers] == ["Dense", "Dense"] and not loaded.weights


def test_unsaveable_config_raises_type_error(tmp_path):
    model = kxla.Sequential([layers.Input((3,)), layers.Activation(lambda t: t * 2)])
    model.layers[0].get_config = lambda: {"name": "act", "activation": object()}
    with pytest.raises(TypeError, match="not plain data"):
        model.save(tmp_path / "bad.kxla")
    assert not (tmp_path / "bad.kxla").exists()


def test_weights_that_do_not_fit_the_architecture(tmp_path):
    from kxla.saving import format as fmt
    model = kxla.Sequential([layers.Input((3,)), layers.Dense(2, name="d")])
    model.save(tmp_path / "m.kxla")
    payload = kxla.saving.read_model_file(tmp_path / "m.kxla")
    payload.pop("__version__")
    payload["weights"] = payload["weights"][:1]
    (tmp_path / "m.kxla").write_bytes(fmt.pack_file(fmt.MODEL_FORMAT, payload))
    with pytest.raises(FormatError, match="missing from the file: \\['d/bias'\\]"):
        kxla.models.load_model(tmp_path / "m.kxla")
