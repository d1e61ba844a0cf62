"""save_weights / load_weights: matching by layer and weight name, clear mismatch errors."""
import numpy as np
import pytest

import kxla
from kxla import layers
from kxla.saving import FormatError, WeightsMismatchError


def _model(units=4, extra=False, name_prefix=""):
    stack = [layers.Input((3,)), layers.Dense(units, activation="relu", name="first"),
             layers.BatchNormalization(name="norm"), layers.Dense(2, name="last")]
    if extra:
        stack.append(layers.Dense(2, name="extra"))
    return kxla.Sequential(stack)


def test_weights_round_trip(tmp_path):
    src = _model()
    src.get_layer("norm").moving_variance.assign(np.full(4, 3.0, "float32"))
    src.save_weights(tmp_path / "w.weights.kxla")
    dst = _model()
    assert not np.array_equal(src.get_weights()[0], dst.get_weights()[0])
    dst.load_weights(tmp_path / "w.weights.kxla")
    assert all(np.array_equal(a, b) for a, b in zip(src.get_weights(), dst.get_weights()))
    x = np.random.default_rng(0).random((5, 3), dtype="float32")
    assert np.array_equal(src.predict(x, verbose=0), dst.predict(x, verbose=0))


def test_load_weights_from_a_model_file_and_after_predict(tmp_path):
    src = _model()
    src.save(tmp_path / "m.kxla")
    dst = _model()
    x = np.ones((2, 3), "float32")
    dst.predict(x, verbose=0)                       # device arrays exist: the new values must replace them
    dst.load_weights(tmp_path / "m.kxla")
    assert np.array_equal(src.predict(x, verbose=0), dst.predict(x, verbose=0))


def test_mismatch_lists_missing_unexpected_and_shapes(tmp_path):
    _model().save_weights(tmp_path / "w.weights.kxla")
    with pytest.raises(WeightsMismatchError) as err:
        _model(units=5, extra=True).load_weights(tmp_path / "w.weights.kxla")
    message = str(err.value)
    assert "missing from the file: ['extra/kernel', 'extra/bias']" in message
    assert "first/kernel (model (3, 5), file (3, 4))" in message
    assert "norm/gamma (model (5,), file (4,))" in message
    smaller = kxla.Sequential([layers.Input((3,)), layers.Dense(4, activation="relu", name="first")])
    with pytest.raises(WeightsMismatchError, match=r"unexpected in the file: \['norm/gamma'"):
        smaller.load_weights(tmp_path / "w.weights.kxla")
    before = smaller.get_weights()
    with pytest.warns(UserWarning, match="skip_mismatch"):
        smaller.load_weights(tmp_path / "w.weights.kxla", skip_mismatch=True)
    assert not np.array_equal(before[0], smaller.get_weights()[0])


def test_unbuilt_model_and_bad_files(tmp_path):
    _model().save_weights(tmp_path / "w.weights.kxla")
    with pytest.raises(ValueError, match="not built"):
        kxla.Sequential([layers.Dense(2)]).load_weights(tmp_path / "w.weights.kxla")
    (tmp_path / "junk").write_bytes(b"\x00" * 64)
    with pytest.raises(FormatError):
        _model().load_weights(tmp_path / "junk")
    with pytest.raises(FileNotFoundError):
        _model().load_weights(tmp_path / "missing.weights.kxla")
