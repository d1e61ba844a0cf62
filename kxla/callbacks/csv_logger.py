"""``CSVLogger``: one CSV row of logs per epoch (Keras 3 format)."""
from __future__ import annotations

import collections.abc
import csv

import numpy as np

from .callback import Callback


class CSVLogger(Callback):
    """Stream epoch results to a CSV file: an ``epoch`` column then the log keys, sorted.

    The columns are fixed by the first epoch's logs; when that epoch has no
    ``val_*`` entries, ``val_<key>`` columns are added anyway (as Keras does)
    and hold ``NA`` until validation runs.

    Arguments:
      filename: the CSV file.
      separator: the column separator.
      append: append to an existing file (the header is written only when the
        file is empty) instead of overwriting it.
    """

    def __init__(self, filename, separator=",", append=False):
        super().__init__()
        self.sep = separator
        self.filename = str(filename)
        self.append = append
        self.writer = None
        self.keys = None
        self.append_header = True
        self.csv_file = None

    def on_train_begin(self, logs=None):
        if self.append:
            try:
                with open(self.filename) as f:
                    self.append_header = not bool(len(f.readline()))
            except FileNotFoundError:
                self.append_header = True
            mode = "a"
        else:
            mode = "w"
        if self.csv_file is not None and not self.csv_file.closed:
            self.csv_file.close()
        self.csv_file = open(self.filename, mode, newline="")
        self.writer = None
        self.keys = None

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        if self.keys is None:
            self.keys = sorted(logs.keys())
            if self.keys and not any(k.startswith("val_") for k in self.keys):
                self.keys.extend([f"val_{k}" for k in self.keys])
        if self.writer is None:
            class Dialect(csv.excel):
                delimiter = self.sep

            self.writer = csv.DictWriter(self.csv_file, fieldnames=["epoch"] + self.keys, dialect=Dialect)
            if self.append_header:
                self.writer.writeheader()
        row = {"epoch": epoch}
        row.update((k, _cell(logs.get(k, "NA"))) for k in self.keys)
        self.writer.writerow(row)
        self.csv_file.flush()

    def on_train_end(self, logs=None):
        if self.csv_file is not None and not self.csv_file.closed:
            self.csv_file.close()
        self.writer = None


def _cell(value):
    if isinstance(value, str):
        return value
    if isinstance(value, collections.abc.Iterable) and not (isinstance(value, np.ndarray) and value.ndim == 0):
        return f"\"[{', '.join(map(str, value))}]\""
    return value
