"""TextVectorization (Keras 3) as a host-side layer: strings -> token ids or bag-of-words vectors.

Standardize ("lower_and_strip_punctuation", "lower", "strip_punctuation",
None or a callable on a numpy string array), split ("whitespace",
"character", None or a callable), optional n-grams, then a StringLookup with
"" as the padding token at 0 and "[UNK]" at 1 (``int`` output, padded or
truncated to ``output_sequence_length``, or to the longest row) or the
multi-hot / count / tf-idf vectors. Runs on numpy arrays and lists, before
the graph, as Keras's does outside tf.data.
"""
from __future__ import annotations

import re

import numpy as np

from .lookup import HostLayer, StringLookup

_PUNCTUATION = re.compile(r'[!"#$%&()\*\+,-\./:;<=>?@\[\\\]^_`{|}~\']')
_STANDARDIZE = ("lower_and_strip_punctuation", "lower", "strip_punctuation", None)
_SPLIT = ("whitespace", "character", None)


class TextVectorization(HostLayer):
    """Turn raw strings into token ids or bag-of-words vectors (``keras.layers.TextVectorization``)."""

    def __init__(self, max_tokens=None, standardize="lower_and_strip_punctuation", split="whitespace", ngrams=None,
                 output_mode="int", output_sequence_length=None, pad_to_max_tokens=False, vocabulary=None,
                 idf_weights=None, sparse=False, ragged=False, encoding="utf-8", name=None, **kwargs):
        kwargs.pop("vocabulary_size", None)
        super().__init__(name=name, **kwargs)
        if not (standardize in _STANDARDIZE or callable(standardize)):
            raise ValueError(f"`standardize` must be one of {_STANDARDIZE} or a callable. Received: {standardize}")
        if not (split in _SPLIT or callable(split)):
            raise ValueError(f"`split` must be one of {_SPLIT} or a callable. Received: {split}")
        if ngrams is not None and not (isinstance(ngrams, int) or
                                       isinstance(ngrams, (list, tuple)) and all(isinstance(n, int) for n in ngrams)):
            raise ValueError(f"`ngrams` must be None, an integer, or a tuple of integers. Received: ngrams={ngrams}")
        if output_sequence_length is not None and output_mode != "int":
            raise ValueError("`output_sequence_length` must not be set if `output_mode` is not 'int'. "
                             f"Received output_sequence_length={output_sequence_length}.")
        if ragged:
            raise ValueError("kxla has no ragged tensors: TextVectorization(ragged=True) is not supported")
        self._standardize, self._split, self._ngrams_arg = standardize, split, ngrams
        self._ngrams = tuple(range(1, ngrams + 1)) if isinstance(ngrams, int) else ngrams
        self._output_mode, self._output_sequence_length = output_mode, output_sequence_length
        self._ragged, self._encoding = ragged, encoding
        self._lookup_layer = StringLookup(max_tokens=max_tokens, vocabulary=vocabulary, idf_weights=idf_weights,
                                          pad_to_max_tokens=pad_to_max_tokens, mask_token="",
                                          output_mode=output_mode, sparse=sparse, encoding=encoding)

    # -- text -> tokens -----------------------------------------------------------------------
    def _strings(self, inputs):
        arr = np.asarray(inputs, dtype=object)
        if arr.ndim > 1:
            if arr.shape[-1] != 1:
                raise ValueError("When using `TextVectorization` to tokenize strings, the input rank must be 1 or "
                                 f"the last shape dimension must be 1. Received: inputs.shape={arr.shape}")
            arr = arr[..., 0]
        arr = np.vectorize(lambda s: s.decode(self._encoding) if isinstance(s, bytes) else str(s),
                           otypes=[object])(arr)
        if self._standardize in ("lower", "lower_and_strip_punctuation"):
            arr = np.vectorize(str.lower, otypes=[object])(arr)
        if self._standardize in ("strip_punctuation", "lower_and_strip_punctuation"):
            arr = np.vectorize(lambda s: _PUNCTUATION.sub("", s), otypes=[object])(arr)
        if callable(self._standardize):
            arr = np.asarray(self._standardize(arr), dtype=object)
        return arr

    def _tokens(self, text):
        if self._split is None:
            tokens = [text]
        elif self._split == "whitespace":
            tokens = text.split()
        elif self._split == "character":
            tokens = list(text)
        else:
            tokens = list(self._split(text))
        if self._ngrams:
            tokens = [" ".join(tokens[i:i + n]) for n in self._ngrams for i in range(len(tokens) - n + 1)]
        return tokens

    def _tokenize(self, inputs):
        arr = self._strings(inputs)
        return [self._tokens(t) for t in np.ravel(arr).tolist()], arr.ndim == 0

    # -- vocabulary ---------------------------------------------------------------------------
    def adapt(self, data, steps=None):
        """Learn the vocabulary (and idf weights for "tf_idf") from strings, most frequent first."""
        batches = [data] if isinstance(data, (str, np.ndarray, list, tuple)) else data
        rows = []
        for i, batch in enumerate(batches):
            if steps is not None and i >= steps:
                break
            rows.extend(self._tokenize(batch)[0])
        width = max((len(r) for r in rows), default=1)
        padded = np.array([r + [""] * (width - len(r)) for r in rows], dtype=object)
        self._lookup_layer.adapt(padded)

    def set_vocabulary(self, vocabulary, idf_weights=None):
        self._lookup_layer.set_vocabulary(vocabulary, idf_weights)

    def get_vocabulary(self, include_special_tokens=True):
        return self._lookup_layer.get_vocabulary(include_special_tokens)

    def vocabulary_size(self):
        return self._lookup_layer.vocabulary_size()

    # -- calling ------------------------------------------------------------------------------
    def call(self, inputs):
        rows, scalar = self._tokenize(inputs)
        if self._output_mode == "int":
            length = self._output_sequence_length or max((len(r) for r in rows), default=0)
            ids = np.zeros((len(rows), length), np.int64)
            for i, r in enumerate(rows):
                looked = self._lookup_layer(np.array(r[:length], dtype=object)) if r else []
                ids[i, :len(looked)] = looked
            return ids[0] if scalar else ids
        width = max((len(r) for r in rows), default=1)
        padded = np.array([r + [""] * (width - len(r)) for r in rows], dtype=object)
        out = self._lookup_layer(padded)
        return out[0] if scalar else out

    def get_config(self):
        lookup = self._lookup_layer
        return {**super().get_config(), "max_tokens": lookup.max_tokens, "standardize": self._standardize,
                "split": self._split, "ngrams": self._ngrams_arg, "output_mode": self._output_mode,
                "output_sequence_length": self._output_sequence_length,
                "pad_to_max_tokens": lookup.pad_to_max_tokens, "sparse": lookup.sparse, "ragged": self._ragged,
                "vocabulary": lookup.get_config()["vocabulary"], "idf_weights": lookup.get_config()["idf_weights"],
                "encoding": self._encoding, "vocabulary_size": self.vocabulary_size()}
