"""CategoryEncoding and Discretization (Keras 3): integer ids / bucketed floats to one-hot, multi-hot, counts.

Both run in the graph (``one_hot`` and reductions), as Keras's do on the JAX
backend. ``Discretization.adapt`` runs on the host (numpy), estimating
quantile boundaries with Keras's summary/compress algorithm.
"""
from __future__ import annotations

import numpy as np

from ... import ops
from ..layer import Layer

_MODES = ("int", "one_hot", "multi_hot", "count")


def encode_categorical(inputs, output_mode, depth, dtype="float32", count_weights=None):
    """Keras's ``encode_categorical_inputs`` for dense outputs."""
    if output_mode == "int":
        return ops.cast(inputs, dtype)
    x = ops.expand_dims(inputs, -1) if len(inputs.shape) == 0 else inputs
    if x.dtype != "int32":
        x = ops.cast(x, "int32")
    if output_mode == "one_hot":
        if len(x.shape) > 1 and x.shape[-1] == 1:
            x = ops.squeeze(x, -1)
        return ops.one_hot(x, depth, dtype=dtype)
    axis = 1 if len(x.shape) > 1 else 0
    if output_mode == "multi_hot":
        return ops.max(ops.one_hot(x, depth, dtype=dtype), axis=axis)
    encoded = ops.one_hot(x, depth, dtype=count_weights.dtype if count_weights is not None else dtype)
    if count_weights is not None:
        encoded = encoded * ops.expand_dims(count_weights, -1)
    return ops.sum(encoded, axis=axis)


def _output_shape(input_shape, output_mode, depth):
    if output_mode == "int":
        return tuple(input_shape)
    if len(input_shape) == 0:
        return (depth,)
    if output_mode == "one_hot":
        if len(input_shape) > 1 and input_shape[-1] == 1:
            return tuple(input_shape[:-1]) + (depth,)
        return tuple(input_shape) + (depth,)
    return tuple(input_shape[:-1]) + (depth,)


class CategoryEncoding(Layer):
    """Encode integer ids as one-hot, multi-hot or count vectors (``keras.layers.CategoryEncoding``)."""

    def __init__(self, num_tokens=None, output_mode="multi_hot", sparse=False, **kwargs):
        super().__init__(**kwargs)
        if output_mode == "binary":
            output_mode = "multi_hot"
        if output_mode not in ("count", "one_hot", "multi_hot"):
            raise ValueError(f"Unknown arg for output_mode: {output_mode}")
        if num_tokens is None:
            raise ValueError("num_tokens must be set to use this layer. If the number of tokens is not known "
                             "beforehand, use the IntegerLookup layer instead.")
        if num_tokens < 1:
            raise ValueError(f"`num_tokens` must be >= 1. Received: num_tokens={num_tokens}.")
        if sparse:
            raise ValueError("kxla has no sparse tensors: CategoryEncoding(sparse=True) is not supported")
        self.num_tokens, self.output_mode, self.sparse = num_tokens, output_mode, sparse

    def call(self, inputs, count_weights=None):
        if count_weights is not None and self.output_mode != "count":
            raise ValueError("`count_weights` is not used when `output_mode` is not `'count'`. "
                             f"Received `count_weights={count_weights}`.")
        return encode_categorical(inputs, self.output_mode, self.num_tokens, self.compute_dtype, count_weights)

    def compute_output_shape(self, input_shape):
        return _output_shape(input_shape, self.output_mode, self.num_tokens)

    def get_config(self):
        return {**super().get_config(), "num_tokens": self.num_tokens, "output_mode": self.output_mode}


def _summarize(values, epsilon):
    values = np.sort(np.reshape(values, [-1]))
    step = max(values.size / (1.0 / epsilon), 1)
    boundaries = values[int(step - 1)::int(step)]
    return np.stack([boundaries, np.ones_like(boundaries) * step])


def _compress(summary, epsilon):
    if summary.shape[1] * epsilon < 1:
        return summary
    percents = epsilon + np.arange(0.0, 1.0, epsilon)
    cum = summary[1].cumsum()
    cum_percents = cum / cum[-1]
    bins = np.interp(percents, cum_percents, summary[0])
    cum = np.interp(percents, cum_percents, cum)
    return np.stack((bins, cum - np.concatenate(([0], cum[:-1])))).astype("float32")


