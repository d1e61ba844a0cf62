"""keras.ops.numpy reductions, scans and sorts: one table row per op (the ``reduce`` shape family).

``axis`` is an int, a list of ints or None (all axes); ``keepdims`` keeps the
reduced axes with size 1. Scans (cumsum, ...) keep the shape (flattened when
``axis`` is None), as Keras's do.
"""
from __future__ import annotations

from .lazy_jax import jnp
import numpy as np

from . import families as F
from .catalog import alias, op

_R = ("reduction",)
_SIG = "x, axis=None, keepdims=False"


def _ax(axis):
    return tuple(axis) if isinstance(axis, list) else axis


def _sum_dtype(dtypes, attrs):
    """Keras's accumulator dtype for sum-like reductions: small ints widen, bool counts in int32."""
    if attrs.get("dtype") is not None:
        return attrs["dtype"]
    d = dtypes[0]
    return {"bool": "int32", "int8": "int32", "int16": "int32", "uint8": "uint32", "uint16": "uint32"}.get(d, d)


def _reduction(name, jfn, nfn, dtype, sig=_SIG, cast_in=None):
    def lower(x, axis, keepdims, **kw):
        return jfn(x, axis=_ax(axis), keepdims=keepdims)

    def ref(x, axis, keepdims, **kw):
        return nfn(x, axis=_ax(axis), keepdims=keepdims)
    return op(name, sig, lower, ref, shape=F.reduce, dtype=dtype, traits=_R, cast_in=cast_in)


for _n, _j, _r, _d, _c in [
        ("all", jnp.all, np.all, F.boolean, None), ("any", jnp.any, np.any, F.boolean, None),
        ("amax", jnp.max, np.max, F.keep, None), ("amin", jnp.min, np.min, F.keep, None),
        ("ptp", jnp.ptp, np.ptp, F.keep, None),
        ("std", jnp.std, np.std, F.floating, "result"), ("var", jnp.var, np.var, F.floating, "result"),
        ("median", jnp.median, np.median, F.floating, "result"),
        ("nanmax", jnp.nanmax, np.nanmax, F.keep, None), ("nanmin", jnp.nanmin, np.nanmin, F.keep, None),
        ("nanmean", jnp.nanmean, np.nanmean, F.floating, "result"),
        ("nanstd", jnp.nanstd, np.nanstd, F.floating, "result"),
        ("nanvar", jnp.nanvar, np.nanvar, F.floating, "result"),
        ("nanmedian", jnp.nanmedian, np.nanmedian, F.floating, "result"),
        ("nansum", jnp.nansum, np.nansum, _sum_dtype, "result"),
        ("nanprod", jnp.nanprod, np.nanprod, _sum_dtype, "result")]:
    globals()[_n] = _reduction(_n, _j, _r, _d, cast_in=_c)


def _logsumexp(x, axis, keepdims):
    from jax.scipy.special import logsumexp
    return logsumexp(x, axis=_ax(axis), keepdims=keepdims)


def _logsumexp_np(x, axis, keepdims):
    m = np.max(x, axis=_ax(axis), keepdims=True)
    out = np.log(np.sum(np.exp(x - m), axis=_ax(axis), keepdims=True)) + m
    return out if keepdims else np.squeeze(out, axis=_ax(axis) if axis is not None else None)


logsumexp = op("logsumexp", _SIG, _logsumexp, _logsumexp_np, shape=F.reduce, dtype=F.floating, traits=_R,
               cast_in="result", ns="core")
prod = op("prod", "x, axis=None, keepdims=False, dtype=None",
          lambda x, axis, keepdims, dtype: jnp.prod(x, axis=_ax(axis), keepdims=keepdims),
          lambda x, axis, keepdims, dtype: np.prod(x, axis=_ax(axis), keepdims=keepdims),
          shape=F.reduce, dtype=_sum_dtype, traits=_R, cast_in="result")
count_nonzero = op("count_nonzero", "x, axis=None",
                   lambda x, axis: jnp.count_nonzero(x, axis=_ax(axis)),
                   lambda x, axis: np.count_nonzero(x, axis=_ax(axis)),
                   shape=F.reduce, dtype=F.fixed("int32"), traits=_R)
