"""StringLookup and IntegerLookup (Keras 3) as host-side layers: numpy in, numpy out, before the graph.

Keras's lookup layers are TensorFlow tables that Keras runs outside the
compiled step (in tf.data); here they run on the host on numpy arrays or
lists, and refuse symbolic tensors with a clear error (apply them to the
data, then feed the ids to the model). Index layout as Keras: the mask token
(``int`` output only) at 0, then ``num_oov_indices`` OOV slots (an OOV value
goes to slot ``value % num_oov_indices`` for integers), then the vocabulary.
``adapt`` orders tokens by count, ties broken as Keras (reverse lexicographic).
"""
from __future__ import annotations

import os
from collections import Counter

import numpy as np

from ...ops.tracing import KerasTensor
from ..layer import Layer
from .encoding import _MODES

_OUTPUT_MODES = _MODES + ("tf_idf",)


class HostLayer(Layer):
    """A layer computed on the host with numpy; symbolic inputs are refused."""

    def __call__(self, inputs, *args, **kwargs):
        if isinstance(inputs, KerasTensor) or any(isinstance(a, KerasTensor) for a in args):
            raise ValueError(f"{type(self).__name__} runs on the host before the graph (as Keras's does outside "
                             "tf.data): apply it to your numpy data, then feed its output to the model.")
        self.built = True
        return self.call(inputs, *args, **{k: v for k, v in kwargs.items() if k != "training"})


