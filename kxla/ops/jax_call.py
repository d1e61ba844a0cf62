"""The JAX escape hatch: ``jax_call(fn, *tensors)`` wraps any JAX function as one opaque IR node.

The node's attribute ``fn`` names the function in a process-wide table
(``module.qualname``), so the IR stays text; result types come from
``jax.eval_shape`` (run at two batch sizes to find which dims follow the
batch). Passes treat the node as a barrier (layout "opaque"); lowering calls
the function; gradients flow through it like any JAX code.
"""
from __future__ import annotations

from .lazy_jax import jax
from .lazy_jax import jnp

from ..ir import Attr, TensorType
from .core import apply, defop

_FUNCTIONS: dict[str, object] = {}


def register_function(fn, name: str | None = None) -> str:
    """Put ``fn`` in the table under ``name`` (default ``module.qualname``) and return the key."""
    base = name or f"{getattr(fn, '__module__', 'fn')}.{getattr(fn, '__qualname__', repr(fn))}"
    key, k = base, 1
    while key in _FUNCTIONS and _FUNCTIONS[key] is not fn:
        k += 1
        key = f"{base}#{k}"
    _FUNCTIONS[key] = fn
    return key


def lookup_function(key: str):
    try:
        return _FUNCTIONS[key]
    except KeyError:
        raise ValueError(f"jax_call: no function registered as {key!r}; register it with "
                         "kxla.ops.register_function(fn, name) before loading or lowering this graph") from None


def _structs(types, batch):
    return [jax.ShapeDtypeStruct(tuple(batch if d is None else d for d in t.shape), t.dtype) for t in types]


def _infer(types, attrs):
    fn = lookup_function(attrs["fn"])
    try:
        outs = [jax.eval_shape(fn, *_structs(types, b)) for b in (2, 3)]
    except Exception as e:                    # the user's function rejected these shapes
        raise ValueError(f"jax_call {attrs['fn']}: the function fails on inputs "
                         f"{', '.join(map(str, types))}: {type(e).__name__}: {e}") from None
    first, second = (jax.tree_util.tree_leaves(o) for o in outs)
    has_unknown = any(None in t.shape for t in types)
    result = []
    for a, b in zip(first, second):
        shape = tuple(None if has_unknown and da != db else da for da, db in zip(a.shape, b.shape))
        result.append(TensorType(shape, str(a.dtype)))
    return result


@defop("jax_call", infer=_infer, layout="opaque", arity=None, attrs={"fn": Attr("str")},
       doc="call a registered JAX function (a barrier to passes)")    # no public name: files never resolve it
def _jax_call(ctx, *arrays, fn):
    out = lookup_function(fn)(*arrays)
    leaves = jax.tree_util.tree_leaves(out)
    return leaves[0] if len(leaves) == 1 else tuple(leaves)


def jax_call(fn, *tensors, name: str | None = None):
    """Apply the JAX function ``fn`` to ``tensors`` as one IR node (outputs: its array leaves).

    Arguments:
      fn: any function of JAX arrays returning an array or a flat tuple/list of arrays.
      tensors: symbolic tensors, variables or arrays.
      name: the key to register ``fn`` under (default ``module.qualname``).

    Returns:
      A tensor, or a tuple of tensors when ``fn`` returns several arrays.
    """
    return apply("jax_call", *tensors, fn=register_function(fn, name))
