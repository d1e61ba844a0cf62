"""ModelCheckpoint: file names from templates, save_best_only, save_freq, and real saves through kxla.saving."""
import os

import numpy as np
import pytest

from callback_check import Script, WeightLog, tiny_data, tiny_model
from kxla.callbacks import ModelCheckpoint

VAL = [0.5, 0.25, 0.75, 0.1]


def _recording(monkeypatch, model):
    """Replace model.save / model.save_weights by recorders: the callback's decisions, not the format."""
    calls = []
    monkeypatch.setattr(model, "save", lambda path, overwrite=True: calls.append(("save", path)), raising=False)
    monkeypatch.setattr(model, "save_weights", lambda path, overwrite=True: calls.append(("weights", path)),
                        raising=False)
    return calls


def _fit(model, callbacks, epochs=4, batch_size=16):
    x, y = tiny_data()
    return model.fit(x, y, epochs=epochs, batch_size=batch_size, verbose=0, shuffle=False,
                     callbacks=[Script("val_loss", VAL)] + callbacks)


def test_file_names_from_template(tmp_path, monkeypatch):
    model = tiny_model()
    calls = _recording(monkeypatch, model)
    _fit(model, [ModelCheckpoint(str(tmp_path / "ckpt-{epoch:02d}-{val_loss:.2f}.kxla"))])
    assert calls == [("save", str(tmp_path / n)) for n in
                     ("ckpt-01-0.50.kxla", "ckpt-02-0.25.kxla", "ckpt-03-0.75.kxla", "ckpt-04-0.10.kxla")]


def test_save_best_only_and_weights_only(tmp_path, monkeypatch):
    model = tiny_model()
    calls = _recording(monkeypatch, model)
    _fit(model, [ModelCheckpoint(str(tmp_path / "w-{epoch}.weights"), save_best_only=True,
                                 save_weights_only=True)])
    assert calls == [("weights", str(tmp_path / f"w-{e}.weights")) for e in (1, 2, 4)]


def test_initial_value_threshold_and_max_mode(tmp_path, monkeypatch):
    model = tiny_model()
    calls = _recording(monkeypatch, model)
    _fit(model, [ModelCheckpoint(str(tmp_path / "a-{epoch}.kxla"), save_best_only=True,
                                 initial_value_threshold=0.3),
                 ModelCheckpoint(str(tmp_path / "b-{epoch}.kxla"), save_best_only=True, mode="max")])
    names = [os.path.basename(p) for _, p in calls]
    assert [n for n in names if n.startswith("a")] == ["a-2.kxla", "a-4.kxla"]
    assert [n for n in names if n.startswith("b")] == ["b-1.kxla", "b-3.kxla"]


def test_save_freq_in_batches(tmp_path, monkeypatch):
    model = tiny_model()
    calls = _recording(monkeypatch, model)
    # 4 batches per epoch, save every 3 batches: after batch 3 of epoch 1 and batch 2 of epoch 2
    _fit(model, [ModelCheckpoint(str(tmp_path / "b-{epoch}-{batch}-{loss:.1f}.kxla"), save_freq=3)],
         epochs=2, batch_size=8)
    names = [os.path.basename(p) for _, p in calls]
    assert [n.rsplit("-", 1)[0] for n in names] == ["b-1-3", "b-2-2"]
    assert all(np.isfinite(float(n.rsplit("-", 1)[1][:-5])) for n in names)


def test_creates_directories_and_reports_bad_templates(tmp_path, monkeypatch):
    model = tiny_model()
    _recording(monkeypatch, model)
    _fit(model, [ModelCheckpoint(str(tmp_path / "deep" / "er" / "{epoch}.kxla"))], epochs=1)
    assert (tmp_path / "deep" / "er").is_dir()
    with pytest.raises(KeyError, match="Failed to format"):
        _fit(model, [ModelCheckpoint(str(tmp_path / "{val_accuracy}.kxla"))], epochs=1)
    with pytest.raises(ValueError, match="save_freq"):
        ModelCheckpoint("x.kxla", save_freq="batch")


def test_real_weight_files(tmp_path):
    model = tiny_model()
    if not hasattr(model, "save_weights") or not hasattr(model, "load_weights"):
        pytest.skip("kxla.saving has not landed yet: Model has no save_weights/load_weights")
    log = WeightLog()
    _fit(model, [ModelCheckpoint(str(tmp_path / "best.weights.kxla"), save_best_only=True,
                                 save_weights_only=True), log])
    assert os.listdir(tmp_path) == ["best.weights.kxla"]
    fresh = tiny_model()
    fresh.load_weights(str(tmp_path / "best.weights.kxla"))
    for got, want in zip(fresh.get_weights(), log.weights[3]):       # epoch 4 has the best val_loss
        np.testing.assert_array_equal(got, want)


def test_real_model_files(tmp_path):
    import kxla
    model = tiny_model()
    if not hasattr(model, "save") or not hasattr(kxla.models, "load_model"):
        pytest.skip("kxla.saving has not landed yet: Model has no save / kxla.models.load_model")
    log = WeightLog()
    _fit(model, [ModelCheckpoint(str(tmp_path / "m-{epoch}.kxla")), log], epochs=2)
    assert sorted(os.listdir(tmp_path)) == ["m-1.kxla", "m-2.kxla"]
    loaded = kxla.models.load_model(str(tmp_path / "m-1.kxla"))
    for got, want in zip(loaded.get_weights(), log.weights[0]):
        np.testing.assert_array_equal(got, want)
