"""TensorBoard: event files written through tensorboardX, read back record by record."""
import glob
import os
import struct
import sys

import numpy as np
import pytest

from callback_check import tiny_data, tiny_model
from kxla.callbacks import TensorBoard


def _events(run_dir):
    """All Event protos of a run directory (TFRecord framing: length, crc, payload, crc)."""
    event_pb2 = pytest.importorskip("tensorboardX.proto.event_pb2")
    events = []
    for path in sorted(glob.glob(os.path.join(run_dir, "events.out.tfevents.*"))):
        with open(path, "rb") as f:
            data = f.read()
        pos = 0
        while pos < len(data):
            (length,) = struct.unpack("<Q", data[pos:pos + 8])
            payload = data[pos + 12:pos + 12 + length]
            events.append(event_pb2.Event.FromString(payload))
            pos += 12 + length + 4
    return events


def _scalars(run_dir):
    out = {}
    for e in _events(run_dir):
        for v in e.summary.value:
            if v.HasField("simple_value"):
                out.setdefault(v.tag, []).append((e.step, v.simple_value))
    return out


def test_epoch_scalars_histograms_and_graph(tmp_path):
    pytest.importorskip("tensorboardX")
    x, y = tiny_data()
    model = tiny_model(metrics=["mae"])
    tb = TensorBoard(log_dir=str(tmp_path), histogram_freq=1)
    history = model.fit(x, y, epochs=3, batch_size=16, verbose=0, validation_data=(x, y), callbacks=[tb])
    train = _scalars(tmp_path / "train")
    val = _scalars(tmp_path / "validation")
    for key in ("loss", "mae"):
        assert [s for s, _ in train[f"epoch_{key}"]] == [0, 1, 2]
        np.testing.assert_allclose([v for _, v in train[f"epoch_{key}"]], history.history[key], rtol=1e-6)
        np.testing.assert_allclose([v for _, v in val[f"epoch_{key}"]], history.history[f"val_{key}"], rtol=1e-6)
    np.testing.assert_allclose([v for _, v in train["epoch_learning_rate"]], [0.05] * 3, rtol=1e-6)
    assert not any(t.startswith("batch_") for t in train)          # update_freq="epoch"

    events = _events(tmp_path / "train")
    histos = {}
    for e in events:
        for v in e.summary.value:
            if v.HasField("histo"):
                histos.setdefault(v.tag, []).append((e.step, v.histo))
    assert sorted(histos) == ["hidden/bias/histogram", "hidden/kernel/histogram",
                              "out/bias/histogram", "out/kernel/histogram"]
    step, last = histos["hidden/kernel/histogram"][-1]
    kernel = model.get_layer("hidden").get_weights()[0]
    assert step == 2 and last.num == kernel.size
    assert last.min == pytest.approx(kernel.min()) and last.max == pytest.approx(kernel.max())
    texts = [v for e in events for v in e.summary.value if v.tag.startswith("kxla_ir")]
    assert len(texts) == 1
    text = texts[0].tensor.string_val[0].decode()
    assert "graph @tiny" in text and "// hidden" in text


@pytest.mark.parametrize("update_freq, steps", [("batch", [1, 2, 3, 4, 5, 6, 7, 8]), (3, [3, 6])])
def test_batch_scalars(tmp_path, update_freq, steps):
    pytest.importorskip("tensorboardX")
    x, y = tiny_data()
    model = tiny_model()
    losses = []
    from kxla.callbacks import LambdaCallback
    record = LambdaCallback(on_train_batch_end=lambda b, logs: losses.append(logs["loss"]))
    model.fit(x, y, epochs=2, batch_size=8, verbose=0, shuffle=False,
              callbacks=[TensorBoard(str(tmp_path), write_graph=False, update_freq=update_freq), record])
    batch = _scalars(tmp_path / "train")["batch_loss"]
    assert [s for s, _ in batch] == steps
    np.testing.assert_allclose([v for _, v in batch], [losses[s - 1] for s in steps], rtol=1e-6)


def test_evaluate_writes_evaluation_scalars(tmp_path):
    pytest.importorskip("tensorboardX")
    x, y = tiny_data()
    model = tiny_model()
    model.fit(x, y, epochs=1, batch_size=8, verbose=0)
    tb = TensorBoard(str(tmp_path), write_graph=False)
    loss = model.evaluate(x, y, verbose=0, callbacks=[tb])
    tb._close_writers()
    val = _scalars(tmp_path / "validation")
    assert val["evaluation_loss_vs_iterations"] == [(4, pytest.approx(loss, rel=1e-6))]


def test_missing_tensorboardx_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "tensorboardX", None)
    with pytest.raises(ImportError, match=r"kxla\[tensorboard\]"):
        TensorBoard("logs")


def test_rejects_unsupported_keras_options():
    pytest.importorskip("tensorboardX")
    with pytest.raises(ValueError, match="write_images"):
        TensorBoard("logs", write_images=True)
    TensorBoard("logs", profile_batch=0)                          # Keras defaults are accepted
