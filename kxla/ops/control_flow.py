"""keras.ops control flow and function transforms (cond, scan, while_loop, map, ...): JAX's, on arrays.

As in Keras's JAX backend these call ``jax.lax`` / ``jax.vmap`` /
``jax.custom_gradient``, so they work on arrays and inside a JAX function
(``kxla.ops.jax_call``, ``model.as_jax()``). On kxla's symbolic tensors (a
model being built) ``scan`` records one ``scan`` node whose body is ``f``
traced once (``kxla.ops.region_scan``); the others raise a clear error: wrap
the computation with ``kxla.ops.jax_call(fn, *tensors)``.
"""
from __future__ import annotations

from .lazy_jax import jax

from .catalog import alias
from .tracing import KerasTensor, Variable


def _refuse_symbolic(name, *trees):
    leaves = jax.tree_util.tree_leaves(trees, is_leaf=lambda x: isinstance(x, (KerasTensor, Variable)))
    if any(isinstance(x, KerasTensor) for x in leaves):
        raise ValueError(f"ops.{name} cannot record control flow on symbolic tensors (a kxla graph has no "
                         f"control-flow nodes): wrap the computation in kxla.ops.jax_call(fn, *tensors), where "
                         f"fn calls ops.{name} on arrays")
    return jax.tree_util.tree_map(lambda x: x.value if isinstance(x, Variable) else x, trees,
                                  is_leaf=lambda x: isinstance(x, Variable))


def cond(pred, true_fn, false_fn):
    """``true_fn()`` if ``pred`` else ``false_fn()`` (``jax.lax.cond``)."""
    (pred,) = _refuse_symbolic("cond", pred)
    return jax.lax.cond(pred, true_fun=true_fn, false_fun=false_fn)


def switch(index, branches, *operands):
    """``branches[index](*operands)`` (``jax.lax.switch``)."""
    index, operands = _refuse_symbolic("switch", index, operands)
    return jax.lax.switch(index, branches, *operands)


def fori_loop(lower, upper, body_fun, init_val):
    """``for i in range(lower, upper): val = body_fun(i, val)`` (``jax.lax.fori_loop``)."""
    lower, upper, init_val = _refuse_symbolic("fori_loop", lower, upper, init_val)
    return jax.lax.fori_loop(lower, upper, body_fun, init_val)


def while_loop(cond, body, loop_vars, maximum_iterations=None):
    """``while cond(*vars): vars = body(*vars)``, at most ``maximum_iterations`` times (Keras's semantics)."""
    (loop_vars,) = _refuse_symbolic("while_loop", loop_vars)
    is_tuple = isinstance(loop_vars, (tuple, list))
    state = tuple(loop_vars) if is_tuple else (loop_vars,)
    limited = maximum_iterations is not None
    if limited:
        state = state + (0,)

    def step_cond(args):
        ok = cond(*(args[:-1] if limited else args))
        return ok & (args[-1] < maximum_iterations) if limited else ok

    def step_body(args):
        out = body(*(args[:-1] if limited else args))
        out = tuple(out) if is_tuple else (out,)
        return out + (args[-1] + 1,) if limited else out

    out = jax.lax.while_loop(step_cond, step_body, state)
    out = out[:-1] if limited else out
    return out if is_tuple else out[0]


def scan(f, init, xs=None, length=None, reverse=False, unroll=1):
    """Loop ``f(carry, x) -> (carry, y)`` over the leading axis of ``xs`` (``jax.lax.scan``)."""
    if not isinstance(unroll, bool) and (not isinstance(unroll, int) or unroll < 1):
        raise ValueError(f"`unroll` must be an positive integer or boolean. Received: unroll={unroll}")
    leaves = jax.tree_util.tree_leaves((init, xs), is_leaf=lambda x: isinstance(x, (KerasTensor, Variable)))
    if any(isinstance(x, KerasTensor) for x in leaves):
        from .region_scan import symbolic_scan
        return symbolic_scan(f, init, xs, reverse=reverse, unroll=unroll)
    init, xs = _refuse_symbolic("scan", init, xs)
    return jax.lax.scan(f, init=init, xs=xs, length=length, reverse=reverse, unroll=unroll)


def associative_scan(f, elems, reverse=False, axis=0):
    """Inclusive scan with an associative ``f`` (``jax.lax.associative_scan``)."""
    (elems,) = _refuse_symbolic("associative_scan", elems)
    return jax.lax.associative_scan(f, elems, reverse, axis)


def map(f, xs):  # noqa: A001 (Keras's name)
    """``f`` applied to each slice of ``xs`` along its leading axis (``jax.lax.map``)."""
    (xs,) = _refuse_symbolic("map", xs)
    return jax.lax.map(f, xs)


def vectorized_map(function, elements):
    """``function`` vectorized over the leading axis of ``elements`` (``jax.vmap``)."""
    (elements,) = _refuse_symbolic("vectorized_map", elements)
    return jax.vmap(function)(elements)


def custom_gradient(f):
    """Decorator: ``f`` returns ``(value, grad_fn)``; JAX uses ``grad_fn`` for its gradient."""
    wrapped = jax.custom_gradient(fun=f)

    def call(*args, **kwargs):
        args, kwargs = _refuse_symbolic("custom_gradient", args, kwargs)
        return wrapped(*args, **kwargs)
    return call


for _n, _f in [("cond", cond), ("switch", switch), ("fori_loop", fori_loop), ("while_loop", while_loop),
               ("scan", scan), ("associative_scan", associative_scan), ("map", map),
               ("vectorized_map", vectorized_map), ("custom_gradient", custom_gradient)]:
    alias(_n, _f, ns="core")
