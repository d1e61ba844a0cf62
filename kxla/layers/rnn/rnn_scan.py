"""RNN(cell) over a time axis of unknown length: the cell's call traced once into a ``scan`` region.

``kxla.layers.RNN`` unrolls a cell it cannot fuse when the number of steps is
known; when it is not (``keras.Input((None, features))``), ``scan_cell``
traces ``cell.call`` once on symbolic step inputs and states into the body of
one ``scan`` node (``kxla.ops.region_scan``), lowered to ``jax.lax.scan`` —
what Keras's JAX backend runs for ``unroll=False``. The semantics are Keras's
``backend.rnn`` scan branch: nested inputs and states (lists, tuples, dicts)
flatten into the region's inputs; under a mask a masked step keeps the
previous states and outputs ``states[0]`` (``states[-1][0]`` when the states
are nested per cell), or zeros with ``zero_output_for_mask``; with
``go_backwards`` the step outputs come in processing order and the last
output is the one of the first time step. In training, the built-in cells'
dropout masks are drawn once per sequence before the loop (as Keras's
``_maybe_config_dropout_masks``) and enter the body as operands; a random op
inside the cell's call (``ops.dropout``, a Dropout sublayer) draws a new key
at every step.
"""
from __future__ import annotations

import jax
import numpy as np

from ... import ops
from ...ir import TensorType
from ...ops.region_scan import RegionBuilder, record_scan
from ...ops.tracing import KerasTensor, Variable, current_builder


def _is_leaf(x):
    return isinstance(x, (KerasTensor, Variable)) or hasattr(x, "shape")


def _flat(tree):
    return jax.tree_util.tree_flatten(tree, is_leaf=_is_leaf)


def _expand(keep, like):
    """A (batch,) step mask reshaped to broadcast against ``like`` (batch, ...)."""
    return ops.reshape(keep, [-1] + [1] * (len(like.shape) - 1))


def scan_cell(layer, sequences, states, mask, training):
    """``(output, states)`` of ``layer`` (an RNN) over ``sequences`` with one ``scan`` node."""
    builder = current_builder()
    if builder is None:
        raise ValueError(f"Layer {layer.name!r}: a sequence of unknown length must be symbolic")
    seq_leaves, seq_tree = _flat(sequences)
    state_leaves, state_tree = _flat(states)
    state_values = [builder.value_of(s) for s in state_leaves]
    cells = list(getattr(layer.cell, "cells", [layer.cell]))
    _reset_masks(cells)
    if training:
        tensors = [KerasTensor(v.type, value=v, builder=builder) for v in state_values]
        _predraw_masks(layer.cell, cells, seq_leaves, jax.tree_util.tree_unflatten(state_tree, tensors))
    kwargs = {"training": training} if getattr(layer.cell, "_call_has_training", False) else {}
    region = RegionBuilder(builder, "body", what=f"the cell of RNN layer {layer.name!r} (a scan body)")
    with region:
        x_in = [region.input(TensorType((t.shape[0],) + tuple(t.shape[2:]), t.dtype), f"x{i}")
                for i, t in enumerate(seq_leaves)]
        mask_in = region.input(TensorType((mask.shape[0],), "bool"), "mask") if mask is not None else None
        s_in = [region.input(v.type, f"state{i}") for i, v in enumerate(state_values)]
        step_states = jax.tree_util.tree_unflatten(state_tree, s_in)
        out, new = layer.cell(jax.tree_util.tree_unflatten(seq_tree, x_in), step_states, **kwargs)
        new_leaves = _flat(new if isinstance(new, (list, tuple)) else [new])[0]
        if len(new_leaves) != len(s_in):
            raise ValueError(f"Layer {layer.name!r}: the cell returned {len(new_leaves)} state tensor(s), its "
                             f"state_size describes {len(s_in)}")
        out_leaves, out_tree = _flat(out)
        if mask_in is not None:
            new_leaves, out_leaves = _masked(layer, mask_in, s_in, step_states, new_leaves, out_leaves)
        body = region.finish(list(new_leaves) + list(out_leaves))
    _reset_masks(cells)
    xs = list(seq_leaves) + ([mask] if mask is not None else [])
    results = record_scan(builder, body, xs, state_values, region.captures, axis=1, reverse=layer.go_backwards)
    final, ys = results[:len(s_in)], results[len(s_in):]
    if layer.return_sequences:
        ys = [ops.flip(y, axis=1) if layer.go_backwards else y for y in ys]
    else:
        ys = [y[:, 0] if layer.go_backwards else y[:, -1] for y in ys]
    return jax.tree_util.tree_unflatten(out_tree, ys), jax.tree_util.tree_unflatten(state_tree, final)


