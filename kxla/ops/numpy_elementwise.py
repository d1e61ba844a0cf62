"""keras.ops.numpy elementwise ops: unary math, binary arithmetic, predicates — one table row per op.

Each row is one OpDef (``kxla.ops.catalog.op``): name, Keras's signature,
jnp lowering, numpy reference, dtype family. Shapes are the ``unary`` or
``broadcast`` family; all rows carry the ``elementwise`` trait.
"""
from __future__ import annotations

from .lazy_jax import jax
from .lazy_jax import jnp
import numpy as np
from .lazy_jax import scipy_special as _sps

from . import families as F
from .catalog import alias, op

_E = ("elementwise",)


def _unary(name, jfn, nfn, dtype=F.floating, cast_in="result", traits=()):
    return op(name, "x", jfn, nfn, shape=F.unary, dtype=dtype, traits=_E + traits, cast_in=cast_in)


def _binary(name, jfn, nfn, dtype=F.promote_all, cast_in="result", traits=(), sig="x1, x2"):
    return op(name, sig, jfn, nfn, shape=F.broadcast, dtype=dtype, traits=_E + traits, cast_in=cast_in)


# -- unary, float results (ints and bool computed in float32, as Keras does) --
for _n, _j, _r in [
        ("sin", jnp.sin, np.sin), ("cos", jnp.cos, np.cos), ("tan", jnp.tan, np.tan),
        ("arcsin", jnp.arcsin, np.arcsin), ("arccos", jnp.arccos, np.arccos), ("arctan", jnp.arctan, np.arctan),
        ("sinh", jnp.sinh, np.sinh), ("cosh", jnp.cosh, np.cosh), ("arcsinh", jnp.arcsinh, np.arcsinh),
        ("arccosh", jnp.arccosh, np.arccosh), ("arctanh", jnp.arctanh, np.arctanh),
        ("exp2", jnp.exp2, np.exp2), ("expm1", jnp.expm1, np.expm1), ("log10", jnp.log10, np.log10),
        ("log1p", jnp.log1p, np.log1p), ("log2", jnp.log2, np.log2), ("cbrt", jnp.cbrt, np.cbrt),
        ("deg2rad", jnp.deg2rad, np.deg2rad), ("rad2deg", jnp.rad2deg, np.rad2deg),
        ("sinc", jnp.sinc, np.sinc), ("i0", jnp.i0, np.i0),
        ("floor", jnp.floor, np.floor), ("ceil", jnp.ceil, np.ceil), ("reciprocal", jnp.reciprocal, np.reciprocal)]:
    globals()[_n] = _unary(_n, _j, _r)
erfc = op("erfc", "x", jax.scipy.special.erfc, _sps.erfc, shape=F.unary, dtype=F.floating, traits=_E,
          cast_in="result", ns="core")
erfinv = op("erfinv", "x", jax.scipy.special.erfinv, _sps.erfinv, shape=F.unary, dtype=F.floating, traits=_E,
            cast_in="result", ns="core")

# -- unary, dtype kept --------------------------------------------------
fabs = _unary("fabs", jnp.abs, np.abs)
for _n, _j, _r in [("trunc", jnp.trunc, np.trunc), ("conj", jnp.conj, np.conj),
                   ("conjugate", jnp.conjugate, np.conjugate), ("real", jnp.real, np.real),
                   ("copy", jnp.array, np.copy)]:
    globals()[_n] = _unary(_n, _j, _r, dtype=F.keep)
imag = _unary("imag", jnp.imag, np.imag, dtype=F.keep)
angle = _unary("angle", jnp.angle, np.angle)
bitwise_invert = _unary("bitwise_invert", jnp.invert, np.invert, dtype=F.int_keep)
bitwise_not = alias("bitwise_not", bitwise_invert)

# -- predicates -> bool ----------------------------------------------------
for _n, _j, _r in [("isfinite", jnp.isfinite, np.isfinite), ("isinf", jnp.isinf, np.isinf),
                   ("isnan", jnp.isnan, np.isnan), ("isneginf", jnp.isneginf, np.isneginf),
                   ("isposinf", jnp.isposinf, np.isposinf), ("signbit", jnp.signbit, np.signbit),
                   ("isreal", jnp.isreal, np.isreal)]:
    globals()[_n] = _unary(_n, _j, _r, dtype=F.boolean, cast_in=None)


def _round(x, decimals):
    return jnp.round(x, decimals)


