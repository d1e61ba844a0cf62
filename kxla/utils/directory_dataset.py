"""The shared part of ``image/text/audio_dataset_from_directory``: Keras's file index, split and batches.

Files are listed, labelled and shuffled exactly as Keras's ``index_directory``
does (sorted class folders, sorted walk, ``np.random.RandomState(seed)``), so
``file_paths``, labels and ``class_names`` equal Keras's for the same folder.
Keras then returns a ``tf.data.Dataset``; kxla has no TensorFlow and returns a
``DirectoryDataset`` (a ``PyDataset`` of numpy batches that ``fit`` /
``evaluate`` / ``predict`` accept). With ``shuffle=True`` Keras's tf.data also
reshuffles elements in a buffer each epoch with TensorFlow's generator; kxla
keeps the indexed order for the first epoch and reshuffles later epochs with
``numpy`` seeded by ``seed``.
"""
from __future__ import annotations

import os
from multiprocessing.pool import ThreadPool

import numpy as np

from .io_utils import print_msg
from .py_dataset import PyDataset


def check_labels_arg(labels, class_names, what: str) -> None:
    if labels not in ("inferred", None):
        if not isinstance(labels, (list, tuple)):
            raise ValueError(
                "`labels` argument should be a list/tuple of integer labels, of the same size as the number of "
                f"{what} files in the target directory. If you wish to infer the labels from the subdirectory "
                'names in the target directory, pass `labels="inferred"`. If you wish to get a dataset that only '
                f"contains {what}s (no labels), pass `labels=None`. Received: labels={labels}")
        if class_names:
            raise ValueError(f'You can only pass `class_names` if `labels="inferred"`. Received: labels={labels}, '
                             f"and class_names={class_names}")


def check_label_mode(label_mode) -> None:
    if label_mode not in {"int", "categorical", "binary", None}:
        raise ValueError('`label_mode` argument must be one of "int", "categorical", "binary", or None. '
                         f"Received: label_mode={label_mode}")


def check_validation_split_arg(validation_split, subset, shuffle, seed) -> None:
    if validation_split and not 0 < validation_split < 1:
        raise ValueError(f"`validation_split` must be between 0 and 1, received: {validation_split}")
    if (validation_split or subset) and not (validation_split and subset):
        raise ValueError("If `subset` is set, `validation_split` must be set, and inversely.")
    if subset not in ("training", "validation", "both", None):
        raise ValueError(f'`subset` must be either "training", "validation" or "both", received: {subset}')
    if validation_split and shuffle and seed is None:
        raise ValueError("If using `validation_split` and shuffling the data, you must provide a `seed` argument, "
                         "to make sure that there is no overlap between the training and validation subset.")


def _class_folders(directory, labels, class_names):
    if labels != "inferred":
        if class_names is not None:
            raise ValueError("When `labels=None` (no labels), argument `class_names` cannot be specified."
                             if labels is None else
                             "When argument `labels` is specified, argument `class_names` cannot be specified "
                             "(the `class_names` will be the sorted list of labels).")
        return [""]
    subdirs = [d.rstrip("/") for d in sorted(os.listdir(directory))
               if os.path.isdir(os.path.join(directory, d)) and not d.startswith(".")]
    if class_names is not None:
        if not set(class_names).issubset(set(subdirs)):
            raise ValueError("The `class_names` passed did not match the names of the subdirectories of the "
                             f"target directory. Expected: {subdirs} (or a subset of it), but received: "
                             f"class_names={class_names}")
        return list(class_names)
    return subdirs


def _index_folder(folder, follow_links, formats):
    name = os.path.basename(folder)
    found = []
    for root, _, files in sorted(os.walk(folder, followlinks=follow_links), key=lambda w: w[0]):
        for fname in sorted(files):
            if fname.lower().endswith(formats):
                found.append(os.path.join(name, os.path.relpath(os.path.join(root, fname), folder)))
    return found


def index_for_dataset(directory, labels, label_mode, formats, class_names, shuffle, seed, validation_split,
                      subset, follow_links, verbose):
    """The steps the ``*_dataset_from_directory`` functions share, after their own argument checks:
    ``(file_paths, labels, label_mode, class_names, seed)``, labels and label_mode None together, a drawn
    seed when none is given (as Keras), Keras's validation-split and binary-label checks."""
    if labels is None or label_mode is None:
        labels = label_mode = None
    check_validation_split_arg(validation_split, subset, shuffle, seed)
    if seed is None:
        seed = np.random.randint(1e6)
    paths, labels, class_names = index_directory(directory, labels, formats, class_names, shuffle, seed,
                                                 follow_links, verbose)
    if label_mode == "binary" and len(class_names) != 2:
        raise ValueError('When passing `label_mode="binary"`, there must be exactly 2 class_names. '
                         f"Received: class_names={class_names}")
    return paths, labels, label_mode, class_names, seed


