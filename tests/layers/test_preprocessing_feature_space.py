"""kxla.utils.FeatureSpace against Keras 3's FeatureSpace.

Keras's FeatureSpace needs TensorFlow, absent here: its results for the cases of
``feature_space_cases.py`` (adapted vocabularies / statistics / boundaries, concat and dict outputs with
crosses and hashing, a ``.keras`` archive) were recorded with Keras 3.15.1 (JAX backend + tensorflow-cpu) by
``feature_space_reference.py``. The parts of Keras that run without TensorFlow (Dense models on the encoded
features) are checked live.
"""
import json
import os
import zipfile

import numpy as np
import pytest

import kxla
from kxla.utils import FeatureSpace, PyDataset

import feature_space_cases as cases

HERE = os.path.dirname(os.path.abspath(__file__))
REF = json.load(open(os.path.join(HERE, "feature_space_keras.json")))


def _case(name):
    spec = cases.CASES[name]
    data = cases.make_data(spec["seed"], spec["n"], spec["columns"])
    fs = cases.build(FeatureSpace, spec, kxla.layers)
    fs.adapt(cases.adapt_argument(data, spec["adapt"]))
    return fs, data, spec


def _check_state(fs, state):
    for name, expected in state.items():
        layer = fs.preprocessors[name]
        if "vocabulary" in expected:
            assert layer.get_vocabulary() == expected["vocabulary"], name
        elif "mean" in expected:
            np.testing.assert_allclose(np.ravel(layer.adapt_mean), np.ravel(expected["mean"]), rtol=1e-6, atol=1e-7)
            np.testing.assert_allclose(np.ravel(layer.adapt_variance), np.ravel(expected["variance"]), rtol=1e-6)
        else:
            np.testing.assert_allclose(layer.bin_boundaries, expected["bin_boundaries"], rtol=1e-6)


