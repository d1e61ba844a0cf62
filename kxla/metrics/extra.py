"""More of Keras 3's mean-of-a-function metrics: hinge family, KLDivergence, Poisson, LogCoshError,
CosineSimilarity, PearsonCorrelation, ConcordanceCorrelation, and the correlation functions."""
from __future__ import annotations

import jax
import jax.numpy as jnp

from .. import losses as _losses
from ..losses import EPSILON, squeeze_or_expand_to_same_rank
from .reduction import MeanMetricWrapper

__all__ = ["Hinge", "SquaredHinge", "CategoricalHinge", "KLDivergence", "Poisson", "LogCoshError",
           "CosineSimilarity", "PearsonCorrelation", "ConcordanceCorrelation", "pearson_correlation",
           "concordance_correlation"]


def _aligned(y_true, y_pred):
    y_pred = jnp.asarray(y_pred)
    if not jnp.issubdtype(y_pred.dtype, jnp.floating):
        y_pred = y_pred.astype("float32")
    return squeeze_or_expand_to_same_rank(jnp.asarray(y_true, y_pred.dtype), y_pred)


def pearson_correlation(y_true, y_pred, axis=-1):
    """Pearson correlation of ``y_true`` and ``y_pred`` along ``axis``."""
    y_true, y_pred = _aligned(y_true, y_pred)
    t = y_true - jnp.mean(y_true, axis=axis, keepdims=True)
    p = y_pred - jnp.mean(y_pred, axis=axis, keepdims=True)
    t = t / jnp.std(t, axis=axis, keepdims=True)
    p = p / jnp.std(p, axis=axis, keepdims=True)
    return jnp.mean(t * p, axis=axis)


def concordance_correlation(y_true, y_pred, axis=-1):
    """Lin's concordance correlation along ``axis`` (Keras 3's formula)."""
    y_true, y_pred = _aligned(y_true, y_pred)
    t_mean = jnp.mean(y_true, axis=axis, keepdims=True)
    p_mean = jnp.mean(y_pred, axis=axis, keepdims=True)
    t_var = jnp.var(y_true - t_mean, axis=axis, keepdims=True)
    p_var = jnp.var(y_pred - p_mean, axis=axis, keepdims=True)
    covar = (y_true - p_mean) * (y_pred - p_mean)
    norm = t_var + p_var + jnp.square(t_mean - p_mean)
    return jnp.mean(2 * covar / (norm + EPSILON), axis=axis)


def _cosine_similarity(y_true, y_pred, axis=-1):
    y_true, y_pred = _aligned(y_true, y_pred)

    def unit(x):
        inv = jnp.minimum(jax.lax.rsqrt(jnp.sum(jnp.square(x), axis=axis, keepdims=True)), 1.0 / EPSILON)
        return x * inv
    return jnp.sum(unit(y_true) * unit(y_pred), axis=axis)


class _Wrapped(MeanMetricWrapper):
    _fn = None
    _direction = "down"
    _options: tuple = ()

    def __init__(self, name, dtype, **options):
        super().__init__(type(self)._fn, name=name, dtype=dtype, **options)
        for key, value in options.items():
            setattr(self, key, value)

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype, **{k: getattr(self, k) for k in self._options}}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


class Hinge(_Wrapped):
    _fn = staticmethod(_losses.hinge)

    def __init__(self, name="hinge", dtype=None):
        super().__init__(name, dtype)


class SquaredHinge(_Wrapped):
    _fn = staticmethod(_losses.squared_hinge)

    def __init__(self, name="squared_hinge", dtype=None):
        super().__init__(name, dtype)


class CategoricalHinge(_Wrapped):
    _fn = staticmethod(_losses.categorical_hinge)

    def __init__(self, name="categorical_hinge", dtype=None):
        super().__init__(name, dtype)


class KLDivergence(_Wrapped):
    _fn = staticmethod(_losses.kl_divergence)

    def __init__(self, name="kl_divergence", dtype=None):
        super().__init__(name, dtype)


class Poisson(_Wrapped):
    _fn = staticmethod(_losses.poisson)

    def __init__(self, name="poisson", dtype=None):
        super().__init__(name, dtype)


class LogCoshError(_Wrapped):
    _fn = staticmethod(_losses.log_cosh)

    def __init__(self, name="logcosh", dtype=None):
        super().__init__(name, dtype)


class CosineSimilarity(_Wrapped):
    """Mean cosine similarity of ``y_true`` and ``y_pred`` along ``axis`` (larger is better; like Keras's,
    the config leaves ``axis`` out)."""
    _fn, _direction = staticmethod(_cosine_similarity), "up"

    def __init__(self, name="cosine_similarity", dtype=None, axis=-1):
        super().__init__(name, dtype, axis=axis)


class PearsonCorrelation(_Wrapped):
    _fn, _direction, _options = staticmethod(pearson_correlation), "up", ("axis",)

    def __init__(self, name="pearson_correlation", dtype=None, axis=-1):
        super().__init__(name, dtype, axis=axis)


class ConcordanceCorrelation(_Wrapped):
    _fn, _direction, _options = staticmethod(concordance_correlation), "up", ("axis",)

    def __init__(self, name="concordance_correlation", dtype=None, axis=-1):
        super().__init__(name, dtype, axis=axis)
