"""kxla.random = keras.random: random tensors as IR ops with explicit keys, and ``SeedGenerator``.

Every function records one random op (``kxla.ops.random_ops`` / ``random_more``).
``seed`` is Keras's: an int fixes the draw (the same values as Keras 3's JAX
backend for that seed); a ``SeedGenerator`` gives a new, reproducible key per
eager call (the same sequence as Keras's); ``None`` draws from kxla's global
stream eagerly (``kxla.utils.set_random_seed``) and, inside a graph, from the
step's key — the ``rng`` argument of the compiled function — so a compiled
step is pure. A ``SeedGenerator`` used while tracing a graph also draws from
the step's key (its Python-side state does not advance per compiled step).
"""
from __future__ import annotations

import random as _pyrandom

import numpy as np

from ..ir import canonical_dtype
from ..ops import apply, current_builder, random_more  # noqa: F401  (registers the ops)
from ..ops import random_ops as _ro

__all__ = ["SeedGenerator", "normal", "uniform", "truncated_normal", "randint", "categorical", "dropout",
           "shuffle", "gamma", "binomial", "beta"]


class SeedGenerator:
    """Keras's seed state ``[seed, counter]``: each ``next()`` returns the state and advances the counter."""

    def __init__(self, seed=None, name=None, **kwargs):
        if kwargs:
            raise ValueError(f"Unrecognized keyword arguments: {kwargs}")
        self._initial_seed = seed
        if seed is None:
            seed = _pyrandom.randint(1, int(1e9))
        if not isinstance(seed, int):
            raise ValueError(f"Argument `seed` must be an integer. Received: seed={seed}")
        self.name = name or "seed_generator"
        self.state = np.array([seed & 0xFFFFFFFF, 0], np.uint32)

    def next(self, ordered=True):
        """The current key data (uint32[2]); advances the state as Keras does."""
        current = self.state.copy()
        if ordered:
            self.state = self.state + np.array([0, 1], np.uint32)
        else:
            self.state = ((self.state.astype(np.uint64) + 1) * 5387 % 933199).astype(np.uint32)
        return current

    def get_config(self):
        return {"seed": self._initial_seed, "name": self.name}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


def _seed(seed):
    """An op's ``seed`` attribute: None (the step's / global key) or the two key words as one int."""
    if seed is None:
        return None
    if isinstance(seed, SeedGenerator):
        if current_builder() is not None:
            return None
        low, high = (int(w) for w in seed.next())
        return low | (high << 32)
    if isinstance(seed, (int, np.integer)) and not isinstance(seed, bool):
        return int(seed) & 0xFFFFFFFF
    raise ValueError("Argument `seed` must be either an integer or an instance of `SeedGenerator`. "
                     f"Received: seed={seed} (of type {type(seed)})")


def _shape(shape):
    try:
        return [int(d) for d in shape]
    except (TypeError, ValueError):
        raise ValueError(f"random: shape must be a tuple of known ints, got {shape!r}") from None


def _dtype(dtype):
    from ..config import floatx
    return canonical_dtype(dtype or floatx())


def _param(x, dtype):
    """A distribution parameter as a tensor: a graph constant while tracing, else an array."""
    if hasattr(x, "shape") and not isinstance(x, (np.ndarray, np.generic)):
        return x
    arr = np.asarray(x, dtype)
    builder = current_builder()
    if builder is None:
        return arr
    from ..ops import KerasTensor
    value = builder.value_of(arr)
    return KerasTensor(value.type, value=value, builder=builder)


def normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
    """Normal draws of a static ``shape``."""
    return _ro.random_normal(shape, mean=mean, stddev=stddev, dtype=dtype, seed=_seed(seed))


def uniform(shape, minval=0.0, maxval=1.0, dtype=None, seed=None):
    """Uniform draws in ``[minval, maxval)``."""
    return _ro.random_uniform(shape, minval=minval, maxval=maxval, dtype=dtype, seed=_seed(seed))


def truncated_normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
    """Normal draws truncated at two standard deviations from ``mean``."""
    return _ro.draw("random_truncated_normal", shape, mean=float(mean), stddev=float(stddev),
                    dtype=_dtype(dtype), seed=_seed(seed))


def randint(shape, minval, maxval, dtype="int32", seed=None):
    """Integers drawn uniformly from ``[minval, maxval)``."""
    return _ro.draw("random_randint", shape, minval=int(minval), maxval=int(maxval),
                    dtype=canonical_dtype(dtype), seed=_seed(seed))


def categorical(logits, num_samples, dtype="int32", seed=None):
    """``num_samples`` class indices per row of ``logits`` (batch, classes)."""
    return apply("random_categorical", _param(logits, "float32"), num_samples=int(num_samples),
                 dtype=canonical_dtype(dtype), seed=_seed(seed))


def dropout(inputs, rate, noise_shape=None, seed=None):
    """Inverted dropout: zero a fraction ``rate`` of entries and scale the rest by ``1 / (1 - rate)``."""
    return _ro.dropout(inputs, rate, noise_shape=noise_shape, seed=_seed(seed))


def shuffle(x, axis=0, seed=None):
    """A random permutation of ``x`` along ``axis``."""
    return apply("random_shuffle", _param(x, None), axis=int(axis), seed=_seed(seed))


def gamma(shape, alpha, dtype=None, seed=None):
    """Gamma draws with concentration ``alpha``."""
    dtype = _dtype(dtype)
    return apply("random_gamma", _param(alpha, dtype), shape=_shape(shape), dtype=dtype, seed=_seed(seed))


def binomial(shape, counts, probabilities, dtype=None, seed=None):
    """Binomial draws: successes in ``counts`` trials of probability ``probabilities``."""
    dtype = _dtype(dtype)
    return apply("random_binomial", _param(counts, dtype), _param(probabilities, dtype), shape=_shape(shape),
                 dtype=dtype, seed=_seed(seed))


def beta(shape, alpha, beta, dtype=None, seed=None):
    """Beta(``alpha``, ``beta``) draws."""
    dtype = _dtype(dtype)
    return apply("random_beta", _param(alpha, dtype), _param(beta, dtype), shape=_shape(shape), dtype=dtype,
                 seed=_seed(seed))