def _check_outputs(got, expected, keys):
    if keys is None:
        np.testing.assert_allclose(np.asarray(got), np.asarray(expected, "float32"), rtol=1e-5, atol=1e-6)
        return
    assert list(got) == keys
    for key in keys:
        value = np.asarray(got[key])
        if value.dtype.kind in "iu":
            np.testing.assert_array_equal(value, np.asarray(expected[key]))
        else:
            np.testing.assert_allclose(value, np.asarray(expected[key], "float32"), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name", list(cases.CASES))
def test_adapt_and_outputs_match_keras(name):
    fs, data, spec = _case(name)
    ref = REF[name]
    _check_state(fs, ref["state"])
    _check_outputs(fs({k: v[:spec["call_rows"]] for k, v in data.items()}), ref["outputs"], ref["output_keys"])
    _check_outputs(fs({k: v[0] for k, v in data.items()}), ref["single"], ref["output_keys"])
    if ref["output_keys"] is None:
        out = fs({k: v[:2] for k, v in data.items()})
        assert out.dtype == "float32" and tuple(fs.get_encoded_features().shape) == (None, out.shape[-1])


def test_dict_mode_dtypes_and_encoded_inputs():
    fs, data, _ = _case("dict")
    out = fs({k: v[:3] for k, v in data.items()})
    assert {k: str(v.dtype) for k, v in out.items()} == {"d": "int32", "f": "float32", "i": "int32", "s": "int32",
                                                         "s_X_i": "int32"}
    encoded = fs.get_encoded_features()
    assert list(encoded) == ["d", "f", "i", "s", "s_X_i"]
    assert all(tuple(t.shape) == (None, 1) for t in encoded.values())
    assert encoded["s"].dtype == "int64" or encoded["s"].dtype == "int32"


def test_config_round_trip_and_keras_config_form():
    fs, data, spec = _case("concat")
    config = fs.get_config()
    keras_config = REF["concat"]["config"]["config"]
    assert set(config) == set(keras_config)
    for name, entry in config["features"].items():
        theirs = keras_config["features"][name]
        assert (entry["class_name"], entry["module"], entry["config"]["output_mode"], entry["config"]["dtype"]) == \
            (theirs["class_name"], theirs["module"], theirs["config"]["output_mode"], theirs["config"]["dtype"])
        assert entry["config"]["preprocessor"]["class_name"] == theirs["config"]["preprocessor"]["class_name"]
    assert [c["config"]["crossing_dim"] for c in config["crosses"]] == \
        [c["config"]["crossing_dim"] for c in keras_config["crosses"]]
    twin = FeatureSpace.from_config(json.loads(json.dumps(config)))
    with pytest.raises(ValueError, match="adapt"):
        twin({k: v[:2] for k, v in data.items()})
    twin.adapt(data)
    assert json.dumps(twin.get_config(), sort_keys=True) == json.dumps(json.loads(json.dumps(config)), sort_keys=True)
    batch = {k: v[:spec["call_rows"]] for k, v in data.items()}
    np.testing.assert_array_equal(np.asarray(twin(batch)), np.asarray(fs(batch)))
    keras_built = FeatureSpace.from_config(REF["concat"]["config"]["config"])     # Keras's own config loads
    keras_built.adapt(data)
    np.testing.assert_array_equal(np.asarray(keras_built(batch)), np.asarray(fs(batch)))


def test_save_and_load_both_ways(tmp_path):
    pytest.importorskip("h5py")
    fs, data, spec = _case("concat")
    batch = {k: v[:spec["call_rows"]] for k, v in data.items()}
    loaded = kxla.models.load_model(os.path.join(HERE, "feature_space_keras.keras"))     # written by Keras
    assert isinstance(loaded, FeatureSpace)
    _check_state(loaded, REF["concat"]["state"])
    _check_outputs(loaded(batch), REF["concat"]["outputs"], None)
    path = str(tmp_path / "fs.keras")
    fs.save(path)
    with zipfile.ZipFile(path) as ours, zipfile.ZipFile(os.path.join(HERE, "feature_space_keras.keras")) as theirs:
        assert sorted(ours.namelist()) == sorted(theirs.namelist())
    again = kxla.models.load_model(path)
    np.testing.assert_array_equal(np.asarray(again(batch)), np.asarray(fs(batch)))
    resaved = str(tmp_path / "again.keras")            # a loaded FeatureSpace saves again, unchanged
    again.save(resaved)
    np.testing.assert_array_equal(np.asarray(kxla.models.load_model(resaved)(batch)), np.asarray(fs(batch)))
    custom, _, _ = _case("custom")                  # an adapted TextVectorization: Keras saves it, kxla cannot
    with pytest.raises(ValueError, match="TextVectorization preprocessor is not supported"):
        custom.save(str(tmp_path / "custom.keras"))


def _dense_pair(keras, width, seed=0):
    ours_in = kxla.Input(shape=(width,))
    hidden = kxla.layers.Dense(6, activation="relu")
    out = kxla.layers.Dense(1, activation="sigmoid")
    theirs_in = keras.Input(shape=(width,))
    k_hidden, k_out = keras.layers.Dense(6, activation="relu"), keras.layers.Dense(1, activation="sigmoid")
    theirs = keras.Model(theirs_in, k_out(k_hidden(theirs_in)))
    rng = np.random.default_rng(seed)
    theirs.set_weights([rng.normal(size=w.shape).astype("float32") * 0.3 for w in theirs.get_weights()])
    return ours_in, hidden, out, theirs


def test_encoded_features_model_predicts_as_keras(keras, tmp_path):
    fs, data, spec = _case("heart")
    encoded = fs.get_encoded_features()
    ours_in, hidden, out, theirs = _dense_pair(keras, encoded.shape[-1])
    assert encoded._input_layer is not None
    model = kxla.Model(inputs=encoded, outputs=out(hidden(encoded)))
    model.set_weights(theirs.get_weights())
    x = np.asarray(fs({k: v[:spec["call_rows"]] for k, v in data.items()}))
    expected = theirs.predict(np.asarray(REF["heart"]["outputs"], "float32"), verbose=0)
    np.testing.assert_allclose(model.predict(x, verbose=0), expected, rtol=1e-5, atol=1e-6)
    for filename in ("m.kxla", "m.keras"):
        model.save(str(tmp_path / filename))
        np.testing.assert_allclose(kxla.models.load_model(str(tmp_path / filename)).predict(x, verbose=0), expected,
                                   rtol=1e-5, atol=1e-6)


def test_dict_mode_model_predicts_as_keras(keras):
    data = cases.make_data(3, 40, {"a": ("normal",), "c": ("choice", ["p", "q", "r"])})
    fs = FeatureSpace({"a": "float_normalized", "c": "string_categorical"}, output_mode="dict")
    fs.adapt(data)
    encoded = fs.get_encoded_features()
    joined = kxla.layers.Concatenate()([encoded["a"], encoded["c"]])
    _, hidden, out, theirs = _dense_pair(keras, 5, seed=1)
    model = kxla.Model(inputs=encoded, outputs=out(hidden(joined)))
    model.set_weights(theirs.get_weights())
    x = fs({k: v[:4] for k, v in data.items()})
    expected = theirs.predict(np.concatenate([np.asarray(x["a"]), np.asarray(x["c"])], axis=-1), verbose=0)
    np.testing.assert_allclose(model.predict(x, verbose=0), expected, rtol=1e-5, atol=1e-6)


def test_numeric_model_from_raw_inputs_matches_keras(keras, tmp_path):
    fs, data, spec = _case("numeric")
    raw = {k: v[:spec["call_rows"], None] for k, v in data.items()}
    inputs, encoded = fs.get_inputs(), fs.get_encoded_features()
    assert {k: (tuple(t.shape), t.dtype) for k, t in inputs.items()} == \
        {k: ((None, 1), "float32" if k.startswith("float") else "int32") for k in data}
    preprocess = kxla.Model(inputs, encoded)                  # Keras's test_saving model, fed raw features
    np.testing.assert_allclose(preprocess.predict(raw, batch_size=4, verbose=0), REF["numeric"]["model_outputs"],
                               rtol=1e-5, atol=1e-6)
    _, hidden, out, theirs = _dense_pair(keras, encoded.shape[-1], seed=2)
    y = out(hidden(encoded))
    end_to_end, training = kxla.Model(inputs, y), kxla.Model(encoded, y)          # both of the example's models
    end_to_end.set_weights(theirs.get_weights())
    expected = theirs.predict(np.asarray(REF["numeric"]["outputs"], "float32"), verbose=0)
    np.testing.assert_allclose(end_to_end.predict(raw, verbose=0), expected, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(training.predict(np.asarray(fs(raw)), verbose=0), expected, rtol=1e-5, atol=1e-6)
    end_to_end.compile("adam", "mse")
    history = end_to_end.fit({k: v[:, None] for k, v in data.items()}, np.arange(len(data["int_1"]), dtype="float32"),
                             batch_size=8, epochs=2, verbose=0)
    assert np.isfinite(history.history["loss"]).all() and history.history["loss"][-1] < history.history["loss"][0]
    end_to_end.save(str(tmp_path / "e2e.kxla"))      # the host node is bound to this FeatureSpace's state
    np.testing.assert_allclose(kxla.models.load_model(str(tmp_path / "e2e.kxla")).predict(raw, verbose=0),
                               end_to_end.predict(raw, verbose=0), rtol=1e-6)
    with pytest.raises(ValueError, match="jax_call"):
        end_to_end.save(str(tmp_path / "e2e.keras"))


class _Batches(PyDataset):
    def __init__(self, batches):
        super().__init__()
        self.batches = batches

    def __len__(self):
        return len(self.batches)

    def __getitem__(self, i):
        return self.batches[i]


def test_adapt_accepts_pydataset_and_iterables():
    spec = cases.CASES["dict"]
    data = cases.make_data(spec["seed"], spec["n"], spec["columns"])
    batches = cases.adapt_argument(data, spec["adapt"])
    for source in (_Batches(batches), iter(batches), tuple(batches)):
        fs = cases.build(FeatureSpace, spec)
        fs.adapt(source)
        _check_state(fs, REF["dict"]["state"])


@pytest.mark.parametrize("bad", [np.zeros((4, 2)), 3, "text", [(dict(a=np.zeros(2)), np.zeros(2))]])
def test_adapt_refuses_other_data(bad):
    fs = FeatureSpace({"a": "float_normalized"})
    with pytest.raises(TypeError, match="adapt"):
        fs.adapt(bad)


def test_errors_match_keras():
    with pytest.raises(ValueError, match="cannot be None or empty"):
        FeatureSpace({})
    with pytest.raises(ValueError, match="Invalid feature type"):
        FeatureSpace({"a": "floaty"})
    with pytest.raises(ValueError, match="Expected one of {'dict', 'concat'}"):
        FeatureSpace({"a": "float"}, output_mode="list")
    with pytest.raises(ValueError, match="unknown features"):
        FeatureSpace({"a": "integer_categorical"}, crosses=[("a", "b")])
    with pytest.raises(ValueError, match="should return an integer dtype"):
        FeatureSpace({"a": FeatureSpace.feature("float32", kxla.layers.Rescaling(2.0), "one_hot")}
                     ).get_encoded_features()
    with pytest.raises(ValueError, match="`crossing_dim`"):
        FeatureSpace({"a": "integer_categorical", "b": "integer_categorical"}, crosses=[("a", "b")], crossing_dim=None)
    int_mode = FeatureSpace({"a": FeatureSpace.integer_categorical(output_mode="int")})
    with pytest.raises(ValueError, match="Cannot concatenate features because feature 'a'"):
        int_mode.adapt({"a": np.arange(5)})
    fs = FeatureSpace({"a": "float_rescaled"})          # nothing to adapt: usable at once
    np.testing.assert_allclose(np.asarray(fs({"a": np.array([1.0, 2.0])})), [[1.0], [2.0]])
    with pytest.raises(ValueError, match="only be called with a dict"):
        fs([1.0])
    with pytest.raises(KeyError, match="missing"):
        fs({"b": np.array([1.0])})
    with pytest.raises(ValueError, match="adapt"):
        FeatureSpace({"a": "integer_categorical"})({"a": np.array([1])})


def test_raw_inputs_cannot_start_a_model():
    fs = FeatureSpace({"a": "float_normalized", "s": "string_categorical"})
    fs.adapt({"a": np.arange(6.0), "s": np.array(list("xyzxyz"))})
    raw = fs.get_inputs()
    assert {k: (v.shape, v.dtype) for k, v in raw.items()} == {"a": ((None, 1), "float32"),
                                                              "s": ((None, 1), "string")}
    outputs = kxla.layers.Dense(1)(fs.get_encoded_features())
    with pytest.raises(ValueError, match="get_encoded_features"):
        kxla.Model(inputs=raw, outputs=outputs)


def test_custom_feature_and_helpers():
    fs = FeatureSpace({"v": FeatureSpace.feature(dtype="float32", preprocessor=kxla.layers.Rescaling(0.5),
                                                 output_mode="float"),
                       "k": FeatureSpace.feature(dtype="int32", preprocessor=kxla.layers.CategoryEncoding(3),
                                                 output_mode="float")},
                      output_mode="concat")
    out = fs({"v": np.array([2.0, 4.0]), "k": np.array([0, 2])})
    np.testing.assert_allclose(np.asarray(out), [[1, 0, 0, 1.0], [0, 0, 1, 2.0]])
    assert fs.preprocessors["v"].name.startswith("rescaling") and fs.crossers == {}
    assert FeatureSpace.float_discretized(num_bins=5).preprocessor.num_bins == 5
    assert FeatureSpace.string_hashed(7).preprocessor.num_bins == 7


def test_keras_test_suite_shapes():
    """The widths Keras's own FeatureSpace tests assert, on the same kind of data (lists of 10 values)."""
    data = {**{f"float_{i}": [0.1 * j for j in range(10)] for i in (1, 2, 3)},
            **{f"int_{i}": list(range(10)) for i in (1, 2, 3)}}
    strings = {f"string_{i}": [str(j) for j in range(10)] for i in (1, 2)}
    fs = FeatureSpace({"float_1": "float", "float_2": "float_normalized", "float_3": "float_discretized",
                       "int_1": "integer_categorical", "int_2": "integer_hashed", "int_3": "integer_categorical"},
                      crosses=[("int_1", "int_2"), ("int_2", "int_3")])
    fs.adapt([{k: np.asarray(v[i:i + 4]) for k, v in data.items()} for i in range(0, 10, 4)])
    assert fs({k: v[0] for k, v in data.items()}).shape == (152,) and fs(data).shape == (10, 152)
    fs = FeatureSpace({"float_1": "float", "float_2": "float_normalized", "float_3": "float_discretized",
                       "string_1": "string_categorical", "string_2": "string_hashed", "int_1": "integer_categorical",
                       "int_2": "integer_hashed", "int_3": "integer_categorical"},
                      crosses=[("float_3", "string_1"), ("string_2", "int_2")])
    fs.adapt({**data, **strings})
    assert fs({k: v[0] for k, v in {**data, **strings}.items()}).shape == (195,)
    words = ["This is", "not just", "an example", "of random words.", "these are", "some words", "in", "a random",
             "example.", "Bye!"]
    vocab = kxla.layers.TextVectorization(vocabulary=["this", "is", "just", "an", "example", "with", "some", "words"],
                                          output_mode="int", output_sequence_length=3)
    fixed = FeatureSpace({"int_1": "integer_hashed",
                          "text_1": FeatureSpace.feature(dtype="string", preprocessor=vocab, output_mode="int"),
                          "float_1": FeatureSpace.feature(dtype="float32", output_mode="float",
                                                          preprocessor=kxla.layers.Normalization(mean=12.0,
                                                                                                 variance=5.0))},
                         output_mode="dict")                 # nothing to adapt
    out = fixed({"int_1": data["int_1"], "text_1": words, "float_1": data["float_1"]})
    assert {k: tuple(v.shape) for k, v in out.items()} == {"float_1": (10, 1), "int_1": (10, 32), "text_1": (10, 3)}
    np.testing.assert_allclose(np.asarray(out["float_1"])[:, 0],
                               (np.asarray(data["float_1"], "float32") - 12.0) / np.sqrt(np.float32(5.0)), rtol=1e-6)
