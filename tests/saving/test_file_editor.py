"""kxla.saving.KerasFileEditor against keras.saving.KerasFileEditor: weights tree, printed text, edits, compare."""
import re

import numpy as np
import pytest

import kxla

pytest.importorskip("h5py")


def _keras_file(keras, tmp_path):
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(4, name="d1"),
                              keras.layers.BatchNormalization(name="bn"), keras.layers.Dense(2, name="d2")])
    model.save(tmp_path / "m.keras")
    model.save_weights(tmp_path / "m.weights.h5")
    return model


def _plain(text):
    """Without colours and whitespace (Keras prints through rich, which wraps at the console width,
    even inside the file's path)."""
    return "".join(re.sub(r"\x1b\[[0-9;]*m", "", text).split())


def _tree(d):
    return {k: _tree(v) if isinstance(v, dict) else (v.shape, str(v.dtype), v.tobytes()) for k, v in d.items()}


@pytest.mark.parametrize("name", ["m.keras", "m.weights.h5"])
def test_reading_and_summary_match_keras(keras, tmp_path, capsys, name):
    _keras_file(keras, tmp_path)
    path = str(tmp_path / name)
    ours = kxla.saving.KerasFileEditor(path)
    ours.summary()
    ours_out = capsys.readouterr().out
    theirs = keras.saving.KerasFileEditor(path)
    theirs.summary()
    assert _plain(ours_out) == _plain(capsys.readouterr().out)
    assert _tree(ours.weights_dict) == _tree(theirs.weights_dict)
    assert ours.config == theirs.config and ours.metadata == theirs.metadata


def test_edits_save_and_compare_match_keras(keras, tmp_path, capsys):
    km = _keras_file(keras, tmp_path)
    ours_model = kxla.models.load_model(tmp_path / "m.keras")
    editors = [kxla.saving.KerasFileEditor(str(tmp_path / "m.keras")),
               keras.saving.KerasFileEditor(str(tmp_path / "m.keras"))]
    results = []
    for ed, model in zip(editors, (ours_model, km)):
        capsys.readouterr()
        ed.rename_object("dense_1", "head")
        ed.add_weights("head", {"2": np.ones(3, "float32")})
        ed.delete_weight("head", "2")
        ed.add_object("layers/extra", {"0": np.zeros(2, "float32")})
        ed.delete_object("layers/extra")
        errors = []
        for bad in (lambda: ed.rename_object("nope", "x"), lambda: ed.rename_object("dense", "a/b"),
                    lambda: ed.delete_weight("head", "9"), lambda: ed.add_object("x", [1])):
            try:
                bad()
            except ValueError as e:
                errors.append(str(e))
        ed.rename_object("head", "dense_1")
        status = ed.compare(model)
        results.append((_tree(ed.weights_dict), errors, status, _plain(capsys.readouterr().out)))
    assert results[0] == results[1]
    assert results[0][2]["status"] == "success"
    editors[0].weights_dict["layers"]["dense"]["0"] = np.ones((3, 4), "float32")
    editors[0].save(tmp_path / "edited.weights.h5")
    km.load_weights(tmp_path / "edited.weights.h5")
    np.testing.assert_array_equal(km.layers[0].kernel.numpy(), 1.0)
    ours_model.load_weights(tmp_path / "edited.weights.h5")
    np.testing.assert_array_equal(ours_model.layers[0].kernel.numpy(), 1.0)
    editors[0].rename_object("batch_normalization", "norm")
    kxla_ed = editors[0]
    capsys.readouterr()
    status = kxla_ed.compare(ours_model)
    keras_ed = editors[1]
    keras_ed.rename_object("batch_normalization", "norm")
    capsys.readouterr()
    assert status == keras_ed.compare(km)
    with pytest.raises(ValueError, match="expected a `.weights.h5` extension"):
        kxla_ed.save(tmp_path / "x.h5")
