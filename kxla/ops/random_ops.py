"""Random ops usable inside graphs: dropout, gaussian_noise, random_normal, random_uniform.

Every op here has ``effect="random"``: its lowering draws from ``ctx.key()``,
a key derived from the ``rng`` passed to the lowered function and the op's
rank among the graph's random ops (``random_key_ids``) — not the node's
position among all nodes, so passes that add
or remove other nodes, the unoptimised graph of ``as_jax()`` and the optimised
one of ``fit`` draw the same numbers for the same ``rng``; a compiled step is
pure and reproducible for a given ``rng`` (and passes never merge or drop two
draws). Called eagerly, the key comes
from ``kxla.utils.set_random_seed``'s stream. A ``seed`` attribute, when
given, fixes the draw instead (Keras's integer-seed behaviour).

The ops always draw; whether a layer applies them (``training=True``) is
decided when the layer's ``call`` is traced.
"""
from __future__ import annotations

from .lazy_jax import jax
from .lazy_jax import jnp

from ..ir import Attr, TensorType, canonical_dtype, is_floating
from . import costs
from .core import apply, defop
from .rules import same_as_input
from .symbolic_dim import split_shape

__all__ = ["dropout", "gaussian_noise", "random_normal", "random_uniform", "random_key_ids"]


def random_key_ids(nodes) -> dict:
    """``{id(node): key id}`` for the random nodes of a graph: the node's rank among the graph's random
    nodes, folded into the call's ``rng`` by ``LowerContext.key``. It ignores every other node, so
    passes (which never add, drop or reorder draws) and the unoptimised graph agree, and it ignores
    layer names, so two models built alike draw alike."""
    from ..ir import get_op
    ids = {}
    for node in nodes:
        if get_op(node.op).effect == "random":
            ids[id(node)] = len(ids)
    return ids


def _key(ctx, seed):
    """The node's key: the step's (``ctx.key()``), or Keras 3's key for an explicit ``seed`` — the two
    32-bit words ``[seed mod 2**32, seed >> 32]`` (an int seed s is Keras's ``[s, 0]``; the n-th draw of a
    ``SeedGenerator(s)`` is ``s + n * 2**32``), so seeded draws equal Keras's."""
    if seed is None:
        return ctx.key()
    words = jnp.asarray([seed & 0xFFFFFFFF, (seed >> 32) & 0xFFFFFFFF], jnp.uint32)
    return jax.random.wrap_key_data(words)


def _concrete_noise_shape(x_shape: tuple, noise_shape) -> tuple:
    if noise_shape is None:
        return tuple(x_shape)
    return tuple(d if n is None else n for n, d in zip(noise_shape, x_shape))


# -- dropout -------------------------------------------------------------------------------
def _dropout_infer(types, attrs):
    t = types[0]
    rate, noise = attrs["rate"], attrs["noise_shape"]
    if not 0.0 <= rate <= 1.0:
        raise ValueError(f"dropout: rate must be in [0, 1], got {rate}")
    if not is_floating(t.dtype):
        raise ValueError(f"dropout: the input must be floating point, got {t.dtype}")
    if noise is not None:
        if len(noise) != t.rank or any(
                n is not None and (not isinstance(n, int) or n < 0 or (n != 1 and d is not None and n != d))
                for n, d in zip(noise, t.shape)):
            raise ValueError(f"dropout: noise_shape {noise} must have one entry per axis of {t.shape}, "
                             "each None, 1 or the input's size")
    return [t]


def _remap_noise_shape(attrs, perm, input_types=None):
    noise = attrs["noise_shape"]
    return attrs if noise is None else {**attrs, "noise_shape": [noise[p] for p in perm]}


@defop("dropout", infer=_dropout_infer, layout="axis", effect="random",
       attrs={"rate": Attr("float"), "noise_shape": Attr("optional_ints", None),
              "seed": Attr("optional_int", None)},
       remap_axes=_remap_noise_shape,
       doc="zero a fraction rate of entries, scale the rest by 1/(1-rate)", cost=costs.per_element(2),
       public="kxla.random.dropout")
def _dropout(ctx, x, rate, noise_shape, seed):
    if rate >= 1.0:
        return jnp.zeros_like(x)
    if rate <= 0.0:
        return x
    keep = 1.0 - rate
    mask = jax.random.bernoulli(_key(ctx, seed), p=keep, shape=_concrete_noise_shape(x.shape, noise_shape))
    return jax.lax.select(jnp.broadcast_to(mask, x.shape), x / jnp.asarray(keep, x.dtype), jnp.zeros_like(x))


def dropout(inputs, rate, noise_shape=None, seed=None):
    """Inverted dropout, as ``keras.random.dropout``.

    Arguments:
      inputs: floating-point tensor.
      rate: fraction of entries set to 0, in [0, 1]; kept entries are scaled by ``1 / (1 - rate)``.
      noise_shape: optional shape of the keep mask, broadcast to ``inputs``
        (entries None take the input's size), e.g. ``(batch, 1, features)``.
      seed: optional int fixing the draw.

    Returns:
      A tensor of ``inputs``'s shape and dtype.
    """
    noise = None if noise_shape is None else [None if n is None else int(n) for n in noise_shape]
    return apply("dropout", inputs, rate=float(rate), noise_shape=noise,
                 seed=None if seed is None else int(seed))


