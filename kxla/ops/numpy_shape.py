"""keras.ops.numpy shape manipulation, linear-algebra products and array creation — one table row per op.

Shapes come from the ``by_reference`` family (the numpy reference evaluated
on zero-stride stand-ins) unless a simpler family fits. Creation ops have no
inputs: their arguments are attributes, and the result is a constant node in
a traced graph.
"""
from __future__ import annotations

from .lazy_jax import jnp
import numpy as np

from ..ir import TensorType, is_floating
from . import families as F
from .catalog import alias, op

_M = ("x",)


def _tuple(v):
    return tuple(v) if isinstance(v, list) else v


# -- rearranging ---------------------------------------------------------------
for _n, _sig, _j, _r in [
        ("broadcast_to", "x, shape", lambda x, shape: jnp.broadcast_to(x, shape),
         lambda x, shape: np.broadcast_to(x, shape)),
        ("swapaxes", "x, axis1, axis2", jnp.swapaxes, np.swapaxes),
        ("moveaxis", "x, source, destination", lambda x, source, destination: jnp.moveaxis(
            x, _tuple(source), _tuple(destination)), lambda x, source, destination: np.moveaxis(
            x, _tuple(source), _tuple(destination))),
        ("flip", "x, axis=None", lambda x, axis: jnp.flip(x, _tuple(axis)), lambda x, axis: np.flip(x, _tuple(axis))),
        ("fliplr", "x", jnp.fliplr, np.fliplr), ("flipud", "x", jnp.flipud, np.flipud),
        ("roll", "x, shift, axis=None", lambda x, shift, axis: jnp.roll(x, _tuple(shift), _tuple(axis)),
         lambda x, shift, axis: np.roll(x, _tuple(shift), _tuple(axis))),
        ("ravel", "x", jnp.ravel, np.ravel),
        ("rot90", "array, k=1, axes=(0, 1)", lambda a, k, axes: jnp.rot90(a, k, tuple(axes)),
         lambda a, k, axes: np.rot90(a, k, tuple(axes))),
        ("tril", "x, k=0", lambda x, k: jnp.tril(x, k), lambda x, k: np.tril(x, k)),
        ("triu", "x, k=0", lambda x, k: jnp.triu(x, k), lambda x, k: np.triu(x, k)),
        ("diagonal", "x, offset=0, axis1=0, axis2=1", jnp.diagonal, np.diagonal),
        ("diag", "x, k=0", lambda x, k: jnp.diag(x, k), lambda x, k: np.diag(x, k)),
        ("diagflat", "x, k=0", lambda x, k: jnp.diagflat(x, k), lambda x, k: np.diagflat(x, k))]:
    globals()[_n] = op(_n, _sig, _j, _r, shape="ref", dtype=F.keep, tensors=("array",) if _n == "rot90" else _M,
                       cost=F.movement)


def _trace_dtype(dtypes, attrs):
    return {"bool": "int32", "int8": "int32", "int16": "int32", "uint8": "uint32",
            "uint16": "uint32"}.get(dtypes[0], dtypes[0])


trace = op("trace", "x, offset=0, axis1=0, axis2=1", lambda x, offset, axis1, axis2: jnp.trace(
    x, offset, axis1, axis2), lambda x, offset, axis1, axis2: np.trace(x, offset, axis1, axis2),
    shape="ref", dtype=_trace_dtype, cast_in="result")
append = op("append", "x1, x2, axis=None", lambda a, b, axis: jnp.append(a, b, axis),
            lambda a, b, axis: np.append(a, b, axis), shape="ref", dtype=F.promote_all, cast_in="result")
for _n, _j, _r in [("hstack", jnp.hstack, np.hstack), ("vstack", jnp.vstack, np.vstack),
                   ("dstack", jnp.dstack, np.dstack)]:
    globals()[_n] = op(_n, "xs", (lambda f: lambda *xs: f(xs))(_j), (lambda f: lambda *xs: f(xs))(_r),
                       shape="ref", dtype=F.promote_all, lists=("xs",), cast_in="result")


def _split_rule(jfn, nfn, sig):
    def lower(x, indices_or_sections, **kw):
        return tuple(jfn(x, _tuple(indices_or_sections), **kw))

    def ref(x, indices_or_sections, **kw):
        return tuple(nfn(x, _tuple(indices_or_sections), **kw))
    return sig, lower, ref


