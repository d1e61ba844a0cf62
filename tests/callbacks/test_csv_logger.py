"""CSVLogger: the exact file contents (header, column order, values, NA, separator, append)."""
import csv

from callback_check import drive, tiny_data, tiny_model
from kxla.callbacks import CSVLogger


def _rows(path, sep=","):
    with open(path, newline="") as f:
        return list(csv.reader(f, delimiter=sep))


def test_fit_writes_one_row_per_epoch(tmp_path):
    x, y = tiny_data()
    model = tiny_model()
    path = tmp_path / "log.csv"
    history = model.fit(x, y, epochs=3, batch_size=8, verbose=0, validation_data=(x[:8], y[:8]),
                        callbacks=[CSVLogger(path)])
    rows = _rows(path)
    assert rows[0] == ["epoch", "loss", "val_loss"]
    assert [r[0] for r in rows[1:]] == ["0", "1", "2"]
    for key, col in (("loss", 1), ("val_loss", 2)):
        assert [float(r[col]) for r in rows[1:]] == history.history[key]    # full float precision


def test_val_columns_are_na_without_validation_and_separator(tmp_path):
    x, y = tiny_data()
    model = tiny_model(metrics=["mae"])
    path = tmp_path / "log.csv"
    model.fit(x, y, epochs=2, batch_size=16, verbose=0, callbacks=[CSVLogger(path, separator=";")])
    rows = _rows(path, ";")
    assert rows[0] == ["epoch", "loss", "mae", "val_loss", "val_mae"]
    assert [r[3:] for r in rows[1:]] == [["NA", "NA"], ["NA", "NA"]]


def test_append_writes_the_header_once(tmp_path):
    path = tmp_path / "log.csv"
    model = tiny_model()
    for start in (0, 1):
        drive(CSVLogger(path, append=True), model, [0.5 + start, 0.25], key="loss")
    rows = _rows(path)
    assert rows == [["epoch", "loss", "val_loss"], ["0", "0.5", "NA"], ["1", "0.25", "NA"],
                    ["0", "1.5", "NA"], ["1", "0.25", "NA"]]
    drive(CSVLogger(path), model, [7.0], key="loss")             # append=False: overwrite
    assert _rows(path) == [["epoch", "loss", "val_loss"], ["0", "7.0", "NA"]]


def test_matches_keras_file(keras, tmp_path):
    from callback_check import oracle_model
    logs = [{"loss": 0.5, "val_loss": 0.75, "acc": 0.125}, {"loss": 0.25, "val_loss": 0.5, "acc": 0.5}]
    for cls, name in ((CSVLogger, "ours.csv"), (keras.callbacks.CSVLogger, "keras.csv")):
        cb = cls(str(tmp_path / name))
        cb.set_model(oracle_model())
        cb.on_train_begin({})
        for epoch, entry in enumerate(logs):
            cb.on_epoch_end(epoch, dict(entry))
        cb.on_train_end({})
    assert (tmp_path / "ours.csv").read_text() == (tmp_path / "keras.csv").read_text()