def _masked(layer, keep, s_in, step_states, new_leaves, out_leaves):
    """Keras's masked scan step: masked rows keep their states and output ``states[0]`` (or zeros)."""
    for i, (n, o) in enumerate(zip(new_leaves, s_in)):
        if tuple(n.shape[1:]) != tuple(o.shape[1:]):
            raise ValueError(f"Layer {layer.name!r}: the cell's new state {i} has shape {n.shape}, its state "
                             f"{o.shape}; a masked step keeps the previous state, so they must match")
    new_leaves = [ops.where(_expand(keep, n), n, o) for n, o in zip(new_leaves, s_in)]
    if len(out_leaves) != 1:
        raise ValueError(f"Layer {layer.name!r}: a mask with a cell returning a nested output "
                         f"({len(out_leaves)} tensors) is not supported (Keras's scan keeps one previous output)")
    (out,) = out_leaves
    fallback = ops.zeros_like(out) if layer.zero_output_for_mask else masked_step_output(layer, out, step_states)
    return new_leaves, [ops.where(_expand(keep, out), out, fallback)]


def masked_step_output(layer, out, states):
    """Keras's scan rule for a masked step's output: the previous first state (``states[-1][0]`` when the
    states nest per cell), which must have the output's shape."""
    first = states[0] if isinstance(states, (list, tuple)) else states
    if isinstance(first, (list, tuple, dict)):
        first = states[-1][0]
    if tuple(first.shape[1:]) != tuple(out.shape[1:]):
        raise ValueError(f"Layer {layer.name!r}: under a mask a masked step outputs the previous first state "
                         f"(Keras's rule), of shape {tuple(first.shape)}, but the cell's output has shape "
                         f"{tuple(out.shape)}; pass zero_output_for_mask=True")
    return first


def _reset_masks(cells):
    for cell in cells:
        for reset in ("reset_dropout_mask", "reset_recurrent_dropout_mask"):
            getattr(cell, reset, lambda: None)()


def _predraw_masks(cell, cells, seq_leaves, states):
    """Draw the built-in cells' dropout masks outside the loop (once per sequence, as Keras)."""
    step = seq_leaves[0][:, 0]
    stacked = cell is not cells[0] or getattr(cell, "cells", None) is not None
    per_cell = list(states) if stacked else [states]
    for k, (c, s) in enumerate(zip(cells, per_cell)):
        first_state = _flat(s)[0][0]
        if hasattr(c, "get_dropout_mask") and getattr(c, "dropout", 0) > 0:
            c.get_dropout_mask(step if k == 0 else _zeros(step, _width(cells[k - 1])))
        if hasattr(c, "get_recurrent_dropout_mask") and getattr(c, "recurrent_dropout", 0) > 0:
            c.get_recurrent_dropout_mask(first_state)


def _width(cell) -> int:
    size = getattr(cell, "output_size", None) or cell.state_size
    size = size[0] if isinstance(size, (list, tuple)) else size
    return int(size)


def _zeros(step, width):
    """Zeros of shape (batch, width) with the (possibly unknown) batch of ``step``."""
    column = ops.zeros_like(ops.reshape(step, [-1, int(np.prod(step.shape[1:]))])[:, :1])
    return ops.tile(column, [1, width])