for _n, (_sig, _j, _r) in [
        ("hsplit", _split_rule(jnp.hsplit, np.hsplit, "x, indices_or_sections")),
        ("vsplit", _split_rule(jnp.vsplit, np.vsplit, "x, indices_or_sections")),
        ("dsplit", _split_rule(jnp.dsplit, np.dsplit, "x, indices_or_sections")),
        ("array_split", _split_rule(jnp.array_split, np.array_split, "x, indices_or_sections, axis=0"))]:
    globals()[_n] = op(_n, _sig, _j, _r, shape="ref", dtype=F.keep, tensors=_M)


unstack = op("unstack", "x, num=None, axis=0", lambda x, num, axis: tuple(jnp.moveaxis(x, axis, 0)),
             lambda x, num, axis: tuple(np.moveaxis(x, axis, 0)), shape="ref", dtype=F.keep, ns="core")
meshgrid = op("meshgrid", "*x, indexing='xy'", lambda *x, indexing: tuple(jnp.meshgrid(*x, indexing=indexing)),
              lambda *x, indexing: tuple(np.meshgrid(*x, indexing=indexing)), shape="ref", dtype=F.keep,
              lists=("x",))
diff = op("diff", "a, n=1, axis=-1", lambda a, n, axis: jnp.diff(a, n, axis),
          lambda a, n, axis: np.diff(a, n, axis), shape="ref", dtype=F.keep)
take_along_axis = op("take_along_axis", "x, indices, axis=None",
                     lambda x, i, axis: jnp.take_along_axis(x, i, axis=axis),
                     lambda x, i, axis: np.take_along_axis(x, i, axis=axis), shape="ref", dtype=F.keep)

# -- products ------------------------------------------------------------------
for _n, _j, _r in [("outer", jnp.outer, np.outer), ("inner", jnp.inner, np.inner), ("kron", jnp.kron, np.kron),
                   ("vdot", jnp.vdot, np.vdot)]:
    globals()[_n] = op(_n, "x1, x2", _j, _r, shape="ref", dtype=F.promote_all, cast_in="result",
                       cost=F.per_output(2))
cross = op("cross", "x1, x2, axisa=-1, axisb=-1, axisc=-1, axis=None", jnp.cross, np.cross, shape="ref",
           dtype=F.promote_all, cast_in="result")
correlate = op("correlate", "x1, x2, mode='valid'", lambda a, b, mode: jnp.correlate(a, b, mode),
               lambda a, b, mode: np.correlate(a, b, mode), shape="ref", dtype=F.promote_float, cast_in="result")
corrcoef = op("corrcoef", "x", jnp.corrcoef, np.corrcoef, shape="ref", dtype=F.floating, cast_in="result")
vander = op("vander", "x, N=None, increasing=False", lambda x, N, increasing: jnp.vander(x, N, increasing),
            lambda x, N, increasing: np.vander(x, N, increasing), shape="ref", dtype=F.keep)

# -- searching -----------------------------------------------------------------
digitize = op("digitize", "x, bins", lambda x, bins: jnp.digitize(x, bins),
              lambda x, bins: np.digitize(x, bins), shape=F.unary, dtype=F.fixed("int32"))
searchsorted = op("searchsorted", "sorted_sequence, values, side='left'",
                  lambda s, v, side: jnp.searchsorted(s, v, side=side),
                  lambda s, v, side: np.searchsorted(s, v, side=side),
                  shape=lambda types, attrs: [types[1].shape], dtype=F.fixed("int32"))
isin = op("isin", "x1, x2, assume_unique=False, invert=False",
          lambda a, b, assume_unique, invert: jnp.isin(a, b, invert=invert),
          lambda a, b, assume_unique, invert: np.isin(a, b, invert=invert),
          shape=F.unary, dtype=F.boolean, cast_in="promote")


# -- creation (no inputs) ------------------------------------------------------
def _floatx_or_attr(dtypes, attrs):
    return attrs["dtype"] or F.FLOATX


def _shape_attr(types, attrs):
    s = attrs["shape"]
    return [tuple([s] if isinstance(s, int) else s)]


def _filled(value):
    def lower(shape, dtype):
        return jnp.full(shape, value, dtype or F.FLOATX)

    def ref(shape, dtype):
        return np.full(shape, value, dtype or F.FLOATX)
    return lower, ref


for _n, _v in [("zeros", 0), ("ones", 1), ("empty", 0)]:
    _lw, _rf = _filled(_v)
    globals()[_n] = op(_n, "shape, dtype=None", _lw, _rf, shape=_shape_attr, dtype=_floatx_or_attr, tensors=())


