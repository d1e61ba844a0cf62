"""kxla.optimizers.legacy raises as keras.optimizers.legacy does: the same names, ImportError, Keras's message."""
import keras
import pytest

from kxla import optimizers

NAMES = [n for n in dir(keras.optimizers.legacy) if not n.startswith("_")]


def test_same_names_as_keras():
    assert sorted(NAMES) == sorted(optimizers.legacy.__all__)


@pytest.mark.parametrize("name", NAMES)
def test_constructing_raises_keras_import_error(name):
    with pytest.raises(ImportError) as keras_error:
        getattr(keras.optimizers.legacy, name)(learning_rate=0.1)
    with pytest.raises(ImportError) as kxla_error:
        getattr(optimizers.legacy, name)(learning_rate=0.1)
    assert str(kxla_error.value).startswith(str(keras_error.value))
