"""kxla.serialization sits below layers and models: they register into it, and Model.save reaches the file
formats through hooks kxla.saving binds (issue #12, item 3). Checked in fresh interpreters through sys.modules."""
import json
import subprocess
import sys

import numpy as np
import pytest

import kxla
from kxla.serialization import builtins, hooks


def _run(code: str) -> dict:
    """What ``code`` (which sets ``out``) reports, run in a fresh interpreter."""
    done = subprocess.run([sys.executable, "-c", code + "\nimport json; print(json.dumps(out))"],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


_SEQUENTIAL = {"module": "keras", "class_name": "Sequential", "registered_name": None,
               "config": {"name": "seq", "trainable": True, "build_input_shape": [None, 3],
                          "layers": [{"module": "keras.layers", "class_name": "Dense", "registered_name": None,
                                      "config": {"name": "d", "units": 2, "use_bias": True}}]}}


def test_a_layer_config_naming_a_model_class_loads_without_importing_models_first():
    out = _run("import sys, kxla.layers\n"
               "before = 'kxla.models' in sys.modules\n"
               f"m = kxla.layers.deserialize({_SEQUENTIAL!r})\n"
               "out = [before, type(m).__name__, [l.name for l in m.layers], m.count_params(),"
               " 'kxla.saving.model_io' in sys.modules]")
    assert out == [False, "Sequential", ["d"], 8, False]          # models imported on need, file formats not


def test_model_save_reaches_the_file_formats_without_importing_saving(tmp_path):
    path = tmp_path / "m.kxla"
    out = _run("import sys, numpy as np, kxla\n"
               "m = kxla.Sequential([kxla.layers.Input((3,)), kxla.layers.Dense(2)])\n"
               "before = 'kxla.saving' in sys.modules\n"
               f"m.save({str(path)!r})\n"
               f"back = kxla.models.load_model({str(path)!r})\n"
               "x = np.ones((1, 3), 'float32')\n"
               "out = [before, bool(np.allclose(m.predict(x, verbose=0), back.predict(x, verbose=0))),"
               " kxla.models.load_model is kxla.saving.load_model]")
    assert out == [False, True, True]


def test_old_paths_are_the_moved_modules():
    import kxla.saving.keras_config as keras_config
    import kxla.saving.keras_ops as old_ops
    import kxla.saving.serialization_lib as old_lib
    from kxla.serialization import keras_ops, serialization_lib
    from kxla.models import keras_config as model_config
    assert old_lib is serialization_lib and old_ops is keras_ops
    assert keras_config.sequential_config is model_config.sequential_config
    assert kxla.saving.serialize_keras_object is serialization_lib.serialize_keras_object
    table = kxla.saving.registry.builtin_layers()
    assert table["Sequential"] is kxla.Sequential and table["Functional"] is kxla.Model
    assert table["Dense"] is kxla.layers.Dense and table["GroupQueryAttention"] is kxla.layers.GroupQueryAttention
    assert "load_model" in dir(kxla.models)


def test_bases_drive_the_accepted_config_arguments():
    from kxla.serialization.serialization_lib import fit_config
    assert builtins.base("layer") is kxla.layers.Layer and builtins.base("model") is kxla.Model
    assert fit_config(kxla.layers.Dense, {"units": 2, "name": "d", "trainable": False}, "c") == \
        {"units": 2, "name": "d", "trainable": False}
    with pytest.raises(ValueError, match="does not support renorm=True"):
        fit_config(kxla.layers.Dense, {"units": 2, "renorm": True}, "c")
    assert fit_config(kxla.Model, {"inputs": 1, "outputs": 2, "name": "m"}, "c") == \
        {"inputs": 1, "outputs": 2, "name": "m"}


def test_an_unbound_hook_is_a_clear_error():
    with pytest.raises(RuntimeError, match="nothing provides 'no_such_hook'"):
        hooks.get("no_such_hook")


def test_wrapped_model_round_trips_through_the_kxla_layer_entry(tmp_path):
    inner = kxla.Sequential([kxla.layers.Input((3,)), kxla.layers.Dense(2)], name="inner")
    wrapped = kxla.layers.TimeDistributed(inner)
    entry = wrapped.get_config()["layer"]
    assert entry["class_name"] == "Sequential" and entry["model"]["kind"] == "sequential"
    back = kxla.layers.TimeDistributed.from_config(wrapped.get_config())
    assert type(back.layer) is kxla.Sequential and back.layer.layers[0].units == 2
    x = np.ones((1, 4, 3), "float32")
    m = kxla.Sequential([kxla.layers.Input((4, 3)), wrapped])
    m.save(tmp_path / "m.kxla")
    got = kxla.models.load_model(tmp_path / "m.kxla")
    np.testing.assert_allclose(got.predict(x, verbose=0), m.predict(x, verbose=0), rtol=1e-6)


def test_every_hook_the_source_asks_for_is_bound():
    import pathlib
    import re
    root = pathlib.Path(kxla.__file__).parent
    asked = {m for p in root.rglob("*.py") for m in re.findall(r"""hooks\.get\(["'](\w+)["']\)""", p.read_text())}
    assert {"save_model", "save_weights", "load_weights", "rebuild_model"} <= asked
    asked |= {"load_model", "save_model"}                 # kxla.models's names, asked by name
    hooks.load_plugins()
    assert asked <= set(hooks._BOUND), sorted(asked - set(hooks._BOUND))