class Discretization(Layer):
    """Bucket floats by ``bin_boundaries`` (or boundaries learned by ``adapt``) (``keras.layers.Discretization``).

    Bucket ``i`` holds ``boundaries[i-1] <= x < boundaries[i]`` (``numpy.digitize``);
    ``output_mode`` "int" (default), "one_hot", "multi_hot" or "count".
    """

    def __init__(self, bin_boundaries=None, num_bins=None, epsilon=0.01, output_mode="int", sparse=False,
                 dtype=None, name=None):
        super().__init__(name=name, dtype=dtype)
        if sparse:
            raise ValueError("kxla has no sparse tensors: Discretization(sparse=True) is not supported")
        if output_mode not in _MODES:
            raise ValueError(f"Unknown value for `output_mode`. Allowed values are {_MODES}. "
                             f"Received: output_mode={output_mode}")
        if num_bins is not None and num_bins < 0:
            raise ValueError(f"`num_bins` must be greater than or equal to 0. Received: `num_bins={num_bins}`")
        if num_bins is not None and bin_boundaries is not None:
            raise ValueError("Both `num_bins` and `bin_boundaries` should not be set. Received: "
                             f"`num_bins={num_bins}` and `bin_boundaries={bin_boundaries}`")
        if num_bins is None and bin_boundaries is None:
            raise ValueError("You need to set either `num_bins` or `bin_boundaries`.")
        self.bin_boundaries, self.num_bins, self.epsilon = bin_boundaries, num_bins, epsilon
        self.output_mode, self.sparse = output_mode, sparse
        self.summary = None if bin_boundaries else np.array([[], []], dtype="float32")

    def adapt(self, data, steps=None):
        """Learn ``num_bins`` quantile boundaries from an array or an iterable of batches (on the host)."""
        if self.num_bins is None:
            raise ValueError("Cannot adapt a Discretization layer that has been initialized with "
                             "`bin_boundaries`, use `num_bins` instead.")
        self.summary = np.array([[], []], dtype="float32")
        batches = [data] if isinstance(data, np.ndarray) or hasattr(data, "shape") else data
        for i, batch in enumerate(batches):
            if steps is not None and i >= steps:
                break
            merged = np.concatenate((_summarize(np.asarray(batch, "float32"), self.epsilon), self.summary), axis=1)
            self.summary = _compress(np.take(merged, np.argsort(merged[0]), axis=1), self.epsilon)
        self.bin_boundaries = _compress(self.summary, 1.0 / self.num_bins)[0, :-1].tolist()

    def call(self, inputs):
        if self.bin_boundaries is None:
            raise ValueError("You need to either pass the `bin_boundaries` argument at construction time or call "
                             "`adapt(dataset)` before you can start using the `Discretization` layer.")
        x = ops.cast(inputs, "float32") if inputs.dtype != "float32" else inputs
        bounds = np.asarray(self.bin_boundaries, "float32")
        indices = ops.sum(ops.cast(ops.greater_equal(ops.expand_dims(x, -1), bounds), "int32"), axis=-1)
        dtype = "int32" if self.output_mode == "int" else self.compute_dtype
        return encode_categorical(indices, self.output_mode, len(self.bin_boundaries) + 1, dtype)

    def compute_output_shape(self, input_shape):
        depth = len(self.bin_boundaries) + 1 if self.bin_boundaries is not None else self.num_bins
        if self.output_mode in ("int", "one_hot"):
            return _output_shape(input_shape, self.output_mode, depth)
        return (input_shape[0],) + tuple(input_shape[2:]) + (depth,) if len(input_shape) >= 2 else (depth,)

    def get_config(self):
        return {"bin_boundaries": self.bin_boundaries, "num_bins": self.num_bins, "epsilon": self.epsilon,
                "output_mode": self.output_mode, "sparse": self.sparse, "name": self.name, "dtype": self.dtype}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        if config.get("bin_boundaries") is not None and config.get("num_bins") is not None:
            bounds = config.pop("bin_boundaries")
            layer = cls(**config)
            layer.bin_boundaries = bounds
            return layer
        return cls(**config)
