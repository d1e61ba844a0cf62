"""kxla.ops.linalg — Keras's ``keras.ops.linalg`` namespace; each op one table row (jnp.linalg lowering,
numpy/scipy reference, shape by reference). Also ``slogdet`` (ops.numpy) and ``logdet`` (ops).
"""
from __future__ import annotations

from .lazy_jax import jax
from .lazy_jax import jnp
import numpy as np
from .lazy_jax import scipy_linalg as _sl

from . import families as F
from ._gather import gather as _gather
from .catalog import op

_L = dict(shape="ref_matrix", dtype=F.floating, ns="linalg", cast_in="result")


def _chol(x, upper):
    out = jnp.linalg.cholesky(x)
    return jnp.swapaxes(out, -1, -2) if upper else out


def _chol_np(x, upper):
    out = np.linalg.cholesky(x)
    return np.swapaxes(out, -1, -2) if upper else out


def _chol_inv(x, upper):
    lower = jnp.swapaxes(x, -1, -2) if upper else x
    eye = jnp.broadcast_to(jnp.eye(x.shape[-1], dtype=x.dtype), x.shape)
    linv = jax.scipy.linalg.solve_triangular(lower, eye, lower=True)
    return jnp.swapaxes(linv, -1, -2) @ linv


def _chol_inv_np(x, upper):
    lower = np.swapaxes(x, -1, -2) if upper else x
    return np.linalg.inv(lower @ np.swapaxes(lower, -1, -2))


cholesky = op("cholesky", "x, upper=False", _chol, _chol_np, **_L)
cholesky_inverse = op("cholesky_inverse", "x, upper=False", _chol_inv, _chol_inv_np, **_L)
det = op("det", "x", jnp.linalg.det, np.linalg.det, **_L)
inv = op("inv", "x", jnp.linalg.inv, np.linalg.inv, **_L)
def _eig(x):
    if x.ndim < 2 or x.shape[-1] != x.shape[-2]:
        raise ValueError(f"eig: expects square matrices [..., M, M], got shape {x.shape}")
    return tuple((np if isinstance(x, np.ndarray) else jnp).linalg.eig(x))


def _complex_of(dtypes, attrs):
    return "complex128" if dtypes[0] == "float64" else "complex64"


eig = op("eig", "x", _eig, _eig, shape="ref_matrix", dtype=[_complex_of, _complex_of], ns="linalg",
         doc="eigenvalues and right eigenvectors of general square matrices (complex64 results)")
eigh = op("eigh", "x", lambda x: tuple(jnp.linalg.eigh(x)), lambda x: tuple(np.linalg.eigh(x)), **_L)
solve = op("solve", "a, b", jnp.linalg.solve, np.linalg.solve, **{**_L, "dtype": F.promote_float})
solve_triangular = op("solve_triangular", "a, b, lower=False",
                      lambda a, b, lower: jax.scipy.linalg.solve_triangular(a, b, lower=lower),
                      lambda a, b, lower: _sl.solve_triangular(a, b, lower=lower),
                      **{**_L, "dtype": F.promote_float})
pinv = op("pinv", "x, rcond=None", lambda x, rcond: jnp.linalg.pinv(x, rtol=rcond),
          lambda x, rcond: np.linalg.pinv(x, **({} if rcond is None else {"rcond": rcond})), **_L)
qr = op("qr", "x, mode='reduced'", lambda x, mode: tuple(jnp.linalg.qr(x, mode=mode)),
        lambda x, mode: tuple(np.linalg.qr(x, mode=mode)), **_L)


def _svd(x, full_matrices, compute_uv):
    out = jnp.linalg.svd(x, full_matrices=full_matrices, compute_uv=compute_uv)
    return tuple(out) if compute_uv else out


def _svd_np(x, full_matrices, compute_uv):
    out = np.linalg.svd(x, full_matrices=full_matrices, compute_uv=compute_uv)
    return tuple(out) if compute_uv else out


svd = op("svd", "x, full_matrices=True, compute_uv=True", _svd, _svd_np, **_L)


def _lstsq(a, b, rcond):
    return jnp.linalg.lstsq(a, b, rcond=rcond)[0]


lstsq = op("lstsq", "a, b, rcond=None", _lstsq, lambda a, b, rcond: np.linalg.lstsq(a, b, rcond=rcond)[0],
           **{**_L, "dtype": F.promote_float})
lu_factor = op("lu_factor", "x", lambda x: tuple(jax.scipy.linalg.lu_factor(x)),
               lambda x: tuple(_sl.lu_factor(x)), shape="ref_matrix", dtype=[F.floating, F.fixed("int32")], ns="linalg",
               cast_in=None)


matrix_rank = op("matrix_rank", "x, tol=None", lambda x, tol: jnp.linalg.matrix_rank(x, tol),
                 lambda x, tol: np.linalg.matrix_rank(x, tol), shape="ref_matrix", dtype=F.fixed("int32"), ns="linalg")


def _norm(x, ord, axis, keepdims):
    axis = tuple(axis) if isinstance(axis, list) else axis
    return jnp.linalg.norm(x, ord=ord, axis=axis, keepdims=keepdims)


def _norm_np(x, ord, axis, keepdims):
    axis = tuple(axis) if isinstance(axis, list) else axis
    return np.linalg.norm(x, ord=ord, axis=axis, keepdims=keepdims)


norm = op("norm", "x, ord=None, axis=None, keepdims=False", _norm, _norm_np, **_L)
slogdet = op("slogdet", "x", lambda x: tuple(jnp.linalg.slogdet(x)), lambda x: tuple(np.linalg.slogdet(x)),
             shape="ref_matrix", dtype=F.floating, ns="numpy", cast_in="result")
logdet = op("logdet", "x", lambda x: jnp.linalg.slogdet(x)[1], lambda x: np.linalg.slogdet(x)[1],
            shape="ref_matrix", dtype=F.floating, ns="core", cast_in="result")


def jvp(fun, primals, tangents, has_aux=False):
    """Jacobian-vector product of ``fun`` at ``primals`` along ``tangents`` (``jax.jvp``), on arrays."""
    if has_aux:
        out, tan, aux = jax.jvp(fun, primals, tangents, has_aux=True)
        return out, tan, aux
    return jax.jvp(fun, primals, tangents)


from .catalog import alias as _alias  # noqa: E402

_alias("jvp", jvp, ns="linalg")
__all__ = _gather(globals(), "linalg")
