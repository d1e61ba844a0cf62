"""``kxla.remat`` and ``kxla.RematScope``: Keras 3's rematerialization (gradient checkpointing) API.

``remat(f)`` is ``jax.checkpoint(f)`` on arrays (Keras's JAX backend). On
symbolic tensors inside a traced model, the nodes ``f`` records are marked as
one *remat region*: ``node.meta["remat"]`` holds the ids of the regions the
node lies in, outermost first; the IR text shows it after the layer
(``// dense [remat 0]``, nested ``[remat 0/3]``) and the lowering
(``kxla.remat_lowering``) runs each region's run of nodes under one
``jax.checkpoint``, so the backward pass recomputes them instead of keeping
their activations.

A layer (or ``kxla.Operation``) remembers the innermost ``RematScope`` at its
creation (as Keras) and each of its calls is marked by mode:

* ``"full"``: the whole call (a model created in the scope: its whole graph, with its layers nested);
* ``"activations"``: the layer's ``activation`` only (layers that have one; ``linear`` records no node);
* ``"larger_than"``: calls whose outputs hold more than ``output_size_threshold`` elements
  (unknown dimensions count 1, as Keras);
* ``"list_of_layers"``: layers whose name is in ``layer_names`` (layers only, as Keras).
"""
from __future__ import annotations

import functools
import math
from collections import namedtuple

RematMode = namedtuple("RematMode", ["mode", "output_size_threshold", "layer_names"])
_STACK: list = []


class RematScope:
    """A context of a rematerialization mode: "full", "activations", "larger_than", "list_of_layers" or None."""

    def __init__(self, mode="full", output_size_threshold=1024, layer_names=None):
        if mode not in {"full", "activations", "larger_than", "list_of_layers", None}:
            raise ValueError(f"Invalid mode '{mode}'. Supported modes are: 'full', 'activations', 'larger_than', "
                             "'list_of_layers', or  None.")
        self.mode = mode
        self.output_size_threshold = output_size_threshold
        self.layer_names = layer_names or []
        self._pop_on_exit = False

    def __enter__(self):
        _STACK.append(self)
        self._pop_on_exit = True
        return self

    def __exit__(self, *exc):
        if self._pop_on_exit:
            _STACK.pop()


def any_symbolic(args, kwargs) -> bool:
    """Whether any (nested) argument is a symbolic ``KerasTensor``."""
    from .ops.tracing import KerasTensor
    from .tree import flatten
    return any(isinstance(x, KerasTensor) for x in flatten((list(args), dict(kwargs))))


def current_remat_mode():
    """The innermost ``RematScope``'s mode as a ``RematMode``, or None."""
    if not _STACK:
        return None
    s = _STACK[-1]
    return RematMode(s.mode, s.output_size_threshold, s.layer_names)


# -- marking recorded nodes ----------------------------------------------------------------
class _Region:
    """Marks the nodes a builder records between ``open`` and ``close`` as one remat region."""

    def __init__(self, builder):
        self.builder = builder
        self.start = builder.graph.nodes.last
        self.id = getattr(builder, "_remat_regions", 0)
        builder._remat_regions = self.id + 1

    def close(self) -> int:
        """Mark the nodes recorded since ``open``; returns how many."""
        marked = 0
        for node in reversed(self.builder.graph.nodes):
            if node is self.start:
                break
            node.meta["remat"] = (self.id,) + tuple(node.meta.get("remat", ()))
            marked += 1
        return marked


def _checkpoint_call(fn, args, kwargs):
    """``jax.checkpoint(fn)(*args, **kwargs)`` with only the array leaves traced (flags stay Python)."""
    import jax
    import numpy as np
    leaves, treedef = jax.tree_util.tree_flatten((list(args), dict(kwargs)))
    where = [i for i, x in enumerate(leaves) if isinstance(x, (jax.Array, np.ndarray, np.generic))]

    def body(arrays):
        full = list(leaves)
        for i, a in zip(where, arrays):
            full[i] = a
        a, k = jax.tree_util.tree_unflatten(treedef, full)
        return fn(*a, **k)

    return jax.checkpoint(body)([leaves[i] for i in where])


