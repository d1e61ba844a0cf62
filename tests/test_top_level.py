"""Top-level names shared with ``keras``: base classes, ``version()``, ``device()``."""
import jax
import numpy as np
import pytest

keras = pytest.importorskip("keras")

import kxla  # noqa: E402


@pytest.mark.parametrize("name, module", [("Initializer", "initializers"), ("Loss", "losses"), ("Metric", "metrics"),
                                          ("Optimizer", "optimizers"), ("Regularizer", "regularizers")])
def test_base_classes_are_the_namespace_ones(name, module):
    assert getattr(kxla, name) is getattr(getattr(kxla, module), name)
    assert getattr(keras, name) is getattr(getattr(keras, module), name)     # the same relation in Keras


def test_version():
    assert kxla.version() == kxla.__version__ and isinstance(keras.version(), str)


@pytest.mark.parametrize("name", ["cpu", "cpu:0", "CPU:0", jax.devices("cpu")[0]])
def test_device_places_eager_results(name):
    with kxla.device(name):
        y = kxla.ops.add(np.ones(3, "float32"), 1.0)
    assert y.devices() == {jax.devices("cpu")[0]}
    np.testing.assert_array_equal(np.asarray(y), np.full(3, 2.0))


@pytest.mark.parametrize("name, error", [("cpu:99", ValueError), ("cpu:x", ValueError),
                                         ("nonsense:0", RuntimeError)])
def test_unknown_device_raises_as_keras(name, error):
    with pytest.raises(error):
        kxla.device(name)
    with pytest.raises(error):
        keras.device(name).__enter__()


def test_device_name_must_be_a_string_or_device():
    with pytest.raises(ValueError, match="Expected a string"):
        kxla.device(3)
