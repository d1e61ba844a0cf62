"""``model(x)`` / ``model(x, training=True)`` on arrays: the traced graph, lowered and jitted once.

Every model kind (Sequential, functional, subclassed, recurrent) is traced to
IR per training mode; calling the model on arrays runs that graph through one
cached ``jax.jit`` per mode (``jit`` itself caches per input shape), never op
by op, never re-traced per call. Weights go to the device once and are reused
until a ``Variable`` changes (``Variable.version``). A graph that updates
state writes it back (BatchNorm moving statistics with ``training=True``,
stateful RNN states always, as Keras's eager call does); a graph that draws
(dropout with ``training=True``, ``kxla.random`` draws written in ``call``)
gets fresh random keys from kxla's seed; the call's ``add_loss`` terms and
regularization penalties become ``model.losses``.
"""
from __future__ import annotations

import jax
import numpy as np

from ..lowering import lower
from ..ops.tracing import Variable


class CallCache:
    """Per model and training mode: the jitted graph and the device weights it last used."""

    def __init__(self, model, mode):
        """``mode``: True, False, or None (model(x) without ``training`` on a functional model whose layers
        keep a recorded ``training=True``: see ``Model._call_mode``)."""
        traced = model.trace(mode)
        training = bool(mode)
        self.traced = traced
        fn = lower(traced.graph)
        p_names = [v.ir_name for v in traced.variables if v.kind == "param"]
        s_names = [v.ir_name for v in traced.variables if v.kind == "state"]
        self.state_vars = [v for v in traced.variables if v.kind == "state"]
        self.n_out, self.n_losses, self.single = traced.n_outputs, traced.n_losses, len(traced.graph.inputs) == 1
        self.random = any(_is_random(n.op) for n in traced.graph.nodes)   # dropout (training), draws in call
        self.training = training
        self.updates = bool(traced.graph.updates)        # BatchNorm in training, stateful RNNs always
        self.in_shapes = [tuple(v.type.shape) for v in traced.graph.inputs]
        n_out = traced.n_outputs
        self.leaf_output = traced.out_treedef == jax.tree_util.tree_structure(0)

        def run(pv, sv, xs, rng):
            key = jax.random.wrap_key_data(rng) if rng is not None else None
            outs, new_state = fn(dict(zip(p_names, pv)), dict(zip(s_names, sv)), list(xs) if not self.single
                                 else [xs], rng=key, training=training)
            new_sv = tuple(new_state[n] for n in s_names) if self.updates else ()
            return tuple(outs[:n_out]), tuple(outs[n_out:]), new_sv

        self.fn = jax.jit(run)
        self.version, self.pv, self.sv, self.values = None, None, None, None
        self.fast, self.tail = None, None
        shape = self.in_shapes[0] if self.single else None
        if self.single and self.leaf_output and not (self.updates or self.random or self.n_losses) and \
                shape and shape[0] is None and None not in shape[1:]:
            # the common call (one array in, one array out, nothing written back): one jitted program
            # returning the array itself, reached by ``fast_call`` with a tuple compare of the shape
            self.tail = shape[1:]
            self.fast = jax.jit(lambda pv, sv, x: fn(dict(zip(p_names, pv)), dict(zip(s_names, sv)), [x],
                                                     rng=None, training=training)[0][0])

    def weights(self):
        """Device tuples of params and state, refreshed only when a Variable changed."""
        if self.version != Variable.version:
            variables = self.traced.variables
            values = [v._value for v in variables]
            if self.values is None or any(a is not b for a, b in zip(values, self.values)):
                arrays = [a if isinstance(a, jax.Array) else jax.device_put(a) for a in values]
                self.pv = tuple(a for v, a in zip(variables, arrays) if v.kind == "param")
                self.sv = tuple(a for v, a in zip(variables, arrays) if v.kind == "state")
                self.values = values
            self.version = Variable.version
        return self.pv, self.sv