def _scalar_dtype(value):
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int32"
    if isinstance(value, float):
        return F.FLOATX
    return str(np.asarray(value).dtype).replace("64", "32")


full = op("full", "shape, fill_value, dtype=None",
          lambda shape, fill_value, dtype: jnp.full(shape, fill_value, dtype or F.FLOATX),
          lambda shape, fill_value, dtype: np.full(shape, fill_value, dtype or F.FLOATX),
          shape=_shape_attr, dtype=_floatx_or_attr, tensors=())
full_like = op("full_like", "x, fill_value, dtype=None",
               lambda x, fill_value, dtype: jnp.full_like(x, fill_value, dtype),
               lambda x, fill_value, dtype: np.full_like(x, fill_value, dtype),
               shape=F.unary, dtype=F.attr_or(F.keep), tensors=_M)
empty_like = op("empty_like", "x, dtype=None", lambda x, dtype: jnp.zeros_like(x, dtype),
                lambda x, dtype: np.zeros_like(x, dtype), shape=F.unary, dtype=F.attr_or(F.keep))
eye = op("eye", "N, M=None, k=0, dtype=None", lambda N, M, k, dtype: jnp.eye(N, M, k, dtype or F.FLOATX),
         lambda N, M, k, dtype: np.eye(N, M, k, dtype or F.FLOATX), shape="ref", dtype=_floatx_or_attr, tensors=())
identity = op("identity", "n, dtype=None", lambda n, dtype: jnp.identity(n, dtype or F.FLOATX),
              lambda n, dtype: np.identity(n, dtype or F.FLOATX), shape="ref", dtype=_floatx_or_attr, tensors=())
tri = op("tri", "N, M=None, k=0, dtype=None", lambda N, M, k, dtype: jnp.tri(N, M, k, dtype or F.FLOATX),
         lambda N, M, k, dtype: np.tri(N, M, k, dtype or F.FLOATX), shape="ref", dtype=_floatx_or_attr, tensors=())


def _arange_dtype(dtypes, attrs):
    if attrs["dtype"] is not None:
        return attrs["dtype"]
    values = [attrs[k] for k in ("start", "stop", "step") if attrs[k] is not None]
    return F.FLOATX if any(isinstance(v, float) for v in values) else "int32"


def _arange(start, stop, step, dtype, np_=jnp):
    d = dtype or _arange_dtype([], {"start": start, "stop": stop, "step": step, "dtype": None})
    return np_.arange(start, stop, step if step is not None else 1).astype(d) if stop is not None else \
        np_.arange(start).astype(d)


arange = op("arange", "start, stop=None, step=None, dtype=None", _arange,
            lambda start, stop, step, dtype: _arange(start, stop, step, dtype, np_=np), shape="ref",
            dtype=_arange_dtype, tensors=())


def _space(jfn, nfn, sig_extra):
    def lower(start, stop, num, endpoint, dtype, axis, **kw):
        return jfn(start, stop, num, endpoint=endpoint, axis=axis, **kw)

    def ref(start, stop, num, endpoint, dtype, axis, **kw):
        return nfn(start, stop, num, endpoint=endpoint, axis=axis, **kw)
    return lower, ref


_lw, _rf = _space(jnp.logspace, np.logspace, "")
logspace = op("logspace", "start, stop, num=50, endpoint=True, base=10, dtype=None, axis=0", _lw, _rf,
              shape="ref", dtype=_floatx_or_attr, tensors=())
_lw, _rf = _space(jnp.geomspace, np.geomspace, "")
geomspace = op("geomspace", "start, stop, num=50, endpoint=True, dtype=None, axis=0", _lw, _rf, shape="ref",
               dtype=_floatx_or_attr, tensors=())
_lin_lw, _lin_rf = _space(jnp.linspace, np.linspace, "")
_linspace = op("linspace", "start, stop, num=50, endpoint=True, dtype=None, axis=0", _lin_lw, _lin_rf,
               shape="ref", dtype=_floatx_or_attr, tensors=(), ns=None)


def linspace(start, stop, num=50, endpoint=True, retstep=False, dtype=None, axis=0):
    """``num`` evenly spaced values from ``start`` to ``stop`` (and the step when ``retstep``)."""
    out = _linspace(start, stop, num=num, endpoint=endpoint, dtype=dtype, axis=axis)
    if not retstep:
        return out
    step = (np.asarray(stop) - np.asarray(start)) / max(num - 1 if endpoint else num, 1)
    return out, step


alias("linspace", linspace)


