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
    payload = read_model_file(lambda_file)
    _layer_config(payload, "lam")["function"] = "triple"
    path = _repack(payload, tmp_path / "triple.kxla")
    model = kxla.models.load_model(path, custom_objects={"triple": triple})
    assert model.get_layer("lam").function is triple
    np.testing.assert_allclose(model.get_layer("lam")(x), 3 * x)