def index_directory(directory, labels, formats, class_names=None, shuffle=True, seed=None, follow_links=False,
                    verbose=True):
    """``(file_paths, labels, class_names)`` as Keras's ``dataset_utils.index_directory``."""
    subdirs = _class_folders(directory, labels, class_names)
    with ThreadPool() as pool:
        found = pool.starmap(_index_folder, [(os.path.join(directory, d), follow_links, formats) for d in subdirs])
    filenames = [f for part in found for f in part]
    class_names = subdirs
    if labels == "inferred":
        labels = np.concatenate([np.full(len(part), i, "int32") for i, part in enumerate(found)] or
                                [np.zeros(0, "int32")])
    elif labels is None:
        class_names = None
    else:
        if len(labels) != len(filenames):
            raise ValueError(f"Expected the lengths of `labels` to match the number of files in the target "
                             f"directory. len(labels) is {len(labels)} while we found {len(filenames)} files in "
                             f"directory {directory}.")
        class_names = [str(label) for label in sorted(set(labels))]
    if verbose:
        print_msg(f"Found {len(filenames)} files." if labels is None else
                  f"Found {len(filenames)} files belonging to {len(class_names)} classes.")
    paths = [os.path.join(directory, f) for f in filenames]
    if shuffle:
        seed = np.random.randint(1e6) if seed is None else seed
        np.random.RandomState(seed).shuffle(paths)
        if labels is not None:
            np.random.RandomState(seed).shuffle(labels)
    return paths, labels, class_names


def training_or_validation_split(samples, labels, validation_split, subset):
    """Keras's split: the last ``int(validation_split * n)`` files are the validation subset."""
    if not validation_split:
        return samples, labels
    n_val = int(validation_split * len(samples))
    if subset == "training":
        print_msg(f"Using {len(samples) - n_val} files for training.")
        return samples[:-n_val], None if labels is None else labels[:-n_val]
    if subset == "validation":
        print_msg(f"Using {n_val} files for validation.")
        return samples[-n_val:], None if labels is None else labels[-n_val:]
    raise ValueError(f'`subset` must be either "training" or "validation", received: {subset}')


def encode_labels(labels, label_mode, num_classes):
    """Keras's label encoding: int32, one-hot float32 ("categorical") or (n, 1) float32 ("binary")."""
    labels = np.asarray(labels)
    if label_mode == "binary":
        return labels.astype("float32")[:, None]
    if label_mode == "categorical":
        return np.eye(num_classes, dtype="float32")[labels.astype("int64")]
    return labels.astype("int32")


class DirectoryDataset(PyDataset):
    """Batches of files loaded by ``load(path)``: ``(x, y)`` with labels, ``x`` without.

    Attributes (as Keras's dataset): ``class_names``, ``file_paths``.
    ``collate(samples)`` stacks one batch (padding, for audio).
    """

    def __init__(self, paths, labels, load, collate, batch_size, shuffle, seed, class_names):
        super().__init__()
        self.file_paths, self.class_names = list(paths), class_names
        self._labels, self._load, self._collate = labels, load, collate
        self._batch_size, self._shuffle = batch_size, shuffle
        self._rng = np.random.RandomState(seed)
        self._order = np.arange(len(self.file_paths))

    def __len__(self):
        n = len(self.file_paths)
        return n if self._batch_size is None else -(-n // self._batch_size)

    def __getitem__(self, index):
        if not 0 <= index < len(self):
            raise IndexError(f"batch {index} of a dataset of {len(self)} batches")
        if self._batch_size is None:
            rows = self._order[index:index + 1]
        else:
            rows = self._order[index * self._batch_size:(index + 1) * self._batch_size]
        x = [self._load(self.file_paths[i]) for i in rows]
        x = x[0] if self._batch_size is None else self._collate(x)
        if self._labels is None:
            return x
        y = self._labels[rows]
        return x, (y[0] if self._batch_size is None else y)

    def __iter__(self):
        for i in range(len(self)):
            yield self[i]

    def on_epoch_end(self):
        if self._shuffle:
            self._order = self._rng.permutation(len(self.file_paths))


def build(file_paths, labels, label_mode, class_names, validation_split, subset, missing, make):
    """One dataset, or ``[training, validation]`` for ``subset="both"``; ``make(paths, labels, shuffle)``.

    ``missing`` is the message of an empty subset, formatted with ``kind`` ("training " or "validation " for
    ``subset="both"``, else "")."""
    num_classes = len(class_names) if class_names else 0
    encoded = None if label_mode is None else encode_labels(labels, label_mode, num_classes)
    parts = ("training", "validation") if subset == "both" else (subset,)
    out = []
    for part in parts:
        paths, part_labels = training_or_validation_split(file_paths, encoded, validation_split, part)
        if not paths:
            raise ValueError(missing.format(kind=part + " " if subset == "both" else ""))
        out.append(make(paths, part_labels, part != "validation" or subset != "both"))
    return out if subset == "both" else out[0]