def _window(name, jfn, nfn):
    return op(name, "x", lambda x: jfn(x), lambda x: nfn(x), shape="ref", dtype=F.fixed(F.FLOATX), tensors=())


for _n, _j, _r in [("bartlett", jnp.bartlett, np.bartlett), ("blackman", jnp.blackman, np.blackman),
                   ("hamming", jnp.hamming, np.hamming), ("hanning", jnp.hanning, np.hanning)]:
    globals()[_n] = _window(_n, _j, _r)
kaiser = op("kaiser", "x, beta", lambda x, beta: jnp.kaiser(x, beta), lambda x, beta: np.kaiser(x, beta),
            shape="ref", dtype=F.fixed(F.FLOATX), tensors=())


# -- values-dependent shapes -----------------------------------------------------
def _unknown(rank_of):
    def rule(types, attrs):
        return [tuple([None] * r) for r in rank_of(types, attrs)]
    return rule


_DD = ("data_dependent_shape",)
nonzero = op("nonzero", "x", lambda x: tuple(jnp.nonzero(x)), lambda x: tuple(np.nonzero(x)),
             shape=_unknown(lambda t, a: [1] * t[0].rank), dtype=F.fixed("int32"), traits=_DD)


# -- more numpy -------------------------------------------------------------------
_trapz = op("trapezoid", "y, dx=1.0, axis=-1", lambda y, dx, axis: jnp.trapezoid(y, dx=dx, axis=axis),
            lambda y, dx, axis: np.trapezoid(y, dx=dx, axis=axis), shape="ref", dtype=F.floating, cast_in="result",
            ns=None)
_trapz_x = op("trapezoid_x", "y, x, axis=-1", lambda y, x, axis: jnp.trapezoid(y, x, axis=axis),
              lambda y, x, axis: np.trapezoid(y, x, axis=axis), shape="ref", dtype=F.promote_float,
              cast_in="result", ns=None)


def trapezoid(y, x=None, dx=1.0, axis=-1):
    """Integral of ``y`` along ``axis`` by the trapezoidal rule (sample points ``x``, or spacing ``dx``)."""
    return _trapz(y, dx=dx, axis=axis) if x is None else _trapz_x(y, x, axis=axis)


alias("trapezoid", trapezoid)


def select(condlist, choicelist, default=0):
    """``choicelist[i]`` where ``condlist[i]`` is first true, else ``default`` (composed of ``where`` nodes)."""
    from .array_more import where
    if len(condlist) != len(choicelist):
        raise ValueError("condlist and choicelist must have the same length, got "
                         f"{len(condlist)} and {len(choicelist)}")
    if not condlist:
        raise ValueError("select() needs at least one condition")
    out = default
    for cond, choice in reversed(list(zip(condlist, choicelist))):
        out = where(cond, choice, out)
    return out


alias("select", select)
unravel_index = op("unravel_index", "indices, shape", lambda i, shape: tuple(jnp.unravel_index(i, shape)),
                   lambda i, shape: tuple(np.unravel_index(i, shape)), shape="ref", dtype=F.keep, tensors=("indices",))


def _hist(x, bins, range, xp=jnp):
    if x.ndim != 1:
        raise ValueError(f"Input tensor must be 1-dimensional. Received: input.shape={x.shape}")
    counts, edges = xp.histogram(x, bins=bins, range=None if range is None else tuple(range))
    return counts, edges


histogram = op("histogram", "x, bins=10, range=None", _hist,
               lambda x, bins, range: _hist(x, bins, range, xp=np),
               shape=lambda types, attrs: [(attrs["bins"],), (attrs["bins"] + 1,)],
               dtype=[F.floating, F.floating], cast_in=None)


def unique(x, sorted=True, return_index=False, return_inverse=False, return_counts=False, axis=None, size=None,
           fill_value=None):
    """The unique values of ``x`` (``jnp.unique``); on arrays only unless ``size`` fixes the output length."""
    from .tracing import KerasTensor
    if isinstance(x, KerasTensor):
        raise ValueError("ops.unique: the output shape depends on the input's values, so it cannot be computed "
                         "on a symbolic tensor (inside a model or jit); call it on arrays")
    if not sorted:
        raise ValueError("ops.unique: sorted=False is not supported by the JAX backend (results are sorted)")
    out = jnp.unique(jnp.asarray(x), return_index=return_index, return_inverse=return_inverse,
                     return_counts=return_counts, axis=axis, size=size, fill_value=fill_value)
    if isinstance(out, tuple):
        return tuple(o.astype("int32") if i else o for i, o in enumerate(out))
    return out


alias("unique", unique)
