"""Wrappers (TimeDistributed, Bidirectional) save and load inner layers through the name registry."""
import numpy as np
import pytest

import kxla
from kxla import layers
from kxla.saving import UnknownObjectError, custom_object_scope, register_serializable


@register_serializable(package="wrappers_test")
class Scale(layers.Layer):
    def __init__(self, factor=2.0, **kwargs):
        super().__init__(**kwargs)
        self.factor = factor

    def call(self, x):
        return x * self.factor

    def get_config(self):
        return {**super().get_config(), "factor": self.factor}


class Unregistered(Scale):
    pass


def _round_trip(model, tmp_path, **kwargs):
    path = tmp_path / "m.kxla"
    model.save(path)
    return kxla.models.load_model(path, **kwargs)


def test_registered_custom_layer_inside_time_distributed(tmp_path):
    model = kxla.Sequential([layers.Input((3, 4)), layers.TimeDistributed(Scale(3.0), name="td"),
                             layers.TimeDistributed(layers.Dense(2, name="inner"), name="td_dense")])
    config = model.get_layer("td").get_config()
    assert config["layer"]["class_name"] == "wrappers_test>Scale"
    loaded = _round_trip(model, tmp_path)
    assert isinstance(loaded.get_layer("td").layer, Scale) and loaded.get_layer("td").layer.factor == 3.0
    x = np.random.default_rng(0).random((2, 3, 4), dtype="float32")
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0), rtol=1e-6)


def test_unregistered_inner_layer_needs_custom_objects(tmp_path):
    model = kxla.Sequential([layers.Input((3, 4)), layers.TimeDistributed(Unregistered(5.0), name="td")])
    with pytest.raises(UnknownObjectError, match="'Unregistered'"):
        _round_trip(model, tmp_path)
    loaded = kxla.models.load_model(tmp_path / "m.kxla", custom_objects={"Unregistered": Unregistered})
    x = np.ones((1, 3, 4), "float32")
    np.testing.assert_allclose(loaded.predict(x, verbose=0), 5 * x)
    with custom_object_scope({"Unregistered": Unregistered}):      # the scope works outside load_model too
        again = layers.TimeDistributed.from_config(model.get_layer("td").get_config())
    assert isinstance(again.layer, Unregistered)


@pytest.mark.parametrize("name", ["Input", "ops", "os", "__class__", "activations"])
def test_wrapper_refuses_names_that_are_not_layer_classes(name):
    config = layers.TimeDistributed(layers.Dense(2)).get_config()
    config["layer"] = {"class_name": name, "config": {}}
    with pytest.raises((UnknownObjectError, ValueError)):
        layers.TimeDistributed.from_config(config)


def test_bidirectional_round_trip_through_the_registry(tmp_path):
    model = kxla.Sequential([layers.Input((5, 3)), layers.Bidirectional(layers.GRU(4), name="bi")])
    loaded = _round_trip(model, tmp_path)
    x = np.random.default_rng(1).random((2, 5, 3), dtype="float32")
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0), rtol=1e-5, atol=1e-6)
