"""Neural-network ops: activations, matmul/dot, bias_add (conv, pooling and normalization in nn_*.py)."""
from __future__ import annotations

import jax
import jax.numpy as jnp

from ..ir import Attr, TensorType
from .core import apply, defop
from .rules import bool_as_int, floating, normalize_axis, promote, remap_axis_attr, same_as_input

# -- activations ------------------------------------------------------------
defop("relu", infer=bool_as_int(same_as_input), layout="agnostic", doc="max(x, 0)")(lambda ctx, x: jax.nn.relu(x))
defop("sigmoid", infer=floating(same_as_input), layout="agnostic", doc="1 / (1 + exp(-x))")(
    lambda ctx, x: jax.nn.sigmoid(x))
defop("tanh", infer=floating(same_as_input), layout="agnostic", doc="hyperbolic tangent")(lambda ctx, x: jnp.tanh(x))
defop("selu", infer=floating(same_as_input), layout="agnostic", doc="scaled exponential linear unit")(
    lambda ctx, x: jax.nn.selu(x))
defop("softplus", infer=floating(same_as_input), layout="agnostic", doc="log(1 + exp(x))")(
    lambda ctx, x: jax.nn.softplus(x))
defop("elu", infer=floating(same_as_input), layout="agnostic", attrs={"alpha": Attr("float", 1.0)},
      doc="x if x > 0 else alpha * (exp(x) - 1)")(lambda ctx, x, alpha: jax.nn.elu(x, alpha))
defop("gelu", infer=floating(same_as_input), layout="agnostic", attrs={"approximate": Attr("bool", True)},
      doc="Gaussian error linear unit")(lambda ctx, x, approximate: jax.nn.gelu(x, approximate=approximate))


def _axis_infer(types, attrs):
    normalize_axis(attrs["axis"], types[0].rank)
    return [types[0]]


defop("softmax", infer=floating(_axis_infer), layout="axis", attrs={"axis": Attr("int", -1)},
      remap_axes=remap_axis_attr("axis"), doc="exp(x) / sum(exp(x)) along axis")(
    lambda ctx, x, axis: jax.nn.softmax(x, axis=axis))
defop("log_softmax", infer=floating(_axis_infer), layout="axis", attrs={"axis": Attr("int", -1)},
      remap_axes=remap_axis_attr("axis"), doc="log(softmax(x)) along axis")(
    lambda ctx, x, axis: jax.nn.log_softmax(x, axis=axis))


def relu(x):
    """Rectified linear unit, ``max(x, 0)``."""
    return apply("relu", x)


def sigmoid(x):
    """Logistic sigmoid."""
    return apply("sigmoid", x)


def tanh(x):
    """Hyperbolic tangent."""
    return apply("tanh", x)


def selu(x):
    """Scaled exponential linear unit."""
    return apply("selu", x)


def softplus(x):
    """``log(1 + exp(x))``."""
    return apply("softplus", x)


def elu(x, alpha=1.0):
    """Exponential linear unit."""
    return apply("elu", x, alpha=float(alpha))


def gelu(x, approximate=True):
    """Gaussian error linear unit (tanh approximation by default, as Keras 3)."""
    return apply("gelu", x, approximate=bool(approximate))


def softmax(x, axis=-1):
    """Softmax along ``axis``."""
    return apply("softmax", x, axis=int(axis))


def log_softmax(x, axis=-1):
    """Log-softmax along ``axis``."""
    return apply("log_softmax", x, axis=int(axis))


# -- matmul and bias ----------------------------------------------------------
def _matmul_infer(types, attrs):
    a, b = types
    if a.rank == 0 or b.rank == 0:
        raise ValueError("matmul needs inputs of rank >= 1")
    a_shape = a.shape if a.rank > 1 else (1,) + a.shape
    b_shape = b.shape if b.rank > 1 else b.shape + (1,)
    ka, kb = a_shape[-1], b_shape[-2]
    if ka is not None and kb is not None and ka != kb:
        raise ValueError(f"matmul contraction mismatch: {a.shape} @ {b.shape} "
                         f"(last dim {ka} of the first != dim {kb} of the second)")
    from .rules import broadcast_shapes
    batch = broadcast_shapes(a_shape[:-2], b_shape[:-2])
    shape = batch + (a_shape[-2], b_shape[-1])
    if a.rank == 1:
        shape = shape[:-2] + shape[-1:]
    if b.rank == 1:
        shape = shape[:-1]
    return [TensorType(shape, promote(a.dtype, b.dtype))]


@defop("matmul", infer=_matmul_infer, layout="opaque", arity=2, doc="matrix product (numpy matmul)")
def _matmul(ctx, a, b):
    return jnp.matmul(a, b)


def matmul(x1, x2):
    """Matrix product with numpy ``matmul`` semantics (batched over leading dims)."""
    return apply("matmul", x1, x2)


def dot(x1, x2):
    """Dot product with numpy ``dot`` semantics for rank <= 2 (same as matmul there)."""
    r1, r2 = len(x1.shape), len(x2.shape)
    if r1 == 0 or r2 == 0:
        return apply("multiply", x1, x2)
    if r2 > 2:
        raise ValueError(f"dot: the second argument must have rank <= 2 (got rank {r2}); use "
                         "kxla.ops.matmul or kxla.ops.tensordot for batched products")
    return apply("matmul", x1, x2)


def _bias_add_infer(types, attrs):
    x, b = types
    axis = normalize_axis(attrs["axis"], x.rank)
    if b.rank != 1 or (x.shape[axis] is not None and b.shape[0] != x.shape[axis]):
        raise ValueError(f"bias of shape {b.shape} does not match axis {attrs['axis']} of {x.shape}")
    return [TensorType(x.shape, promote(x.dtype, b.dtype))]


def _remap_bias_axis(attrs, perm, input_types=None):
    return {**attrs, "axis": perm.index(attrs["axis"] % len(perm))}


@defop("bias_add", infer=_bias_add_infer, layout="axis", arity=2, attrs={"axis": Attr("int", -1)},
       remap_axes=_remap_bias_axis, doc="x + bias broadcast along one axis")
def _bias_add(ctx, x, b, axis):
    axis = axis % x.ndim
    shape = [1] * x.ndim
    shape[axis] = b.shape[0]
    return x + jnp.reshape(b, shape)


def bias_add(x, bias, axis=-1):
    """Add a rank-1 ``bias`` to ``x`` along ``axis``."""
    return apply("bias_add", x, bias, axis=int(axis))
