"""keras.ops names of the numpy / linalg / einops families added late: bincount, view, vectorize, rearrange.
(``eig`` is in linalg.py.)

Each op is one catalogue row (``catalog.op``); lowerings are written for numpy
or jax.numpy alike (``xp``) so the same formula is the numpy reference.
``bincount`` has a data-dependent output shape (as in Keras's JAX backend,
which cannot trace it under jit): it runs on arrays and refuses symbolic
tensors with an error naming the op. ``vectorize`` is a function transform
(``jnp.vectorize``); on symbolic tensors the vectorized function records one
``jax_call`` node.
"""
from __future__ import annotations

import re

import numpy as np

from .lazy_jax import jnp
from . import families as F
from .catalog import alias, op
from .tracing import KerasTensor, Variable


def _xp(x):
    return np if isinstance(x, np.ndarray) else jnp


# -- bincount ------------------------------------------------------------------------------------
def _bincount(x, *weights, minlength):
    xp = _xp(x)
    w = weights[0] if weights else None
    if x.ndim == 1:
        return xp.bincount(x, weights=w, minlength=minlength).astype(w.dtype if w is not None else "int32")
    rows = [xp.bincount(x[i], weights=None if w is None else w[i], minlength=minlength) for i in range(x.shape[0])]
    if len({r.shape for r in rows}) > 1:
        raise ValueError(f"bincount: the rows of a 2-D input give counts of different lengths "
                         f"{[r.shape[0] for r in rows]}; pass a `minlength` above every value")
    return xp.stack(rows).astype(w.dtype if w is not None else "int32")


def _bincount_dtype(dtypes, attrs):
    if dtypes[0].startswith("float") or dtypes[0] == "bfloat16":
        raise TypeError(f"bincount: `x` must hold non-negative integers, got {dtypes[0]}")
    return dtypes[1] if len(dtypes) > 1 else "int32"


_bincount_row = op("bincount", "x, *weights, minlength=0", _bincount, _bincount, shape="ref", dtype=_bincount_dtype,
                   ns=None, lists=("weights",), traits=("data_dependent_shape",), cost=F.per_input(),
                   doc="count (or sum the weights of) each non-negative integer value; data-dependent length")


def bincount(x, weights=None, minlength=0, sparse=False):
    """Count each non-negative integer of ``x`` (per row of a 2-D ``x``), as ``keras.ops.bincount``.

    The result's length is ``max(max(x) + 1, minlength)``: it depends on the
    values, so symbolic tensors are refused (Keras's JAX backend cannot trace it).
    """
    if sparse:
        raise ValueError("bincount: sparse=True is not supported (kxla has no sparse tensors)")
    return _bincount_row(x, *([] if weights is None else [weights]), minlength=int(minlength))


bincount.op_name = "bincount"
alias("bincount", bincount)


# -- view ------------------------------------------------------------------------------------------
def _view(x, dtype):
    return x if dtype is None else x.view(np.dtype(dtype) if _xp(x) is np else dtype)


def _view_shape(types, attrs):
    t, dtype = types[0], attrs["dtype"]
    if dtype is None:
        return [t.shape]
    old, new = (np.dtype("float16" if d == "bfloat16" else "bool" if d == "bool" else d).itemsize
                for d in (t.dtype, dtype))
    if old == new:
        return [t.shape]
    if t.rank == 0:
        raise ValueError(f"view: a scalar cannot change to a dtype of another size ({t.dtype} -> {dtype})")
    last = t.shape[-1]
    if last is not None and (last * old) % new:
        raise ValueError(f"view: the last axis ({last} x {old} bytes) does not divide into {dtype} items")
    return [t.shape[:-1] + (None if last is None else last * old // new,)]


view = op("view", "x, dtype=None", _view, _view, shape=_view_shape, dtype=F.attr_or(F.keep), cost=F.movement,
          doc="the same bytes read as another dtype (the last axis scales by the itemsize ratio)")


# -- vectorize ---------------------------------------------------------------------------------------
def vectorize(pyfunc, *, excluded=None, signature=None):
    """``pyfunc`` vectorized over its array arguments (``jnp.vectorize``), as ``keras.ops.vectorize``.

    ``pyfunc`` must be written with JAX-traceable operations. Called with
    symbolic tensors, the vectorized function records one ``jax_call`` node.
    """
    fn = jnp.vectorize(pyfunc, excluded=set() if excluded is None else excluded, signature=signature)

    def vectorized(*args, **kwargs):
        if kwargs or not any(isinstance(a, (KerasTensor, Variable)) for a in args):
            return fn(*args, **kwargs)
        from .jax_call import jax_call
        return jax_call(fn, *args, name=f"vectorize.{getattr(pyfunc, '__qualname__', 'fn')}")
    vectorized.__name__ = getattr(pyfunc, "__name__", "vectorized")
    vectorized.__doc__ = getattr(pyfunc, "__doc__", None)
    return vectorized


alias("vectorize", vectorize)


# -- rearrange (einops notation) -------------------------------------------------------------------
def _groups(side):
    tokens = re.findall(r"\(([^)]*)\)|(\S+)", side)
    out = []
    for grouped, single in tokens:
        names = grouped.split() if grouped or not single else [single]
        for n in names:
            if not re.fullmatch(r"\w+", n) or n.isdigit():
                raise ValueError(f"rearrange: unsupported axis {n!r} (only named axes and (groups) are supported)")
        out.append(names)
    return out


def _rearrange(x, pattern, axes_lengths):
    xp = _xp(x)
    if "->" not in pattern:
        raise ValueError(f"rearrange: the pattern needs '->', got {pattern!r}")
    left, right = (_groups(s) for s in pattern.split("->"))
    if len(left) != x.ndim:
        raise ValueError(f"rearrange: pattern {pattern!r} names {len(left)} axes, the tensor has {x.ndim}")
    sizes = dict(axes_lengths)
    for group, dim in zip(left, x.shape):
        unknown = [n for n in group if n not in sizes]
        if len(unknown) > 1:
            raise ValueError(f"rearrange: cannot infer the sizes of {unknown} in {pattern!r}; give them as keywords")
        known = int(np.prod([sizes[n] for n in group if n in sizes]))
        if unknown:
            sizes[unknown[0]] = dim // known
        elif len(group) == 1:
            sizes[group[0]] = dim
    flat_in = [n for g in left for n in g]
    flat_out = [n for g in right for n in g]
    if sorted(flat_in) != sorted(flat_out):
        raise ValueError(f"rearrange: both sides of {pattern!r} must name the same axes")
    x = xp.reshape(x, [sizes[n] for n in flat_in])
    x = xp.transpose(x, [flat_in.index(n) for n in flat_out])
    return xp.reshape(x, [int(np.prod([sizes[n] for n in g])) for g in right])


_rearrange_row = op("rearrange", "tensor, pattern, axes_lengths=()", _rearrange, _rearrange, shape="ref",
                    dtype=F.keep, ns=None, tensors=("tensor",), cost=F.movement,
                    doc="einops-style reshape/transpose given by a pattern 'b (h w) c -> b h w c'")


def rearrange(tensor, pattern, **axes_lengths):
    """Rearrange axes in einops notation (named axes and parenthesised groups), as ``keras.ops.rearrange``."""
    return _rearrange_row(tensor, str(pattern), axes_lengths=[[k, int(v)] for k, v in sorted(axes_lengths.items())])


rearrange.op_name = "rearrange"
alias("rearrange", rearrange, ns="core")