def _record(f, args, kwargs):
    """Functional construction (symbolic tensors, no trace yet): one call record, replayed (marked) later."""
    import jax

    from .ops.tracing import Builder, CallRecord, KerasTensor

    def is_leaf(x):
        return isinstance(x, KerasTensor)

    leaves = [x for x in jax.tree_util.tree_leaves((args, kwargs), is_leaf=is_leaf) if is_leaf(x)]
    with Builder("shape_probe") as probe:
        mapping = {id(x): probe.input(x.type, f"in{i}") for i, x in enumerate(leaves)}
        p_args, p_kwargs = jax.tree_util.tree_map(lambda x: mapping.get(id(x), x), (args, kwargs),
                                                  is_leaf=is_leaf)
        out = f(*p_args, **p_kwargs)
    record = CallRecord(f, args, kwargs)
    record.attrs = {"remat": True}              # a function, not a layer or op: no Keras config form
    out_leaves, treedef = jax.tree_util.tree_flatten(out, is_leaf=is_leaf)
    record.outputs = [KerasTensor(t.type, history=(record, i)) for i, t in enumerate(out_leaves)]
    return jax.tree_util.tree_unflatten(treedef, record.outputs)


def remat(f):
    """``f`` rematerialized: ``jax.checkpoint(f)`` on arrays; its nodes one remat region in a traced graph.

    Arguments:
      f: a callable (a function, a layer, an activation).

    Returns:
      A callable with ``f``'s signature and values.
    """
    from .ops.tracing import current_builder

    @functools.wraps(f)
    def wrapper(*args, **kwargs):
        if any_symbolic(args, kwargs):
            builder = current_builder()
            if builder is None:
                return _record(wrapper, args, kwargs)
            region = _Region(builder)
            out = f(*args, **kwargs)
            region.close()
            return out
        return _checkpoint_call(f, args, kwargs)

    return wrapper


# -- layers and operations ----------------------------------------------------------------------
def _output_size(outputs) -> int:
    import jax
    return sum(math.prod(d or 1 for d in x.shape)
               for x in jax.tree_util.tree_leaves(outputs) if hasattr(x, "shape"))


def _whole_call(owner, is_layer: bool, outputs) -> bool:
    mode = owner._remat_mode
    if mode.mode == "full":
        return True
    if mode.mode == "list_of_layers":
        return is_layer and owner.name in mode.layer_names
    if mode.mode == "larger_than":
        size = _output_size(outputs)
        return bool(size) and size > mode.output_size_threshold
    return False


def call_with_remat(owner, call, args, kwargs, is_layer: bool = True):
    """``call(*args, **kwargs)`` rematerialized as ``owner``'s creation-time ``RematScope`` says (module doc).

    Arguments:
      owner: the layer / operation (its ``_remat_mode``, ``name``, ``activation``).
      call: the bound method to run.
      is_layer: layers also know "activations" and "list_of_layers" (Keras's ``Layer.rematerialized_call``).
    """
    mode = getattr(owner, "_remat_mode", None)
    if mode is None or mode.mode is None:
        return call(*args, **kwargs)
    if mode.mode == "activations":
        if not is_layer or getattr(owner, "activation", None) is None:
            return call(*args, **kwargs)
        original = owner.activation
        object.__setattr__(owner, "activation", remat(original))
        try:
            return call(*args, **kwargs)
        finally:
            object.__setattr__(owner, "activation", original)
    from .ops.tracing import current_builder
    builder = current_builder()
    if any_symbolic(args, kwargs):
        if builder is None:         # an Operation in functional construction: marked when replayed
            return _record(lambda *a, **k: call_with_remat(owner, call, a, k, is_layer), args, kwargs)
        region = _Region(builder)
        out = call(*args, **kwargs)
        if _whole_call(owner, is_layer, out):
            region.close()
        return out
    if mode.mode == "larger_than":
        import jax
        spec = jax.eval_shape(lambda *a: call(*a, **kwargs), *args)
        if not _whole_call(owner, is_layer, spec):
            return call(*args, **kwargs)
    elif not _whole_call(owner, is_layer, None):
        return call(*args, **kwargs)
    return _checkpoint_call(call, args, kwargs)
