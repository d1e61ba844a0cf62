"""Elementwise arithmetic, unary math, comparisons and reductions (keras.ops names)."""
from __future__ import annotations

from .lazy_jax import jax
from .lazy_jax import jnp

import numpy as np

from ..ir import Attr, TensorType
from . import costs
from .core import apply, defop
from .rules import bool_as_int, elementwise, floating, normalize_axis, remap_axis_attr, same_as_input


def _binary(name, fn, reference, doc, commutative=False, infer=elementwise):
    defop(name, infer=infer, layout="agnostic", arity=2, doc=doc,
          traits={"elementwise"} | ({"commutative"} if commutative else set()),
          cost=costs.per_element(1), reference=reference, public=f"kxla.ops.{name}")(
        lambda ctx, a, b: fn(a, b))


_binary("add", jnp.add, np.add, "x + y (broadcasting)", commutative=True)
_binary("subtract", jnp.subtract, np.subtract, "x - y (broadcasting)")
_binary("multiply", jnp.multiply, np.multiply, "x * y (broadcasting)", commutative=True)
_binary("divide", jnp.divide, np.divide, "x / y (broadcasting)", infer=floating(elementwise))
_binary("maximum", jnp.maximum, np.maximum, "elementwise max(x, y)", commutative=True)
_binary("minimum", jnp.minimum, np.minimum, "elementwise min(x, y)", commutative=True)
_binary("power", jnp.power, np.power, "x ** y (broadcasting)", infer=bool_as_int(elementwise))


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


def _unary(name, fn, reference, doc, infer=same_as_input, **extra):
    defop(name, infer=infer, layout="agnostic", doc=doc, traits={"elementwise"},
          cost=costs.per_element(1), reference=reference, public=f"kxla.ops.{name}", **extra)(
        lambda ctx, x: fn(x))


_unary("negative", jnp.negative, np.negative, "-x")
_unary("log", jnp.log, np.log, "natural logarithm", floating(same_as_input))      # integers compute in float32
_unary("sqrt", jnp.sqrt, np.sqrt, "square root", floating(same_as_input))
_unary("square", jnp.square, np.square, "x * x", bool_as_int(same_as_input))
_unary("abs", jnp.abs, np.abs, "absolute value")
_unary("sign", jnp.sign, np.sign, "sign of x (-1, 0, 1)")
_unary("rsqrt", jax.lax.rsqrt, lambda x: 1 / np.sqrt(x), "1 / sqrt(x)", floating(same_as_input))
# exp is also Keras's "exponential" activation (recurrent layers' ``activation="exponential"``)
defop("exp", infer=floating(same_as_input), layout="agnostic", doc="e ** x", traits={"elementwise", "activation"},
      cost=costs.per_element(1), reference=np.exp, public="kxla.ops.exp",
      extra={"activation_forms": {"exponential": {}}})(lambda ctx, x: jnp.exp(x))


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


def _reduction(name, fn, reference, doc, cost=costs.reduction_cost, infer=_reduce_infer):
    defop(name, infer=infer, layout="axis", attrs=_REDUCE_ATTRS,
          remap_axes=remap_axis_attr("axis"), doc=doc, traits={"reduction"}, cost=cost,
          reference=lambda x, axis, keepdims: reference(x, axis=None if axis is None else tuple(axis),
                                                        keepdims=keepdims),
          public=f"kxla.ops.{name}")(
        lambda ctx, x, axis, keepdims: fn(x, axis=None if axis is None else tuple(axis), keepdims=keepdims))


_reduction("mean", jnp.mean, np.mean, "mean over axes", cost=costs.per_input_element(1),
           infer=floating(_reduce_infer))
_reduction("sum", jnp.sum, np.sum, "sum over axes", infer=bool_as_int(_reduce_infer))
_reduction("max", jnp.max, np.max, "maximum over axes")
_reduction("min", jnp.min, np.min, "minimum over axes")


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
