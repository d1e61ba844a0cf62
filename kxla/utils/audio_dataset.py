"""``audio_dataset_from_directory``: Keras's arguments, files and labels; ``.wav`` batches as numpy arrays.

Samples decode as ``tf.audio.decode_wav`` does (16-bit PCM to float32 in
[-1, 1), shape ``(samples, channels)``; ``output_sequence_length`` truncates or
zero-pads); a batch without ``output_sequence_length`` is zero-padded to its
longest clip, as Keras's ``padded_batch``. ``sampling_rate`` (resampling, which
Keras does with tensorflow-io) and ``ragged=True`` (ragged tensors) raise.
"""
from __future__ import annotations

import wave

import numpy as np

from . import directory_dataset as dd

ALLOWED_FORMATS = (".wav",)


def read_wav(path, output_sequence_length=None):
    """A 16-bit PCM wav file as float32 ``(samples, channels)``."""
    with wave.open(str(path), "rb") as f:
        if f.getsampwidth() != 2:
            raise ValueError(f"{path}: only 16-bit PCM wav files can be decoded (as tf.audio.decode_wav); "
                             f"this one has {8 * f.getsampwidth()}-bit samples")
        channels, frames = f.getnchannels(), f.readframes(f.getnframes())
    audio = (np.frombuffer(frames, "<i2").astype("float32") / 32768.0).reshape(-1, channels)
    if output_sequence_length is not None:
        out = np.zeros((output_sequence_length, channels), "float32")
        n = min(output_sequence_length, len(audio))
        out[:n] = audio[:n]
        audio = out
    return audio


def _padded_stack(clips):
    longest = max(len(c) for c in clips)
    out = np.zeros((len(clips), longest, clips[0].shape[1]), "float32")
    for i, c in enumerate(clips):
        out[i, :len(c)] = c
    return out


def _check(labels, class_names, label_mode, ragged, output_sequence_length, sampling_rate):
    if labels not in ("inferred", None) and not isinstance(labels, (list, tuple)):
        raise ValueError(
            "The `labels` argument should be a list/tuple of integer labels, of the same size as the number of audio "
            "files in the target directory. If you wish to infer the labels from the subdirectory names in the "
            'target directory, pass `labels="inferred"`. If you wish to get a dataset that only contains audio '
            f"samples (no labels), pass `labels=None`. Received: labels={labels}")
    dd.check_labels_arg(labels, class_names, "audio")
    dd.check_label_mode(label_mode)
    if ragged and output_sequence_length is not None:
        raise ValueError("Cannot set both `ragged` and `output_sequence_length`")
    if sampling_rate is not None:
        if not isinstance(sampling_rate, int):
            raise ValueError(f"`sampling_rate` should have an integer value. Received: sampling_rate={sampling_rate}")
        if sampling_rate <= 0:
            raise ValueError(f"`sampling_rate` should be higher than 0. Received: sampling_rate={sampling_rate}")
        raise NotImplementedError("audio_dataset_from_directory(sampling_rate=...) resamples with tensorflow-io in "
                                  "Keras; kxla does not resample: pass sampling_rate=None and resample the files")
    if ragged:
        raise NotImplementedError("audio_dataset_from_directory(ragged=True) yields tf.RaggedTensor batches in Keras; "
                                  "kxla has no ragged arrays: use output_sequence_length or the default padding")


def audio_dataset_from_directory(directory, labels="inferred", label_mode="int", class_names=None, batch_size=32,
                                 sampling_rate=None, output_sequence_length=None, ragged=False, shuffle=True,
                                 seed=None, validation_split=None, subset=None, follow_links=False, verbose=True):
    """Batches ``(audio, labels)`` of the ``.wav`` files in class subfolders of ``directory``."""
    _check(labels, class_names, label_mode, ragged, output_sequence_length, sampling_rate)
    paths, labels, label_mode, class_names, seed = dd.index_for_dataset(
        directory, labels, label_mode, ALLOWED_FORMATS, class_names, shuffle, seed, validation_split, subset,
        follow_links, verbose)

    def make(part_paths, part_labels, may_shuffle):
        return dd.DirectoryDataset(part_paths, part_labels, lambda p: read_wav(p, output_sequence_length),
                                   _padded_stack, batch_size, shuffle and may_shuffle, seed, class_names)

    missing = "No {kind}audio files found in directory " + f"{directory}. Allowed format(s): {ALLOWED_FORMATS}"
    return dd.build(paths, labels, label_mode, class_names, validation_split, subset, missing, make)
