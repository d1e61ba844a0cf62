"""Normalization: ``(x - mean) / max(sqrt(variance), 1e-7)`` per kept axis, from ``adapt(data)`` or given values.

Keras 3's preprocessing layer: adapted (or loaded) statistics live in the
non-trainable weights ``mean``, ``variance`` and ``count`` (Keras's names,
order and shapes); ``mean=`` / ``variance=`` given at construction are
constants instead. ``invert=True`` maps normalized values back.
"""
from __future__ import annotations

import itertools
import math

import numpy as np

from ... import ops
from ..layer import Layer

_EPSILON = 1e-7          # keras.backend.epsilon()


class Normalization(Layer):
    def __init__(self, axis=-1, mean=None, variance=None, invert=False, **kwargs):
        super().__init__(**kwargs)
        self.axis = () if axis is None else (axis,) if isinstance(axis, int) else tuple(axis)
        self.input_mean, self.input_variance, self.invert = mean, variance, invert
        self.supports_masking = True
        self._build_input_shape = None
        if (mean is not None) != (variance is not None):
            raise ValueError("When setting values directly, both `mean` and `variance` must be set. "
                             f"Received: mean={mean} and variance={variance}")
        if mean is not None:
            if np.shape(mean) != np.shape(variance):
                raise ValueError("When setting values directly, `mean` and `variance` must have the same shape. "
                                 f"Received: mean shape {np.shape(mean)} and variance shape {np.shape(variance)}")
            if len(np.shape(mean)) > len(self.axis):
                raise ValueError(f"The rank of `mean` must be less than or equal to the number of axes "
                                 f"({len(self.axis)}). Received: mean shape {np.shape(mean)} for axis {self.axis}")

    def build(self, input_shape):
        ndim = len(input_shape)
        self._build_input_shape = tuple(input_shape)
        if any(a < -ndim or a >= ndim for a in self.axis):
            raise ValueError(f"All `axis` values must be in the range [-ndim, ndim). Received inputs with "
                             f"ndim={ndim}, while axis={self.axis}")
        self._keep_axis = tuple(sorted(d % ndim for d in self.axis))
        for d in self._keep_axis:
            if input_shape[d] is None:
                raise ValueError(f"All `axis` values to be kept must have a known shape. Received axis="
                                 f"{self.axis}, inputs.shape={tuple(input_shape)}, with unknown axis at index {d}")
        self._reduce_axis = tuple(d for d in range(ndim) if d not in self._keep_axis)
        self._broadcast_shape = tuple(input_shape[d] if d in self._keep_axis else 1 for d in range(ndim))
        self._mean_and_var_shape = tuple(input_shape[d] for d in self._keep_axis)
        if self.input_mean is None:
            self.adapt_mean = self.add_weight(name="mean", shape=self._mean_and_var_shape, initializer="zeros",
                                              trainable=False)
            self.adapt_variance = self.add_weight(name="variance", shape=self._mean_and_var_shape,
                                                  initializer="ones", trainable=False)
            self.count = self.add_weight(name="count", shape=(), dtype="int32", initializer="zeros",
                                         trainable=False)
        self.built = True

    def _constants(self):
        """The given mean / variance broadcast to the input's rank (Keras's expansion rule)."""
        mean = np.asarray(self.input_mean, dtype="float32")
        variance = np.asarray(self.input_variance, dtype="float32")
        ndim = len(self._broadcast_shape)
        if mean.ndim:
            expanded = [1] * ndim
            for i in range(1, mean.ndim + 1):
                expanded[self._keep_axis[-i]] = mean.shape[-i]
            mean, variance = mean.reshape(expanded), variance.reshape(expanded)
        return (np.broadcast_to(mean, self._broadcast_shape).astype(self.compute_dtype),
                np.broadcast_to(variance, self._broadcast_shape).astype(self.compute_dtype))

    def call(self, inputs):
        x = ops.cast(inputs, self.compute_dtype)
        if self.input_mean is not None:
            mean, variance = self._constants()
            std = np.maximum(np.sqrt(variance), _EPSILON)
        else:
            mean = ops.reshape(self.adapt_mean, self._broadcast_shape)
            std = ops.maximum(ops.sqrt(ops.reshape(self.adapt_variance, self._broadcast_shape)), _EPSILON)
        if self.invert:
            return ops.add(mean, ops.multiply(x, std))
        return ops.divide(ops.subtract(x, mean), std)

    def adapt(self, data):
        """Compute ``mean`` and ``variance`` over ``data`` (an array, or an iterable of batches), as Keras."""
        if hasattr(data, "shape") and not isinstance(data, (list, tuple)):
            batches, shape = None, tuple(data.shape)
        elif hasattr(data, "__iter__"):
            it = iter(data)
            first = next(it, None)
            if first is None:
                raise ValueError("adapt() received an empty iterable (no batches). Expected at least one batch.")
            first = first[0] if isinstance(first, tuple) else first
            if not hasattr(first, "shape"):
                raise TypeError(f"adapt() expects an iterable that yields arrays; got {type(first).__name__}")
            batches, shape = itertools.chain([first], it), tuple(first.shape)
        else:
            raise TypeError(f"Unsupported data type: {type(data)}. `adapt` supports arrays and iterables of batches.")
        if self.input_mean is not None:
            raise ValueError("adapt() on a Normalization layer built from given mean and variance")
        if not self.built:
            self.build((None,) + shape[1:] if len(shape) > 1 else shape)
        for d in self._keep_axis:
            if shape[d] != self._build_input_shape[d]:
                raise ValueError(f"The layer was built with input_shape={self._build_input_shape}, but adapt() "
                                 f"is being called with data with an incompatible shape, data.shape={shape}")
        if batches is None:
            data = np.asarray(data)
            mean, var = np.mean(data, axis=self._reduce_axis), np.var(data, axis=self._reduce_axis)
        else:
            mean, var = self._streamed(batches)
        self.adapt_mean.assign(np.asarray(mean, dtype="float32").reshape(self._mean_and_var_shape))
        self.adapt_variance.assign(np.asarray(var, dtype="float32").reshape(self._mean_and_var_shape))

    def _streamed(self, batches):
        mean = np.zeros(self._mean_and_var_shape, "float32")
        var = np.zeros(self._mean_and_var_shape, "float32")
        count = 0
        for batch in batches:
            batch = np.asarray(batch[0] if isinstance(batch, tuple) else batch, dtype="float32")
            b_mean, b_var = np.mean(batch, axis=self._reduce_axis), np.var(batch, axis=self._reduce_axis)
            b_count = math.prod(batch.shape[d] for d in self._reduce_axis) if self._reduce_axis else 1
            count += b_count
            w = float(b_count) / count
            new_mean = mean * (1.0 - w) + b_mean * w
            var = (var + (mean - new_mean) ** 2) * (1.0 - w) + (b_var + (b_mean - new_mean) ** 2) * w
            mean = new_mean
        return mean, var

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "axis": list(self.axis), "invert": self.invert,
                "mean": np.array(self.input_mean).tolist(), "variance": np.array(self.input_variance).tolist()}
