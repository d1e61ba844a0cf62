"""get_compile_config / compile_from_config and clone_model's compiled clone, against Keras 3."""
import numpy as np
import pytest

keras = pytest.importorskip("keras")

import kxla  # noqa: E402


def _model(lib):
    return lib.Sequential([lib.Input((3,)), lib.layers.Dense(2)])


def test_compile_config_round_trip_matches_keras():
    ours, theirs = _model(kxla), _model(keras)
    assert ours.get_compile_config() is None
    for m, lib in ((ours, kxla), (theirs, keras)):
        m.compile(lib.optimizers.SGD(0.25, momentum=0.5), "mse", metrics=["mae"], loss_weights=None)
    a, b = ours.get_compile_config(), theirs.get_compile_config()
    assert (a["loss"], a["metrics"]) == (b["loss"], b["metrics"])
    assert a["optimizer"]["class_name"] == b["optimizer"]["class_name"] == "SGD"
    for key in ("learning_rate", "momentum", "nesterov"):
        assert a["optimizer"]["config"][key] == b["optimizer"]["config"][key]
    fresh = _model(kxla)
    fresh.compile_from_config(a)
    assert fresh.get_compile_config() == a
    assert fresh.optimizer is not ours.optimizer


@pytest.mark.parametrize("compiled", [False, True])
def test_clone_model_is_compiled_like_keras(compiled):
    ours, theirs = _model(kxla), _model(keras)
    if compiled:
        ours.compile("adam", "mse")
        theirs.compile("adam", "mse")
    a, b = kxla.models.clone_model(ours), keras.models.clone_model(theirs)
    assert a.compiled == b.compiled == compiled
    if compiled:
        assert a.optimizer is not ours.optimizer
        a.fit(np.ones((4, 3)), np.zeros((4, 2)), verbose=0)