round = op("round", "x, decimals=0", _round, lambda x, decimals: np.round(x, decimals), shape=F.unary,  # noqa: A001
           dtype=F.keep, traits=_E)


def _nan_to_num(x, nan_value, posinf, neginf):
    return jnp.nan_to_num(x, nan=nan_value, posinf=posinf, neginf=neginf)


nan_to_num = op("nan_to_num", "x, nan=0.0, posinf=None, neginf=None", _nan_to_num,
                lambda x, nan_value, posinf, neginf: np.nan_to_num(x, nan=nan_value, posinf=posinf, neginf=neginf),
                shape=F.unary, dtype=F.keep, traits=_E, rename={"nan": "nan_value"})

# -- binary ----------------------------------------------------------------
for _n, _j, _r in [("arctan2", jnp.arctan2, np.arctan2), ("hypot", jnp.hypot, np.hypot),
                   ("logaddexp", jnp.logaddexp, np.logaddexp), ("logaddexp2", jnp.logaddexp2, np.logaddexp2),
                   ("true_divide", jnp.true_divide, np.true_divide), ("nextafter", jnp.nextafter, np.nextafter)]:
    globals()[_n] = _binary(_n, _j, _r, dtype=F.promote_float)
for _n, _j, _r in [("floor_divide", jnp.floor_divide, np.floor_divide), ("mod", jnp.mod, np.mod),
                   ("fmod", jnp.fmod, np.fmod), ("fmax", jnp.fmax, np.fmax), ("fmin", jnp.fmin, np.fmin),
                   ]:
    globals()[_n] = _binary(_n, _j, _r)
heaviside = _binary("heaviside", jnp.heaviside, np.heaviside, dtype=F.promote_float)
for _n, _j, _r in [("gcd", jnp.gcd, np.gcd), ("lcm", jnp.lcm, np.lcm)]:
    globals()[_n] = _binary(_n, _j, _r, dtype=F.int_keep, traits=("commutative",))
for _n, _j, _r in [("bitwise_and", jnp.bitwise_and, np.bitwise_and), ("bitwise_or", jnp.bitwise_or, np.bitwise_or),
                   ("bitwise_xor", jnp.bitwise_xor, np.bitwise_xor)]:
    globals()[_n] = _binary(_n, _j, _r, dtype=F.int_keep, traits=("commutative",), sig="x, y")
for _n, _j, _r in [("bitwise_left_shift", jnp.left_shift, np.left_shift),
                   ("bitwise_right_shift", jnp.right_shift, np.right_shift)]:
    globals()[_n] = _binary(_n, _j, _r, dtype=F.int_keep, sig="x, y")
left_shift = alias("left_shift", globals()["bitwise_left_shift"])
right_shift = alias("right_shift", globals()["bitwise_right_shift"])


def _ldexp(x1, x2):
    return jnp.ldexp(x1, x2.astype("int32"))


ldexp = op("ldexp", "x1, x2", _ldexp, lambda a, b: np.ldexp(a, b.astype("int32")), shape=F.broadcast,
           dtype=F.floating, traits=_E)


def _divide_no_nan(x1, x2):
    safe = jnp.where(x2 == 0, 1, x2)
    return jnp.where(x2 == 0, 0, jnp.divide(x1, safe))


def _divide_no_nan_np(x1, x2):
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(x2 == 0, 0, np.divide(x1, np.where(x2 == 0, 1, x2)))


divide_no_nan = _binary("divide_no_nan", _divide_no_nan, _divide_no_nan_np, dtype=F.promote_float)

_CLOSE = "x1, x2, rtol=1e-05, atol=1e-08, equal_nan=False"
isclose = op("isclose", _CLOSE, lambda a, b, rtol, atol, equal_nan: jnp.isclose(a, b, rtol, atol, equal_nan),
             lambda a, b, rtol, atol, equal_nan: np.isclose(a, b, rtol, atol, equal_nan),
             shape=F.broadcast, dtype=F.boolean, traits=_E, cast_in="promote")
allclose = op("allclose", _CLOSE, lambda a, b, rtol, atol, equal_nan: jnp.allclose(a, b, rtol, atol, equal_nan),
              lambda a, b, rtol, atol, equal_nan: np.allclose(a, b, rtol, atol, equal_nan),
              shape=lambda types, attrs: [()], dtype=F.boolean, cast_in="promote")
