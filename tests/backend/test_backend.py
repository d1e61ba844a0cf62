"""kxla.backend, kxla.dtype_policies and kxla.mixed_precision against Keras 3; the settings file."""
import json
import os
import subprocess
import sys

import numpy as np
import pytest

import kxla
from kxla import backend, dtype_policies, mixed_precision

DTYPES = ["bool", "uint8", "uint16", "uint32", "int8", "int16", "int32", "int64", "float16", "bfloat16", "float32",
          "float64"]


def test_names_present(keras):
    for ns in ("backend", "tree"):
        assert {n for n in dir(getattr(keras, ns)) if not n.startswith("_")} <= set(dir(getattr(kxla, ns))), ns
    assert {"DTypePolicy", "Policy", "dtype_policy", "global_policy", "set_dtype_policy", "set_global_policy"} <= \
        set(dir(mixed_precision))


@pytest.mark.parametrize("a", DTYPES)
def test_result_type_matches_keras(keras, a):
    for b in DTYPES:
        assert backend.result_type(a, b) == keras.backend.result_type(a, b), (a, b)
    assert backend.result_type(a) == keras.backend.result_type(a)


@pytest.mark.parametrize("dtype", [None, "int", float, int, bool, np.float16, np.dtype("int8"), "bfloat16",
                                   "uint32", "string"])
def test_standardize_and_kind_match_keras(keras, dtype):
    assert backend.standardize_dtype(dtype) == keras.backend.standardize_dtype(dtype)
    if backend.standardize_dtype(dtype) != "string":
        assert backend.is_float_dtype(dtype) == keras.backend.is_float_dtype(dtype)
        assert backend.is_int_dtype(dtype) == keras.backend.is_int_dtype(dtype)
    with pytest.raises(ValueError, match="Invalid dtype"):
        backend.standardize_dtype("float7")


def test_uids_clear_session_and_settings():
    backend.clear_session(free_memory=False)
    assert [backend.get_uid("a"), backend.get_uid("a"), backend.get_uid("b")] == [1, 2, 1]
    assert kxla.layers.Dense(2).name == "dense" and kxla.layers.Dense(2).name == "dense_1"
    backend.clear_session()
    assert backend.get_uid("a") == 1 and kxla.layers.Dense(2).name == "dense"
    assert backend.backend() == kxla.config.backend() == "jax" and not kxla.config.is_nnx_enabled()
    with pytest.raises(ValueError, match="JAX only"):
        kxla.config.set_backend("torch")
    with pytest.raises(ValueError, match="floatx"):
        backend.set_floatx("int32")
    assert backend.is_keras_tensor(kxla.Input((3,))) and not backend.is_keras_tensor(np.zeros(3))


@pytest.mark.parametrize("name", ["float32", "mixed_float16", "mixed_bfloat16", "bfloat16"])
def test_dtype_policies_match_keras(keras, name):
    ours, theirs = dtype_policies.get(name), keras.dtype_policies.get(name)
    assert (ours.name, ours.compute_dtype, ours.variable_dtype, ours.quantization_mode) == \
        (theirs.name, theirs.compute_dtype, theirs.variable_dtype, theirs.quantization_mode)
    assert dtype_policies.serialize(ours) == keras.dtype_policies.serialize(theirs)
    assert dtype_policies.deserialize(dtype_policies.serialize(ours)) == ours
    assert mixed_precision.Policy(name) == ours and isinstance(dtype_policies.FloatDTypePolicy(name), ours.__class__)


def test_global_policy_round_trip():
    try:
        mixed_precision.set_global_policy("mixed_bfloat16")
        assert mixed_precision.global_policy().name == "mixed_bfloat16" == kxla.config.dtype_policy().name
    finally:
        mixed_precision.set_global_policy("float32")
    with pytest.raises(TypeError, match="mode"):      # Keras: a quantized policy needs its mode
        dtype_policies.deserialize({"class_name": "QuantizedDTypePolicy", "config": {}})


def _settings_in(home, env=()):
    code = "import kxla.config as c; print(c.floatx(), c.epsilon(), c.image_data_format())"
    environ = {k: v for k, v in os.environ.items() if k != "KXLA_IMAGE_DATA_FORMAT"}
    environ.update({"KXLA_HOME": str(home), "PYTHONPATH": os.getcwd(), **dict(env)})
    out = subprocess.run([sys.executable, "-c", code], env=environ, capture_output=True, text=True)
    return out.stdout.split(), out.stderr


def test_settings_file_is_written_read_and_overridden(tmp_path):
    assert _settings_in(tmp_path)[0] == ["float32", "1e-07", "channels_last"]
    assert json.loads((tmp_path / "kxla.json").read_text())["floatx"] == "float32"        # written like keras.json
    (tmp_path / "kxla.json").write_text(json.dumps({"floatx": "float16", "epsilon": 1e-4,
                                                    "image_data_format": "channels_first", "backend": "jax"}))
    assert _settings_in(tmp_path)[0] == ["float16", "0.0001", "channels_first"]
    assert _settings_in(tmp_path, {"KXLA_IMAGE_DATA_FORMAT": "channels_last"})[0][2] == "channels_last"
    (tmp_path / "kxla.json").write_text(json.dumps({"floatx": "float8"}))
    out, err = _settings_in(tmp_path)
    assert not out and "kxla.json" in err
