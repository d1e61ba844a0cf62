"""Hand-edited model files: Lambda functions, compile sections and stored IR are checked at load."""
import math

import msgpack
import numpy as np
import pytest

import kxla
from kxla import layers
from kxla.saving import FormatError, UnknownObjectError
from kxla.saving import format as fmt
from kxla.saving import registry
from kxla.saving.model_io import read_model_file


def _repack(payload, out):
    payload = {k: v for k, v in payload.items() if k != "__version__"}
    out.write_bytes(fmt.pack_file(fmt.MODEL_FORMAT, payload))
    return out


def _layer_config(payload, name):
    return next(e["config"] for e in payload["model"]["layers"] if e.get("config", {}).get("name") == name)


def _globals():
    from kxla.ir import all_ops
    import importlib
    jax_call = importlib.import_module("kxla.ops.jax_call")
    return set(all_ops()), dict(jax_call._FUNCTIONS), dict(registry._BY_NAME)


@pytest.fixture(scope="module")
def lambda_file(tmp_path_factory):
    model = kxla.Sequential([layers.Input((4,)), layers.Lambda(kxla.ops.relu, name="lam"),
                             layers.Dense(2, name="d")], name="lam_model")
    path = tmp_path_factory.mktemp("lam") / "lam.kxla"
    model.save(path)
    return path


@pytest.mark.parametrize("function, arguments", [
    ("register_function", {"name": "evil"}),
    ("defop", {"infer": "x", "layout": "opaque"}),
    ("Variable", {}),
    ("apply", {}),
    ("jax_call", {"fn": "numpy.asarray"}),
    ("current_builder", {}),
    ("register_serializable", {}),
    ("__import__", {}),
    ("elementwise", {}),
])
def test_lambda_from_a_file_resolves_only_ops_and_registered_functions(lambda_file, tmp_path, function,
                                                                        arguments):
    payload = read_model_file(lambda_file)
    config = _layer_config(payload, "lam")
    assert config["function"] == "relu"
    config["function"], config["arguments"] = function, arguments
    bad = _repack(payload, tmp_path / "bad.kxla")
    before = _globals()
    with pytest.raises((UnknownObjectError, FormatError), match=f"cannot find the function {function!r}"):
        kxla.models.load_model(bad)
    assert _globals() == before                       # nothing registered, even though the load failed


def test_lambda_with_real_ops_and_registered_functions_loads(lambda_file, tmp_path):
    x = np.array([[-1.0, 2.0, -3.0, 4.0]], "float32")
    loaded = kxla.models.load_model(lambda_file)
    assert loaded.get_layer("lam").function is kxla.ops.relu

    def triple(t):
        return t * 3.0
    path = tmp_path / "triple.kxla"
    kxla.Sequential([layers.Input((4,)), layers.Lambda(triple, name="lam")]).save(path)
    with pytest.raises(UnknownObjectError, match="cannot find the function 'triple'"):
        kxla.models.load_model(path)
    model = kxla.models.load_model(path, custom_objects={"triple": triple})
    assert model.get_layer("lam").function is triple
    np.testing.assert_allclose(model.get_layer("lam")(x), 3 * x)


@pytest.fixture(scope="module")
def compiled_file(tmp_path_factory):
    model = kxla.Sequential([layers.Input((4,)), layers.Dense(8, activation="relu", name="h"),
                             layers.Dense(3, activation="softmax", name="o")], name="cmodel")
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    path = tmp_path_factory.mktemp("compiled") / "c.kxla"
    model.save(path)
    return path


def _set(payload, dotted, value):
    node = payload
    keys = dotted.split(".")
    for k in keys[:-1]:
        node = node[k]
    node[keys[-1]] = value


