"""Elementwise arithmetic, unary math, comparisons and reductions (keras.ops names)."""
from __future__ import annotations

import jax
import jax.numpy as jnp

from ..ir import Attr, TensorType
from .core import apply, defop
from .rules import bool_as_int, elementwise, floating, normalize_axis, remap_axis_attr, same_as_input


def _binary(name, fn, doc, infer=elementwise):
    defop(name, infer=infer, layout="agnostic", arity=2, doc=doc)(lambda ctx, a, b: fn(a, b))


_binary("add", jnp.add, "x + y (broadcasting)")
_binary("subtract", jnp.subtract, "x - y (broadcasting)")
_binary("multiply", jnp.multiply, "x * y (broadcasting)")
_binary("divide", jnp.divide, "x / y (broadcasting)", floating(elementwise))
_binary("maximum", jnp.maximum, "elementwise max(x, y)")
_binary("minimum", jnp.minimum, "elementwise min(x, y)")
_binary("power", jnp.power, "x ** y (broadcasting)", bool_as_int(elementwise))


def add(x1, x2):
    """Elementwise ``x1 + x2`` with broadcasting."""
    return apply("add", x1, x2)


def subtract(x1, x2):
    """Elementwise ``x1 - x2`` with broadcasting."""
    return apply("subtract", x1, x2)


def multiply(x1, x2):
    """Elementwise ``x1 * x2`` with broadcasting."""
    return apply("multiply", x1, x2)


def divide(x1, x2):
    """Elementwise ``x1 / x2`` with broadcasting."""
    return apply("divide", x1, x2)


def maximum(x1, x2):
    """Elementwise maximum."""
    return apply("maximum", x1, x2)


def minimum(x1, x2):
    """Elementwise minimum."""
    return apply("minimum", x1, x2)


def power(x1, x2):
    """Elementwise ``x1 ** x2``."""
    return apply("power", x1, x2)


_UNARY = {
    "negative": (jnp.negative, "-x"),
    "exp": (jnp.exp, "e ** x", floating(same_as_input)),          # integers compute in float32
    "log": (jnp.log, "natural logarithm", floating(same_as_input)),
    "sqrt": (jnp.sqrt, "square root", floating(same_as_input)),
    "square": (jnp.square, "x * x", bool_as_int(same_as_input)),
    "abs": (jnp.abs, "absolute value"),
    "sign": (jnp.sign, "sign of x (-1, 0, 1)"),
    "rsqrt": (jax.lax.rsqrt, "1 / sqrt(x)", floating(same_as_input)),
}
for _name, (_fn, _doc, *_rule) in _UNARY.items():
    defop(_name, infer=_rule[0] if _rule else same_as_input, layout="agnostic", doc=_doc)(
        (lambda fn: lambda ctx, x: fn(x))(_fn))


def negative(x):
    """Elementwise ``-x``."""
    return apply("negative", x)


def exp(x):
    """Elementwise exponential."""
    return apply("exp", x)


def log(x):
    """Elementwise natural logarithm."""
    return apply("log", x)


def sqrt(x):
    """Elementwise square root."""
    return apply("sqrt", x)


def square(x):
    """Elementwise square."""
    return apply("square", x)


def abs(x):
    """Elementwise absolute value."""
    return apply("abs", x)


absolute = abs


def sign(x):
    """Elementwise sign."""
    return apply("sign", x)


def rsqrt(x):
    """Elementwise ``1 / sqrt(x)``."""
    return apply("rsqrt", x)


# -- reductions -----------------------------------------------------------
def _reduce_infer(types, attrs):
    t = types[0]
    axes = attrs["axis"]
    axes = range(t.rank) if axes is None else [normalize_axis(a, t.rank) for a in axes]
    axes = set(axes)
    if attrs["keepdims"]:
        shape = tuple(1 if i in axes else d for i, d in enumerate(t.shape))
    else:
        shape = tuple(d for i, d in enumerate(t.shape) if i not in axes)
    return [TensorType(shape, t.dtype)]


_REDUCE_ATTRS = {"axis": Attr("optional_ints", None), "keepdims": Attr("bool", False)}


def _reduction(name, fn, doc, infer=_reduce_infer):
    defop(name, infer=infer, layout="axis", attrs=_REDUCE_ATTRS,
          remap_axes=remap_axis_attr("axis"), doc=doc)(
        lambda ctx, x, axis, keepdims: fn(x, axis=None if axis is None else tuple(axis), keepdims=keepdims))


_reduction("mean", jnp.mean, "mean over axes", floating(_reduce_infer))
_reduction("sum", jnp.sum, "sum over axes", bool_as_int(_reduce_infer))
_reduction("max", jnp.max, "maximum over axes")
_reduction("min", jnp.min, "minimum over axes")


def _axes(axis):
    if axis is None:
        return None
    return [int(axis)] if isinstance(axis, int) else [int(a) for a in axis]


def mean(x, axis=None, keepdims=False):
    """Mean of ``x`` over ``axis`` (int, list, or None for all)."""
    return apply("mean", x, axis=_axes(axis), keepdims=keepdims)


def sum(x, axis=None, keepdims=False):
    """Sum of ``x`` over ``axis``."""
    return apply("sum", x, axis=_axes(axis), keepdims=keepdims)


def max(x, axis=None, keepdims=False):
    """Maximum of ``x`` over ``axis``."""
    return apply("max", x, axis=_axes(axis), keepdims=keepdims)


def min(x, axis=None, keepdims=False):
    """Minimum of ``x`` over ``axis``."""
    return apply("min", x, axis=_axes(axis), keepdims=keepdims)