class IndexLookup(HostLayer):
    """Shared lookup logic (Keras's IndexLookup): vocabulary, OOV slots, mask token, output modes, adapt."""

    def __init__(self, max_tokens, num_oov_indices, mask_token, oov_token, vocabulary_dtype, vocabulary=None,
                 idf_weights=None, invert=False, output_mode="int", sparse=False, pad_to_max_tokens=False,
                 oov_method="floormod", salt=None, vocabulary_size=None, **kwargs):
        super().__init__(**kwargs)
        if max_tokens is not None and max_tokens <= 1:
            raise ValueError(f"If set, `max_tokens` must be greater than 1. Received: max_tokens={max_tokens}")
        if num_oov_indices < 0:
            raise ValueError(f"`num_oov_indices` must be greater than or equal to 0. Received: {num_oov_indices}")
        if output_mode not in _OUTPUT_MODES:
            raise ValueError(f"Unknown value for `output_mode`: {output_mode}; expected one of {_OUTPUT_MODES}")
        if invert and output_mode != "int":
            raise ValueError(f"`output_mode` must be `'int'` when `invert` is true. Received: {output_mode}")
        if sparse:
            raise ValueError("kxla has no sparse tensors: sparse=True is not supported")
        if oov_method != "floormod" or salt is not None:
            raise ValueError("kxla's lookup layers support oov_method='floormod' only (FarmHash is not available)")
        self.max_tokens, self.num_oov_indices = max_tokens, num_oov_indices
        self.mask_token, self.oov_token = mask_token, oov_token
        self.vocabulary_dtype, self.invert, self.output_mode = vocabulary_dtype, invert, output_mode
        self.sparse, self.pad_to_max_tokens, self.oov_method, self.salt = sparse, pad_to_max_tokens, oov_method, salt
        self.input_vocabulary, self.input_idf_weights = vocabulary, idf_weights
        self._vocab, self.idf_weights = [], None
        if vocabulary is not None:
            self.set_vocabulary(vocabulary, idf_weights)

    # -- vocabulary ---------------------------------------------------------------------------
    def _oov_start(self):
        return 1 if self.mask_token is not None and self.output_mode == "int" else 0

    def _token_start(self):
        return self._oov_start() + self.num_oov_indices

    def _convert(self, token):
        return token

    def set_vocabulary(self, vocabulary, idf_weights=None):
        if isinstance(vocabulary, str) and os.path.isfile(vocabulary):
            with open(vocabulary, encoding="utf-8") as f:
                vocabulary = [line.rstrip("\n") for line in f]
        vocab = [self._convert(t) for t in np.asarray(vocabulary).tolist()]
        specials = [t for t in (self.mask_token, self.oov_token) if t is not None]
        if vocab[:len(specials)] == specials and self.output_mode == "int":
            vocab = vocab[len(specials) + self.num_oov_indices - 1:]      # a vocabulary with its specials
        if len(set(vocab)) != len(vocab):
            repeated = [t for t, n in Counter(vocab).items() if n > 1]
            raise ValueError(f"The passed vocabulary has at least one repeated term. Please uniquify your "
                             f"dataset. The repeated terms are: {repeated}")
        if self.mask_token is not None and self.mask_token in vocab:
            raise ValueError(f"Found reserved mask token at unexpected location in `vocabulary`: {self.mask_token}")
        if self.max_tokens is not None and len(vocab) + self._token_start() > self.max_tokens:
            raise ValueError(f"Attempted to set a vocabulary larger than the maximum vocab size. Received "
                             f"vocabulary size is {len(vocab) + self._token_start()}; `max_tokens` is "
                             f"{self.max_tokens}.")
        if self.output_mode == "tf_idf":
            if idf_weights is None:
                raise ValueError("`idf_weights` must be set if output_mode is 'tf_idf'.")
            idf = np.asarray(idf_weights, "float32")
            self.idf_weights = np.concatenate([np.full(self._token_start(), idf.mean(), "float32"), idf])
        self._vocab = vocab
        self._index = {t: i + self._token_start() for i, t in enumerate(vocab)}

    def get_vocabulary(self, include_special_tokens=True):
        if not include_special_tokens:
            return list(self._vocab)
        head = [self.mask_token] if self._oov_start() else []
        return head + [self.oov_token] * self.num_oov_indices + list(self._vocab)

    def vocabulary_size(self):
        return len(self._vocab) + self._token_start()

    def adapt(self, data, steps=None):
        """Build the vocabulary from ``data`` (an array, or an iterable of batches), most frequent first."""
        batches = [data] if isinstance(data, np.ndarray) or not hasattr(data, "__iter__") or \
            isinstance(data, (list, tuple)) else data
        counts, docs, n_docs = Counter(), Counter(), 0
        for i, batch in enumerate(batches):
            if steps is not None and i >= steps:
                break
            for row in self._rows(np.asarray(batch)):
                tokens = [self._convert(t) for t in np.ravel(row).tolist()]
                tokens = [t for t in tokens if t != self.mask_token and t != self.oov_token]
                counts.update(tokens)
                docs.update(set(tokens))
                n_docs += 1
        tokens = list(counts)
        order = np.lexsort((np.asarray(tokens, dtype=object).astype(str) if tokens and isinstance(tokens[0], str)
                            else np.asarray(tokens), np.asarray([counts[t] for t in tokens])))[::-1]
        vocab = [tokens[i] for i in order]
        if self.max_tokens is not None:
            vocab = vocab[:self.max_tokens - self._token_start()]
        idf = None
        if self.output_mode == "tf_idf":
            idf = np.log(1 + n_docs / (1 + np.asarray([docs[t] for t in vocab], "float64")))
        self.set_vocabulary(vocab, idf)

    @staticmethod
    def _rows(array):
        return array if array.ndim > 1 else array.reshape(-1, 1) if array.ndim == 1 else array.reshape(1, 1)

    # -- lookup -------------------------------------------------------------------------------
    def _ids(self, values):
        out = np.empty(values.shape, np.int64)
        flat, res = values.reshape(-1), out.reshape(-1)
        for i, v in enumerate(flat.tolist()):
            v = self._convert(v)
            if self.mask_token is not None and v == self.mask_token:
                res[i] = 0 if self.output_mode == "int" else -1
            elif v in self._index:
                res[i] = self._index[v]
            elif self.num_oov_indices == 0:
                raise ValueError(f"{type(self).__name__}: {v!r} is not in the vocabulary and num_oov_indices=0")
            else:
                res[i] = self._oov_start() + self._oov_slot(v)
        return out

    def _oov_slot(self, value):
        return int(value) % self.num_oov_indices if self.num_oov_indices > 1 else 0

    def _invert(self, ids):
        vocab = self.get_vocabulary()
        return np.vectorize(lambda i: vocab[i] if 0 <= i < len(vocab) else self.oov_token, otypes=[object])(ids)

    def call(self, inputs):
        values = np.asarray(inputs)
        if self.invert:
            out = self._invert(values.astype(np.int64))
            return out.astype(str) if isinstance(self.oov_token, str) else out.astype(np.int64)
        ids = self._ids(values)
        if self.output_mode == "int":
            return ids
        depth = self.max_tokens if self.pad_to_max_tokens and self.max_tokens else self.vocabulary_size()
        if self.output_mode == "one_hot":
            x = ids[..., 0] if ids.ndim > 1 and ids.shape[-1] == 1 else ids
            return (x[..., None] == np.arange(depth)).astype("float32")
        counts = (ids[..., None] == np.arange(depth)).sum(axis=1 if ids.ndim > 1 else 0).astype("float32")
        if self.output_mode == "multi_hot":
            return (counts > 0).astype("float32")
        if self.output_mode == "tf_idf":
            return counts * self.idf_weights[:depth]
        return counts

    def get_config(self):
        return {**super().get_config(), "invert": self.invert, "max_tokens": self.max_tokens,
                "num_oov_indices": self.num_oov_indices, "oov_token": self.oov_token,
                "mask_token": self.mask_token, "output_mode": self.output_mode, "sparse": self.sparse,
                "pad_to_max_tokens": self.pad_to_max_tokens, "vocabulary_dtype": self.vocabulary_dtype,
                "idf_weights": None if self.input_idf_weights is None else np.asarray(self.input_idf_weights).tolist(),
                "vocabulary": None if self.input_vocabulary is None else np.asarray(self.input_vocabulary).tolist(),
                "vocabulary_size": self.vocabulary_size(), "oov_method": self.oov_method, "salt": self.salt}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        config.pop("vocabulary_size", None)
        return cls(**config)


