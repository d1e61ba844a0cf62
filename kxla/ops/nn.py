"""Neural-network ops: activations, matmul/dot, bias_add (conv, pooling and normalization in nn_*.py)."""
from __future__ import annotations

from .lazy_jax import jax
from .lazy_jax import jnp

import numpy as np

from ..ir import Attr, TensorType
from . import costs
from .core import apply, defop
from .rules import bool_as_int, floating, normalize_axis, promote, remap_axis_attr, same_as_input

# -- activations --------------------------------------------------------------
# Each has the "activation" trait: fusion folds it into a producer's ``activation`` attribute
# and recurrent ops name it in theirs (forms: ``kxla.ir.activation_forms()``).
def _np_sigmoid(x):
    return 1 / (1 + np.exp(-x))


def _np_gelu(x, approximate):
    if approximate:
        return 0.5 * x * (1 + np.tanh(np.sqrt(2 / np.pi).astype(x.dtype) * (x + 0.044715 * x ** 3)))
    from math import erf
    return 0.5 * x * (1 + np.vectorize(erf, otypes=[x.dtype])(x / np.sqrt(2).astype(x.dtype)))


def _np_selu(x):
    alpha, scale = 1.6732632423543772, 1.0507009873554805
    return scale * np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0)))


def _activation(name, lower, reference, doc, attrs=None, forms=None, infer=floating(same_as_input)):
    defop(name, infer=infer, layout="agnostic", attrs=attrs, doc=doc,
          traits={"elementwise", "activation"}, cost=costs.per_element(1), reference=reference,
          public=f"kxla.ops.{name}", extra={"activation_forms": forms} if forms else None)(lower)


_activation("relu", lambda ctx, x: jax.nn.relu(x), lambda x: np.maximum(x, 0).astype(x.dtype), "max(x, 0)",
            infer=bool_as_int(same_as_input))
_activation("sigmoid", lambda ctx, x: jax.nn.sigmoid(x), _np_sigmoid, "1 / (1 + exp(-x))")
_activation("tanh", lambda ctx, x: jnp.tanh(x), np.tanh, "hyperbolic tangent")
_activation("selu", lambda ctx, x: jax.nn.selu(x), _np_selu, "scaled exponential linear unit")
_activation("softplus", lambda ctx, x: jax.nn.softplus(x), lambda x: np.logaddexp(x, 0).astype(x.dtype),
            "log(1 + exp(x))")
_activation("elu", lambda ctx, x, alpha: jax.nn.elu(x, alpha),
            lambda x, alpha: np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0))).astype(x.dtype),
            "x if x > 0 else alpha * (exp(x) - 1)", attrs={"alpha": Attr("float", 1.0)},
            forms={"elu": {"alpha": 1.0}})
# fused ops say "gelu" for the tanh approximation (keras.ops.gelu's default) and "gelu_exact" for
# the erf form; recurrent ops take Keras activation names, where "gelu" is the erf form
_activation("gelu", lambda ctx, x, approximate: jax.nn.gelu(x, approximate=approximate), _np_gelu,
            "Gaussian error linear unit", attrs={"approximate": Attr("bool", True)},
            forms={"gelu": {"approximate": True}, "gelu_exact": {"approximate": False}})


def _axis_infer(types, attrs):
    normalize_axis(attrs["axis"], types[0].rank)
    return [types[0]]


def _np_softmax(x, axis):
    e = np.exp(x - np.max(x, axis=axis, keepdims=True))
    return e / np.sum(e, axis=axis, keepdims=True)


defop("softmax", infer=floating(_axis_infer), layout="axis", attrs={"axis": Attr("int", -1)},
      remap_axes=remap_axis_attr("axis"), doc="exp(x) / sum(exp(x)) along axis",
      cost=costs.per_element(5), reference=_np_softmax, public="kxla.ops.softmax")(
    lambda ctx, x, axis: jax.nn.softmax(x, axis=axis))
defop("log_softmax", infer=floating(_axis_infer), layout="axis", attrs={"axis": Attr("int", -1)},
      remap_axes=remap_axis_attr("axis"), doc="log(softmax(x)) along axis",
      cost=costs.per_element(5), reference=lambda x, axis: np.log(_np_softmax(x, axis)),
      public="kxla.ops.log_softmax")(
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


@defop("matmul", infer=_matmul_infer, layout="opaque", arity=2, doc="matrix product (numpy matmul)",
       traits={"compute_heavy"}, cost=costs.matmul_cost, reference=np.matmul, public="kxla.ops.matmul",
       extra={"kernel_out_axis": -1})
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
       remap_axes=_remap_bias_axis, doc="x + bias broadcast along one axis", traits={"elementwise"},
       cost=costs.per_element(1), reference=lambda x, b, axis: x + np.reshape(
           b, [-1 if i == axis % x.ndim else 1 for i in range(x.ndim)]),
       public="kxla.ops.bias_add")
def _bias_add(ctx, x, b, axis):
    axis = axis % x.ndim
    shape = [1] * x.ndim
    shape[axis] = b.shape[0]
    return x + jnp.reshape(b, shape)


def bias_add(x, bias, axis=-1):
    """Add a rank-1 ``bias`` to ``x`` along ``axis``."""
    return apply("bias_add", x, bias, axis=int(axis))