def lean_call(cache):
    """``model(x)`` with no keyword arguments, as few Python steps as possible: a closure kept in the
    model's ``__dict__`` (``_fast_call``) that returns None when the call needs the general path."""
    fast, tail, ndarray, array = cache.fast, cache.tail, np.ndarray, jax.Array
    from ..ops.tracing import _local

    def call(x):
        if (x.__class__ is not ndarray and not isinstance(x, array)) or x.shape[1:] != tail or \
                getattr(_local, "builders", None):
            return None
        if cache.version != Variable.version:
            cache.weights()
        return fast(cache.pv, cache.sv, x)
    return call


def fast_call(model, x, training: bool):
    """``model(x)`` on one array of the traced feature shape, through the cached single-array program;
    None when the call needs the general path (first call, other shapes, state updates, losses ...)."""
    caches = model.__dict__.get("_call_caches")
    cache = caches.get(training) if caches is not None else None
    if cache is None or cache.fast is None or not isinstance(x, (np.ndarray, jax.Array)) or \
            x.shape[1:] != cache.tail or not x.shape:
        return None
    if cache.version != Variable.version:
        cache.weights()
    return cache.fast(cache.pv, cache.sv, x)


def _is_random(op: str) -> bool:
    from ..ir import get_op
    return get_op(op).effect == "random"


def call_on_arrays(model, x, training):
    """The model's outputs on array inputs (the structure ``call`` returns), as jax arrays. ``training``:
    the trace mode (``Model._call_mode``)."""
    caches = model.__dict__.setdefault("_call_caches", {})
    cache = caches.get(training)
    if cache is None:                 # cleared by model._invalidate (layers added or popped)
        cache = caches[training] = CallCache(model, training)
        if training == model._call_mode(None) and cache.fast is not None and cache.tail:
            model.__dict__["_fast_call"] = lean_call(cache)
    pv, sv = cache.weights()
    xs = x if cache.single else tuple(jax.tree_util.tree_leaves(x))
    _check_shapes(model, cache.in_shapes, [xs] if cache.single else xs)
    if cache.fast is not None:             # the same program ``fast_call`` runs next time: compiled once
        return cache.fast(pv, sv, xs)
    rng = None
    if cache.random:
        from ..seeding import next_seed
        rng = jax.random.key_data(jax.random.key(next_seed()))
    outs, losses, new_sv = cache.fn(pv, sv, xs, rng)
    if new_sv:
        for var, value in zip(cache.state_vars, new_sv):
            var._value = value
        cache.values = [v._value for v in cache.traced.variables]
        cache.sv, cache.version = new_sv, Variable.version
    if cache.n_losses:
        model._call_losses = list(losses)
    if cache.leaf_output:
        return outs[0]
    return jax.tree_util.tree_unflatten(cache.traced.out_treedef, list(outs))


class OtherShape(Exception):
    """The arrays' shape differs from the traced graph's in a non-batch dimension (e.g. a sequence length)."""


def _check_shapes(model, expected, arrays):
    """A fixed batch size must match (a clear error); any other difference raises ``OtherShape``, and the
    caller runs the layers one by one on the arrays, as Keras's eager call does (the cached graph is
    specialised to the traced shapes: an unrolled RNN would silently drop the extra steps)."""
    for i, (want, a) in enumerate(zip(expected, arrays)):
        got = a.shape
        if len(got) == len(want) and want and want[0] is not None and got[0] != want[0]:
            raise ValueError(f"Input {i} of model {model.name!r} is incompatible with the data: expected "
                             f"shape {tuple(want)}, got {tuple(got)} (the model was built for batch size "
                             f"{want[0]})")
        if len(got) != len(want) or any(w is not None and w != g for w, g in zip(want, got)):
            raise OtherShape(i)


def is_array_input(x) -> bool:
    """True for arrays (numpy, jax) or lists / tuples / dicts of them (no symbolic tensors)."""
    if isinstance(x, (np.ndarray, jax.Array)):
        return True
    from ..ops.tracing import KerasTensor
    leaves = jax.tree_util.tree_leaves(x, is_leaf=lambda t: isinstance(t, (KerasTensor, Variable)))
    return bool(leaves) and all(isinstance(t, (np.ndarray, jax.Array)) for t in leaves)