class StringLookup(IndexLookup):
    """Map strings to integer ids (or back, with ``invert``) on the host (``keras.layers.StringLookup``)."""

    def __init__(self, max_tokens=None, num_oov_indices=1, mask_token=None, oov_token="[UNK]", vocabulary=None,
                 idf_weights=None, invert=False, output_mode="int", pad_to_max_tokens=False, sparse=False,
                 encoding="utf-8", name=None, salt=None, **kwargs):
        kwargs.pop("vocabulary_dtype", None)
        self.encoding = encoding
        super().__init__(max_tokens, num_oov_indices, mask_token, oov_token, "string", vocabulary=vocabulary,
                         idf_weights=idf_weights, invert=invert, output_mode=output_mode, sparse=sparse,
                         pad_to_max_tokens=pad_to_max_tokens, name=name, salt=salt, **kwargs)

    def _convert(self, token):
        return token.decode(self.encoding) if isinstance(token, bytes) else str(token)

    def _oov_slot(self, value):
        if self.num_oov_indices > 1:
            raise ValueError("StringLookup with num_oov_indices > 1 hashes strings with FarmHash, which kxla "
                             "does not provide; use num_oov_indices=1")
        return 0

    def get_config(self):
        config = {**super().get_config(), "encoding": self.encoding}
        del config["vocabulary_dtype"]
        return config


class IntegerLookup(IndexLookup):
    """Map integer values to contiguous ids (or back) on the host (``keras.layers.IntegerLookup``)."""

    def __init__(self, max_tokens=None, num_oov_indices=1, mask_token=None, oov_token=-1, vocabulary=None,
                 vocabulary_dtype="int64", idf_weights=None, invert=False, output_mode="int", sparse=False,
                 pad_to_max_tokens=False, oov_method="floormod", salt=None, name=None, **kwargs):
        if mask_token is not None and mask_token < 0:
            raise ValueError(f"`mask_token` should be non-negative. Received: mask_token={mask_token}")
        super().__init__(max_tokens, num_oov_indices, mask_token, oov_token, vocabulary_dtype, vocabulary=vocabulary,
                         idf_weights=idf_weights, invert=invert, output_mode=output_mode, sparse=sparse,
                         pad_to_max_tokens=pad_to_max_tokens, oov_method=oov_method, salt=salt, name=name,
                         **kwargs)

    def _convert(self, token):
        return int(token)
