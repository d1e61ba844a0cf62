"""The rest of keras.random as ops: truncated_normal, randint, categorical, shuffle, gamma, binomial, beta.

Like ``random_ops`` (whose key rule ``_key`` they share), every op has
``effect="random"`` and an optional ``seed`` attribute: absent, the op draws
from the step's key (``ctx.key()``: the ``rng`` given to the lowered
function, folded with the node's index), so the key is explicit in the
compiled function; present, it is Keras 3's key for that seed and the values
equal Keras's JAX backend draw for draw.
"""
from __future__ import annotations

from .lazy_jax import jax

from ..ir import Attr, TensorType, canonical_dtype, is_floating
from .core import defop
from .random_ops import LIKE_AXES, _key, concrete_shape, drawn_shape

_SEED = {"seed": Attr("optional_int", None)}


def _shape_infer(types, attrs):
    return [TensorType(drawn_shape(types, attrs), attrs["dtype"])]


def _float_shape_infer(types, attrs):
    if not is_floating(attrs["dtype"]):
        raise ValueError(f"random: dtype must be floating point, got {attrs['dtype']}")
    return _shape_infer(types, attrs)


@defop("random_truncated_normal", infer=_float_shape_infer, layout="opaque", arity=None, effect="random",
       attrs={"shape": Attr("ints"), "mean": Attr("float", 0.0), "stddev": Attr("float", 1.0),
              "dtype": Attr("str", "float32"), **_SEED, **LIKE_AXES},
       doc="normal(mean, stddev) draws truncated at two standard deviations")
def _truncated_normal(ctx, *like, shape, mean, stddev, dtype, seed, like_axes):
    sample = jax.random.truncated_normal(_key(ctx, seed), -2.0, 2.0, concrete_shape(like, shape, like_axes),
                                         dtype)
    return sample * stddev + mean


def _randint_infer(types, attrs):
    if "int" not in attrs["dtype"]:
        raise ValueError(f"randint: dtype must be an integer type, got {attrs['dtype']}")
    return _shape_infer(types, attrs)


@defop("random_randint", infer=_randint_infer, layout="opaque", arity=None, effect="random",
       attrs={"shape": Attr("ints"), "minval": Attr("int"), "maxval": Attr("int"),
              "dtype": Attr("str", "int32"), **_SEED, **LIKE_AXES},
       doc="integers drawn uniformly from [minval, maxval)")
def _randint(ctx, *like, shape, minval, maxval, dtype, seed, like_axes):
    return jax.random.randint(_key(ctx, seed), concrete_shape(like, shape, like_axes), minval, maxval, dtype)


def _categorical_infer(types, attrs):
    t = types[0]
    if t.rank != 2 or not is_floating(t.dtype):
        raise ValueError(f"categorical: logits must be a floating (batch, classes) tensor, got {t}")
    return [TensorType((t.shape[0], attrs["num_samples"]), attrs["dtype"])]


@defop("random_categorical", infer=_categorical_infer, layout="opaque", effect="random",
       attrs={"num_samples": Attr("int"), "dtype": Attr("str", "int32"), **_SEED},
       doc="num_samples class indices per row of logits")
def _categorical(ctx, logits, num_samples, dtype, seed):
    shape = (logits.shape[0], num_samples)
    return jax.random.categorical(_key(ctx, seed), logits[..., None], shape=shape, axis=1).astype(dtype)


def _shuffle_infer(types, attrs):
    t = types[0]
    if not -t.rank <= attrs["axis"] < max(t.rank, 1):
        raise ValueError(f"shuffle: axis {attrs['axis']} is out of bounds for {t}")
    return [t]


@defop("random_shuffle", infer=_shuffle_infer, layout="opaque", effect="random",
       attrs={"axis": Attr("int", 0), **_SEED}, doc="a random permutation along axis")
def _shuffle(ctx, x, axis, seed):
    return jax.random.permutation(_key(ctx, seed), x, axis, independent=True)


def _param_infer(types, attrs):
    """gamma / binomial / beta: the inputs are distribution parameters; the shape is static."""
    if not is_floating(attrs["dtype"]):
        raise ValueError(f"random: dtype must be floating point, got {attrs['dtype']}")
    return [TensorType(drawn_shape([], {**attrs, "like_axes": None}), attrs["dtype"])]


@defop("random_gamma", infer=_param_infer, layout="opaque", arity=1, effect="random",
       attrs={"shape": Attr("ints"), "dtype": Attr("str", "float32"), **_SEED},
       doc="gamma(alpha) draws (alpha broadcast to shape)")
def _gamma(ctx, alpha, shape, dtype, seed):
    return jax.random.gamma(_key(ctx, seed), alpha, shape=tuple(shape), dtype=dtype)


@defop("random_binomial", infer=_param_infer, layout="opaque", arity=2, effect="random",
       attrs={"shape": Attr("ints"), "dtype": Attr("str", "float32"), **_SEED},
       doc="binomial(counts, probabilities) draws")
def _binomial(ctx, counts, probabilities, shape, dtype, seed):
    return jax.random.binomial(_key(ctx, seed), counts, probabilities, shape=tuple(shape), dtype=dtype)


@defop("random_beta", infer=_param_infer, layout="opaque", arity=2, effect="random",
       attrs={"shape": Attr("ints"), "dtype": Attr("str", "float32"), **_SEED},
       doc="beta(alpha, beta) draws")
def _beta(ctx, alpha, beta, shape, dtype, seed):
    return jax.random.beta(_key(ctx, seed), alpha, beta, shape=tuple(shape), dtype=dtype)


def dtype_or_floatx(dtype):
    from ..config import floatx
    return canonical_dtype(dtype or floatx())