# -- gaussian noise --------------------------------------------------------------------------
def _noise_infer(types, attrs):
    if attrs["stddev"] < 0:
        raise ValueError(f"gaussian_noise: stddev must be >= 0, got {attrs['stddev']}")
    if not is_floating(types[0].dtype):
        raise ValueError(f"gaussian_noise: the input must be floating point, got {types[0].dtype}")
    return same_as_input(types, attrs)


@defop("gaussian_noise", infer=_noise_infer, layout="agnostic", effect="random",
       attrs={"stddev": Attr("float"), "seed": Attr("optional_int", None)},
       doc="x + normal(0, stddev) noise", traits={"elementwise"}, cost=costs.per_element(2),
       public="kxla.ops.gaussian_noise")
def _gaussian_noise(ctx, x, stddev, seed):
    return x + stddev * jax.random.normal(_key(ctx, seed), x.shape, x.dtype)


def gaussian_noise(x, stddev, seed=None):
    """``x`` plus zero-mean Gaussian noise of standard deviation ``stddev`` (GaussianNoise's draw)."""
    return apply("gaussian_noise", x, stddev=float(stddev), seed=None if seed is None else int(seed))


# -- random tensors -----------------------------------------------------------------------------
def drawn_shape(types, attrs) -> tuple:
    """The shape a draw records: ``shape``, except that an entry whose ``like_axes`` is an axis ``a >= 0``
    is dimension ``a`` of the op's one input (a size known when the graph runs, e.g. the batch)."""
    shape, axes = attrs["shape"], attrs["like_axes"]
    if axes is None:
        if types:
            raise ValueError("random: an input gives dimensions only with like_axes")
        if any(d < 0 for d in shape):
            raise ValueError(f"random: shape must hold sizes >= 0, got {shape}")
        return tuple(shape)
    if len(types) != 1 or len(axes) != len(shape):
        raise ValueError(f"random: like_axes {axes} needs one input and one entry per dimension of {shape}")
    rank = types[0].rank
    if any(a >= rank or (a < 0 and d < 0) for d, a in zip(shape, axes)):
        raise ValueError(f"random: like_axes {axes} do not fit shape {shape} and an input of rank {rank}")
    return tuple(types[0].shape[a] if a >= 0 else d for d, a in zip(shape, axes))


def concrete_shape(like, shape, like_axes) -> tuple:
    """The shape to draw when the graph runs (``like``: the op's inputs, empty or one array)."""
    if like_axes is None:
        return tuple(shape)
    return tuple(like[0].shape[a] if a >= 0 else d for d, a in zip(shape, like_axes))


def _random_infer(types, attrs):
    if not is_floating(attrs["dtype"]):
        raise ValueError(f"random: dtype must be floating point, got {attrs['dtype']}")
    return [TensorType(drawn_shape(types, attrs), attrs["dtype"])]


#: the attribute of a draw whose shape takes dimensions from its input (see ``drawn_shape``)
LIKE_AXES = {"like_axes": Attr("optional_ints", None)}


@defop("random_normal", infer=_random_infer, layout="opaque", arity=None, effect="random",
       attrs={"shape": Attr("ints"), "mean": Attr("float", 0.0), "stddev": Attr("float", 1.0),
              "dtype": Attr("str", "float32"), "seed": Attr("optional_int", None), **LIKE_AXES},
       doc="a tensor of normal(mean, stddev) draws", cost=costs.per_element(1),
       public="kxla.random.normal")
def _random_normal(ctx, *like, shape, mean, stddev, dtype, seed, like_axes):
    return mean + stddev * jax.random.normal(_key(ctx, seed), concrete_shape(like, shape, like_axes), dtype)


@defop("random_uniform", infer=_random_infer, layout="opaque", arity=None, effect="random",
       attrs={"shape": Attr("ints"), "minval": Attr("float", 0.0), "maxval": Attr("float", 1.0),
              "dtype": Attr("str", "float32"), "seed": Attr("optional_int", None), **LIKE_AXES},
       doc="a tensor of uniform[minval, maxval) draws", cost=costs.per_element(1),
       public="kxla.random.uniform")
def _random_uniform(ctx, *like, shape, minval, maxval, dtype, seed, like_axes):
    return jax.random.uniform(_key(ctx, seed), concrete_shape(like, shape, like_axes), dtype, minval=minval,
                              maxval=maxval)


def draw(name: str, shape, **attrs):
    """Records (or runs) the random op ``name`` for ``shape``, whose entries may be unknown dimensions
    (``SymbolicDim``) of one symbolic tensor: that tensor becomes the op's input."""
    static, like, axes = split_shape(name, shape)
    return apply(name, *([] if like is None else [like]), shape=static, like_axes=axes, **attrs)


def random_normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
    """Normal draws of ``shape``, as ``keras.random.normal`` (a graph node when traced)."""
    from ..config import floatx
    return draw("random_normal", shape, mean=float(mean), stddev=float(stddev),
                dtype=canonical_dtype(dtype or floatx()), seed=None if seed is None else int(seed))


def random_uniform(shape, minval=0.0, maxval=1.0, dtype=None, seed=None):
    """Uniform draws in ``[minval, maxval)`` of ``shape``, as ``keras.random.uniform``."""
    from ..config import floatx
    if not minval < maxval:
        raise ValueError(f"random_uniform: minval must be < maxval, got {minval} and {maxval}")
    return draw("random_uniform", shape, minval=float(minval), maxval=float(maxval),
                dtype=canonical_dtype(dtype or floatx()), seed=None if seed is None else int(seed))