@pytest.mark.parametrize("field, value, words", [
    ("compile.passes", "dce,no-such-pass", "unknown pass 'no-such-pass'"),
    ("compile.passes", "dce{bogus=1}", "compile.passes"),
    ("compile.loss_weights", "abc", "loss_weights: expected a number"),
    ("compile.loss_weights", [1.0, float("nan")], "loss_weights[1]: expected a finite number"),
    ("compile.metrics", 5, "metrics: expected a list or a map"),
    ("compile.metrics", ["no_such_metric"], "unknown metric 'no_such_metric'"),
    ("compile.loss", "no_such_loss", "unknown loss 'no_such_loss'"),
    ("compile.loss", {"__loss__": {"class_name": "LossFunctionWrapper", "config": {"name": "w"}}},
     "holds no function"),
    ("compile.loss", 7, "expected a loss name"),
    ("compile.steps_per_execution", 0, "positive integer"),
    ("optimizer.config.learning_rate", float("nan"), "learning_rate: expected a finite number"),
    ("optimizer.config.learning_rate", -0.5, "learning_rate: must not be negative"),
    ("optimizer.config.beta_1", float("inf"), "beta_1: expected a finite number"),
])
def test_bad_compile_sections_fail_at_load(compiled_file, tmp_path, field, value, words):
    payload = read_model_file(compiled_file)
    _set(payload, field, value)
    bad = _repack(payload, tmp_path / "bad.kxla")
    with pytest.raises(FormatError) as info:
        kxla.models.load_model(bad)
    assert words in str(info.value)
    kxla.models.load_model(bad, compile=False)            # the architecture itself is fine


@pytest.mark.parametrize("key, edit", [
    ("ir", lambda t: t.replace("relu(", "sigmoid(")),
    ("ir", lambda t: t.replace("f32[?,8]", "f32[?,9]").replace("f32[4,8]", "f32[4,9]")
     .replace("f32[8]", "f32[9]").replace("f32[8,3]", "f32[9,3]")),
    ("ir_training", lambda t: t.replace("softmax(", "log_softmax(")),
    ("ir", lambda t: t.replace("graph @cmodel", "graph @other")),
    ("ir", lambda t: t + "junk"),
])
def test_stored_ir_must_be_the_ir_that_runs(compiled_file, tmp_path, key, edit):
    payload = read_model_file(compiled_file)
    edited = edit(payload[key])
    assert edited != payload[key]
    payload[key] = edited
    bad = _repack(payload, tmp_path / "bad.kxla")
    with pytest.raises(FormatError, match=f"{key}: "):
        kxla.models.load_model(bad, compile=False)


def test_untouched_file_loads_and_matches(compiled_file):
    model = kxla.models.load_model(compiled_file)
    payload = read_model_file(compiled_file)
    assert str(model.to_ir()) == payload["ir"]
    assert model.compiled and model.optimizer.__class__.__name__ == "Adam"


_HUGE_OUTPUT = r"""
import sys
import numpy as np
import kxla
from kxla import layers
model = kxla.Sequential([layers.Input((4,)), layers.RepeatVector(10 ** 12, name="rv")])
x = np.ones((2, 4), "float32")
for name, run in (("predict", lambda: model.predict(x, verbose=0)), ("call", lambda: np.asarray(model(x))),
                  ("predict_on_batch", lambda: model.predict_on_batch(x))):
    try:
        run()
        print(name, "no error")
    except Exception as e:
        print(name, "caught", type(e).__name__)
model.save(sys.argv[1])
try:
    kxla.models.load_model(sys.argv[1])
except kxla.saving.FormatError as e:
    print("load caught", "layer 'rv'" in str(e) and "one sample" in str(e))
"""


def test_unallocatable_output_is_a_catchable_error(tmp_path):
    import os
    import subprocess
    import sys
    env = dict(os.environ, JAX_PLATFORMS="cpu")
    proc = subprocess.run([sys.executable, "-c", _HUGE_OUTPUT, str(tmp_path / "rv.kxla")], capture_output=True,
                          text=True, timeout=300, env=env)
    assert proc.returncode == 0, proc.stderr[-2000:]              # not SIGABRT (-6)
    lines = proc.stdout.splitlines()
    assert [l.split()[:2] for l in lines[:3]] == [["predict", "caught"], ["call", "caught"],
                                                  ["predict_on_batch", "caught"]], proc.stdout
    assert lines[3] == "load caught True"