for _n, _j, _r in [("nanargmax", jnp.nanargmax, np.nanargmax), ("nanargmin", jnp.nanargmin, np.nanargmin)]:
    globals()[_n] = op(_n, _SIG, (lambda f: lambda x, axis, keepdims: f(x, axis=axis, keepdims=keepdims))(_j),
                       (lambda f: lambda x, axis, keepdims: f(x, axis=axis, keepdims=keepdims))(_r),
                       shape=F.reduce, dtype=F.fixed("int32"), traits=_R)


_average = op("average", "x, axis=None", lambda x, axis: jnp.average(x, axis=_ax(axis)),
              lambda x, axis: np.average(x, axis=_ax(axis)), shape=F.reduce, dtype=F.floating,
              traits=_R, cast_in="result", ns=None)
_average_weighted = op("average_weighted", "x, weights, axis=None",
                       lambda x, weights, axis: jnp.average(x, axis=_ax(axis), weights=weights),
                       lambda x, weights, axis: np.average(x, axis=_ax(axis), weights=weights),
                       shape="ref", dtype=F.promote_float, cast_in="result", ns=None)


def average(x, axis=None, weights=None):
    """Mean of ``x`` over ``axis``, weighted by ``weights`` (broadcastable, or 1-D along ``axis``)."""
    return _average(x, axis=axis) if weights is None else _average_weighted(x, weights, axis=axis)


alias("average", average)


# -- quantiles ---------------------------------------------------------------
def _quantile_rule(jfn, nfn, scale):
    def lower(x, q, axis, method, keepdims):
        return jfn(x, jnp.asarray(q) * scale, axis=_ax(axis), method=method, keepdims=keepdims)

    def ref(x, q, axis, method, keepdims):
        return nfn(x, np.asarray(q) * scale, axis=_ax(axis), method=method, keepdims=keepdims)
    return lower, ref


for _n, _j, _r in [("quantile", jnp.quantile, np.quantile), ("nanquantile", jnp.nanquantile, np.nanquantile),
                   ("percentile", jnp.quantile, np.quantile), ("nanpercentile", jnp.nanquantile, np.nanquantile)]:
    _lw, _rf = _quantile_rule(_j, _r, 0.01 if "percentile" in _n else 1.0)
    globals()[_n] = op(_n, "x, q, axis=None, method='linear', keepdims=False", _lw, _rf, shape="ref",
                       dtype=F.floating, tensors=("x",), cast_in="result", traits=_R)


# -- scans and sorts ---------------------------------------------------------
def _scan_rule(jfn, nfn):
    def lower(x, axis, dtype):
        return jfn(x.ravel() if axis is None else x, axis=0 if axis is None else axis)

    def ref(x, axis, dtype):
        return nfn(x.ravel() if axis is None else x, axis=0 if axis is None else axis)
    return lower, ref


for _n, _j, _r in [("cumsum", jnp.cumsum, np.cumsum), ("cumprod", jnp.cumprod, np.cumprod),
                   ("nancumsum", jnp.nancumsum, np.nancumsum), ("nancumprod", jnp.nancumprod, np.nancumprod)]:
    _lw, _rf = _scan_rule(_j, _r)
    globals()[_n] = op(_n, "x, axis=None, dtype=None", _lw, _rf, shape="ref", dtype=_sum_dtype, cast_in="result")

sort = op("sort", "x, axis=-1", lambda x, axis: jnp.sort(x, axis=axis),
          lambda x, axis: np.sort(x, axis=axis), shape=F.unary, dtype=F.keep)
argsort = op("argsort", "x, axis=-1", lambda x, axis: jnp.argsort(x, axis=axis),
             lambda x, axis: np.argsort(x, axis=axis, kind="stable"), shape="ref", dtype=F.fixed("int32"))
argpartition = op("argpartition", "x, kth, axis=-1", lambda x, kth, axis: jnp.argpartition(x, kth, axis=axis),
                  lambda x, kth, axis: np.argpartition(x, kth, axis=axis), shape="ref", dtype=F.fixed("int32"),
                  tensors=("x",))


