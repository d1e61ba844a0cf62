"""Random ops the augmentation layers draw from: ``random_uniform_like`` and ``random_crop``.

Both have ``effect="random"``: the lowering draws from ``ctx.key()`` (the
step's key folded with the node), or from ``seed`` when one is given, like
``dropout``. ``random_uniform_like(x)`` draws one uniform number per element
of ``x`` — the layers pass a ``(batch, 1, 1, 1)`` slice to draw one number
per sample even when the batch size is only known at run time.
"""
from __future__ import annotations

from .lazy_jax import jax
from .lazy_jax import jnp
import numpy as np

from ..ir import Attr, TensorType, is_floating
from . import families as F
from .core import apply, defop
from .random_ops import _key

__all__ = ["random_uniform_like", "random_crop", "random_beta_like"]


def _uniform_like_infer(types, attrs):
    t = types[0]
    if not attrs["minval"] < attrs["maxval"]:
        raise ValueError(f"random_uniform_like: minval must be < maxval, got {attrs['minval']}, {attrs['maxval']}")
    return [TensorType(t.shape, t.dtype if is_floating(t.dtype) else "float32")]


def _uniform_like_reference(x, minval=0.0, maxval=1.0, seed=None):
    rng = np.random.default_rng(seed)
    return rng.uniform(minval, maxval, size=np.shape(x)).astype(np.float32)


@defop("random_uniform_like", infer=_uniform_like_infer, layout="agnostic", effect="random",
       attrs={"minval": Attr("float", 0.0), "maxval": Attr("float", 1.0), "seed": Attr("optional_int", None)},
       reference=_uniform_like_reference, doc="uniform[minval, maxval) draws shaped like the input")
def _random_uniform_like(ctx, x, minval, maxval, seed):
    dtype = x.dtype if jnp.issubdtype(x.dtype, jnp.floating) else jnp.float32
    return jax.random.uniform(_key(ctx, seed), x.shape, dtype, minval=minval, maxval=maxval)


def random_uniform_like(x, minval=0.0, maxval=1.0, seed=None):
    """Uniform draws in ``[minval, maxval)`` with the shape of ``x`` (its values are not read)."""
    return apply("random_uniform_like", x, minval=float(minval), maxval=float(maxval),
                 seed=None if seed is None else int(seed))


def _crop_axes(rank: int, data_format: str) -> tuple:
    return (rank - 2, rank - 1) if data_format == "channels_first" else (rank - 3, rank - 2)


def _crop_infer(types, attrs):
    t = types[0]
    if t.rank not in (3, 4):
        raise ValueError(f"random_crop: images must have rank 3 or 4, got {t.shape}")
    h_axis, w_axis = _crop_axes(t.rank, attrs["data_format"])
    for axis, size in ((h_axis, attrs["height"]), (w_axis, attrs["width"])):
        if t.shape[axis] is None or t.shape[axis] < size:
            raise ValueError(f"random_crop: the {size} crop needs a known dim of at least {size}, got {t.shape}")
    shape = list(t.shape)
    shape[h_axis], shape[w_axis] = attrs["height"], attrs["width"]
    return [TensorType(tuple(shape), t.dtype)]


@defop("random_crop", infer=_crop_infer, layout="opaque", effect="random",
       attrs={"height": Attr("int"), "width": Attr("int"), "data_format": Attr("str", "channels_last"),
              "seed": Attr("optional_int", None)},
       doc="a height x width window at one random offset for the whole batch")
def _random_crop(ctx, x, height, width, data_format, seed):
    h_axis, w_axis = _crop_axes(x.ndim, data_format)
    kh, kw = jax.random.split(_key(ctx, seed))
    h0 = jax.random.randint(kh, (), 0, x.shape[h_axis] - height + 1)
    w0 = jax.random.randint(kw, (), 0, x.shape[w_axis] - width + 1)
    start = [0] * x.ndim
    start[h_axis], start[w_axis] = h0, w0
    sizes = list(x.shape)
    sizes[h_axis], sizes[w_axis] = height, width
    return jax.lax.dynamic_slice(x, start, sizes)


def random_crop(images, height, width, data_format="channels_last", seed=None):
    """A ``height x width`` crop of ``images`` at one random offset (the same for the whole batch)."""
    return apply("random_crop", images, height=int(height), width=int(width), data_format=data_format,
                 seed=None if seed is None else int(seed))


def _beta_like_infer(types, attrs):
    t, alpha = types
    if alpha.rank != 0:
        raise ValueError(f"random_beta_like: alpha must be a scalar, got shape {alpha.shape}")
    return [TensorType(t.shape, t.dtype if is_floating(t.dtype) else "float32")]


@defop("random_beta_like", infer=_beta_like_infer, layout="agnostic", effect="random", arity=2,
       attrs={"seed": Attr("optional_int", None)}, cost=F.per_output(40),
       doc="Beta(alpha, alpha) draws shaped like the first input (MixUp / CutMix weights)")
def _random_beta_like(ctx, x, alpha, seed):
    dtype = x.dtype if jnp.issubdtype(x.dtype, jnp.floating) else jnp.float32
    return jax.random.beta(_key(ctx, seed), alpha.astype(dtype), alpha.astype(dtype), x.shape, dtype)


def random_beta_like(x, alpha, seed=None):
    """Beta(``alpha``, ``alpha``) draws with the shape of ``x``; ``alpha`` a number or a scalar tensor."""
    if isinstance(alpha, (int, float)):
        alpha = np.asarray(alpha, "float32")
    return apply("random_beta_like", x, alpha, seed=None if seed is None else int(seed))
