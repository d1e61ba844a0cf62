"""``text_dataset_from_directory``: Keras's arguments, files and labels; batches of ``str`` numpy arrays.

Keras's ``tf.data`` result yields bytes tensors; kxla yields numpy arrays of
``str`` (what Keras's ``format="grain"`` path yields), which kxla's
``TextVectorization`` reads. See ``directory_dataset`` for the rest.
"""
from __future__ import annotations

import numpy as np

from . import directory_dataset as dd


def text_dataset_from_directory(directory, labels="inferred", label_mode="int", class_names=None, batch_size=32,
                                max_length=None, shuffle=True, seed=None, validation_split=None, subset=None,
                                follow_links=False, format="tf", verbose=True):
    """Batches ``(texts, labels)`` of the ``.txt`` files in class subfolders of ``directory``."""
    dd.check_labels_arg(labels, class_names, "text")
    dd.check_label_mode(label_mode)
    if format not in ("tf", "grain"):
        raise ValueError(f'`format` should be either "tf" or "grain". Received: format={format}')
    paths, labels, label_mode, class_names, seed = dd.index_for_dataset(
        directory, labels, label_mode, (".txt",), class_names, shuffle, seed, validation_split, subset,
        follow_links, verbose)

    def load(path):
        with open(path, "r") as f:
            text = f.read()
        return text if max_length is None else text[:max_length]

    def make(part_paths, part_labels, may_shuffle):
        return dd.DirectoryDataset(part_paths, part_labels, load, np.array, batch_size, shuffle and may_shuffle,
                                   seed, class_names)

    missing = "No {kind}text files found in directory " + f"{directory}. Allowed format: .txt"
    return dd.build(paths, labels, label_mode, class_names, validation_split, subset, missing, make)
