"""RNN (Keras 3): runs any cell over the time axis; StackedRNNCells chains cells in one step.

A lone built-in cell (SimpleRNNCell, LSTMCell, GRUCell with activations the
recurrent ops know) runs as ONE recurrent IR node, exactly as SimpleRNN /
LSTM / GRU do. Any other cell (custom cells, StackedRNNCells) is unrolled
over the static number of steps: each step calls the cell on
``sequences[:, t]`` and, under a mask, keeps the previous states (and
output) at masked steps, as Keras's ``backend.rnn``. Over a time axis of
unknown length the cell's call is traced once into the region of one
``scan`` node instead (``rnn_scan.scan_cell``; Keras's ``lax.scan`` path). ``stateful=True`` keeps
the final states in non-trainable state variables of the fixed batch size
(updated by every call, training or not; ``reset_states()`` zeroes them).
"""
from __future__ import annotations

import jax
import numpy as np

from ... import ops
from ...ops.rnn import rnn_activation_names
from ...ops.tracing import KerasTensor, Variable
from ... import activations
from ..layer import InputSpec, Layer
from .cells import GRUCell, LSTMCell, SimpleRNNCell
from .rnn_scan import masked_step_output, scan_cell
from .time_distributed import _serialize, deserialize_layer

_FUSED = {SimpleRNNCell: ops.simple_rnn, LSTMCell: ops.lstm, GRUCell: ops.gru}


def _is_leaf(x):
    return isinstance(x, (KerasTensor, Variable)) or hasattr(x, "shape")


def _flat(tree):
    return jax.tree_util.tree_flatten(tree, is_leaf=_is_leaf)


def _sizes(state_size):
    return list(state_size) if isinstance(state_size, (list, tuple)) else [state_size]


def _state_shape(size) -> tuple:
    """One state's shape after the batch axis: an int, or a tuple for a multi-axis state."""
    return tuple(int(d) for d in size) if isinstance(size, (list, tuple)) else (int(size),)


def _is_shape(x) -> bool:
    return isinstance(x, (list, tuple)) and all(d is None or isinstance(d, int) for d in x)


def _first(sequences):
    """The first tensor of a (possibly nested) structure of sequences: it gives the batch and the steps."""
    return _flat(sequences)[0][0]


def _map(fn, tree):
    return jax.tree_util.tree_map(fn, tree, is_leaf=_is_leaf)


class StackedRNNCells(Layer):
    """Several cells as one: each step runs them in turn (``keras.layers.StackedRNNCells``)."""

    def __init__(self, cells, **kwargs):
        super().__init__(**kwargs)
        for cell in cells:
            if not hasattr(cell, "call"):
                raise ValueError(f"All cells must have a `call` method. Received cell without a `call` method: "
                                 f"{cell}")
            if not hasattr(cell, "state_size"):
                raise ValueError(f"All cells must have a `state_size` attribute. Received cell without a "
                                 f"`state_size`: {cell}")
        self.cells = list(cells)

    @property
    def state_size(self):
        return [c.state_size for c in self.cells]

    @property
    def output_size(self):
        last = self.cells[-1]
        if getattr(last, "output_size", None) is not None:
            return last.output_size
        return _sizes(last.state_size)[0]

    def get_initial_state(self, batch_size=None):
        return [cell.get_initial_state(batch_size=batch_size) if hasattr(cell, "get_initial_state") else
                [np.zeros((batch_size,) + _state_shape(d), "float32") for d in _sizes(cell.state_size)]
                for cell in self.cells]

    def build(self, input_shape):
        for cell in self.cells:
            if isinstance(cell, Layer) and not cell.built:
                cell.build(input_shape)
                cell.built = True
            out = getattr(cell, "output_size", None) or _sizes(cell.state_size)[0]
            input_shape = (input_shape[0], out)
        self.built = True

    def call(self, inputs, states, training=False):
        new_states = []
        for cell, cell_states in zip(self.cells, states):
            nested = isinstance(cell_states, (list, tuple))
            cell_states = list(cell_states) if nested else [cell_states]
            kwargs = {"training": training} if getattr(cell, "_call_has_training", False) else {}
            inputs, cell_states = cell(inputs, cell_states, **kwargs)
            if not isinstance(cell_states, (list, tuple)):
                cell_states = [cell_states]
            new_states.append(cell_states[0] if len(cell_states) == 1 and not nested else list(cell_states))
        return inputs, new_states

    def get_config(self):
        return {**super().get_config(), "cells": [_serialize(c) for c in self.cells]}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        return cls([deserialize_layer(c) for c in config.pop("cells")], **config)


def _fusable(cell) -> bool:
    if type(cell) not in _FUSED:
        return False
    names = [activations.serialize(cell.activation)]
    if not isinstance(cell, SimpleRNNCell):
        names.append(activations.serialize(cell.recurrent_activation))
    return all(n in rnn_activation_names() for n in names)


def _cells_of(cell):
    return list(cell.cells) if isinstance(cell, StackedRNNCells) else [cell]


class RNN(Layer):
    """Runs ``cell`` over time: one op, unrolled, or one ``scan`` over an unknown length (``keras.layers.RNN``).

    Arguments: cell (a cell or a list of cells, stacked), return_sequences,
    return_state, go_backwards, stateful, unroll (a cell that is not fused is
    unrolled over a known length; over an unknown one ``unroll=True`` is
    Keras's error), zero_output_for_mask. Call:
    ``layer(sequences, initial_state=None, mask=None, training=None)``.
    """

    def __init__(self, cell, return_sequences=False, return_state=False, go_backwards=False, stateful=False,
                 unroll=False, zero_output_for_mask=False, **kwargs):
        if isinstance(cell, (list, tuple)):
            cell = StackedRNNCells(cell)
        if not hasattr(cell, "call"):
            raise ValueError(f"Argument `cell` should have a `call` method. Received: cell={cell}")
        if not hasattr(cell, "state_size"):
            raise ValueError("The RNN cell should have a `state_size` attribute (single integer or list of "
                             f"integers, one integer per RNN state). Received: cell={cell}")
        super().__init__(**kwargs)
        self.cell = cell
        self.return_sequences, self.return_state = return_sequences, return_state
        self.go_backwards, self.stateful, self.unroll = go_backwards, stateful, unroll
        self.zero_output_for_mask = zero_output_for_mask
        self.states = None
        self.supports_masking = True
        self.input_spec = InputSpec(min_ndim=3)

    @property
    def state_size(self):
        return self.cell.state_size

    def build(self, sequences_shape, initial_state_shape=None):
        nested = not _is_shape(sequences_shape)          # a structure of sequences (Keras's nested inputs)
        step_shape = jax.tree_util.tree_map(lambda s: (s[0],) + tuple(s[2:]), sequences_shape, is_leaf=_is_shape)
        if nested:
            sequences_shape = jax.tree_util.tree_leaves(sequences_shape, is_leaf=_is_shape)[0]
        if isinstance(self.cell, Layer) and not self.cell.built:
            self.cell.build(step_shape)
            self.cell.built = True
            for w in self.cell.weights:           # Keras's paths (rnn/lstm_cell/kernel): unique graph names
                if not w.path.startswith(f"{self.name}/"):
                    w.path = f"{self.name}/{w.path}"
        if self.stateful and self.states is None:
            if sequences_shape[0] is None:
                raise ValueError("When using `stateful=True` in a RNN, the batch size must be static. Found "
                                 f"dynamic batch size: sequence.shape={tuple(sequences_shape)}")
            leaves, treedef = _flat(self.get_initial_state(sequences_shape[0]))
            self.states = jax.tree_util.tree_unflatten(treedef, [
                Variable(np.asarray(v, self.dtype), name="rnn_state", path=f"{self.name}/rnn_state_{i}",
                         kind="state", initializer_name="zeros") for i, v in enumerate(leaves)])
        self.built = True

    def _maybe_build(self, args):
        first = args[0] if args else None
        if not self.built and isinstance(first, (dict, list, tuple)) and not all(_is_leaf(x) for x in first):
            self.build(jax.tree_util.tree_map(lambda t: tuple(t.shape), first, is_leaf=_is_leaf))   # nested
            self.built = True
            return
        super()._maybe_build(args)

    def get_initial_state(self, batch_size):
        fn = getattr(self.cell, "get_initial_state", None)
        if fn is not None:
            state = fn(batch_size=batch_size)
            return list(state) if isinstance(state, (list, tuple)) else [state]
        return [np.zeros((batch_size,) + _state_shape(d), self.dtype) for d in _sizes(self.state_size)]

    def reset_states(self):
        self.reset_state()

    def reset_state(self):
        """Zero the stateful layer's states."""
        for v in _flat(self.states)[0] if self.states is not None else []:
            v.assign(np.zeros(v.shape, v.dtype))

    def _zero_states(self, sequences):
        """Zero initial states with the batch of ``sequences`` (symbolic batch allowed)."""
        step = _first(sequences)[:, 0]
        column = ops.zeros_like(ops.reshape(step, [-1, int(np.prod(step.shape[1:]))])[:, :1])      # (batch, 1)
        leaves, treedef = _flat(self.get_initial_state(1))
        zeros = []
        for v in leaves:
            rest = [int(d) for d in np.shape(v)[1:]]
            zeros.append(ops.tile(ops.reshape(column, [-1] + [1] * len(rest)), [1] + rest))
        return jax.tree_util.tree_unflatten(treedef, zeros)

    def _initial(self, sequences, initial_state):
        if initial_state is None:
            return self.states if self.stateful else self._zero_states(sequences)
        structure = self.states if self.stateful else self.get_initial_state(1)
        given = list(initial_state) if isinstance(initial_state, (list, tuple)) else [initial_state]
        leaves, treedef = _flat(structure)
        given_leaves = _flat(given)[0]
        if len(given_leaves) != len(leaves):
            raise ValueError(f"Layer {self.name!r}: initial_state has {len(given_leaves)} tensor(s), the cell has "
                             f"{len(leaves)} state(s)")
        return jax.tree_util.tree_unflatten(treedef, given_leaves)

    def call(self, sequences, initial_state=None, mask=None, training=False):
        if isinstance(mask, (list, tuple)):
            mask = mask[0]
        if mask is not None and mask.dtype != "bool":
            mask = ops.cast(mask, "bool")
        batch = _first(sequences).shape[0]
        if self.stateful and batch is not None and _flat(self.states)[0][0].shape[0] != batch:
            raise ValueError("If an RNN is stateful, the batch size of the input sequences must be the same as "
                             f"the batch size of the initial state. - Expected batch size: "
                             f"{_flat(self.states)[0][0].shape[0]} - Received batch size: {batch}")
        if _fusable(self.cell) and _is_leaf(sequences) and len(sequences.shape) == 3:
            states = None if initial_state is None and not self.stateful else self._initial(sequences, initial_state)
            output, states = self._fused(sequences, states, mask, training)
        else:
            output, states = self._unrolled(sequences, self._initial(sequences, initial_state), mask, training)
        if self.stateful:
            for var, value in zip(_flat(self.states)[0], _flat(states)[0]):
                var.assign(value)
        if self.return_state:
            return (output, *states)
        return output

    def _fused(self, sequences, states, mask, training):
        cell = self.cell
        x, rec_mask = sequences, None
        if training and 0.0 < cell.dropout < 1.0:
            x = ops.dropout(x, cell.dropout, noise_shape=(None, 1, x.shape[-1]))
        if training and 0.0 < cell.recurrent_dropout < 1.0:
            rec_mask = ops.dropout(ops.tile(ops.ones_like(sequences[:, 0, :1]), [1, cell.units]),
                                   cell.recurrent_dropout)
        attrs = {"activation": activations.serialize(cell.activation)}
        if not isinstance(cell, SimpleRNNCell):
            attrs["recurrent_activation"] = activations.serialize(cell.recurrent_activation)
        if isinstance(cell, GRUCell):
            attrs["reset_after"] = cell.reset_after
        flat = _flat(states)[0] if states is not None else None
        outs = _FUSED[type(cell)](x, cell.kernel, cell.recurrent_kernel, bias=cell.bias, mask=mask,
                                  initial_state=flat, recurrent_dropout_mask=rec_mask,
                                  return_sequences=self.return_sequences, go_backwards=self.go_backwards,
                                  zero_output_for_mask=self.zero_output_for_mask, **attrs)
        return outs[0], list(outs[1:])

    def _unrolled(self, sequences, states, mask, training):
        steps = _first(sequences).shape[1]
        if steps is None:
            if self.unroll:
                raise ValueError("Cannot unroll a RNN if the time dimension is undefined. \n- If using a "
                                 "Sequential model, specify the time dimension by passing an `Input()` as your "
                                 "first layer.\n- If using the functional API, specify the time dimension by "
                                 "passing a `shape` or `batch_shape` argument to your `Input()`.")
            return scan_cell(self, sequences, states, mask, training)
        for cell in _cells_of(self.cell):
            for reset in ("reset_dropout_mask", "reset_recurrent_dropout_mask"):
                getattr(cell, reset, lambda: None)()
        kwargs = {"training": training} if getattr(self.cell, "_call_has_training", False) else {}
        flat, treedef = _flat(states)
        outputs, prev = [], None
        for t in (range(steps - 1, -1, -1) if self.go_backwards else range(steps)):
            step = _map(lambda seq: seq[:, t], sequences)
            out, new = self.cell(step, jax.tree_util.tree_unflatten(treedef, flat), **kwargs)
            new_flat = _flat(new if isinstance(new, (list, tuple)) else [new])[0]
            if mask is not None:
                keep = ops.expand_dims(mask[:, t], -1)
                fallback = self._masked_output(out, prev, jax.tree_util.tree_unflatten(treedef, flat))
                new_flat = [ops.where(_expand(keep, n), n, o) for n, o in zip(new_flat, flat)]
                out = jax.tree_util.tree_map(lambda o, f: ops.where(_expand(keep, o), o, f), out, fallback,
                                             is_leaf=_is_leaf)
            flat, prev = new_flat, out
            outputs.append(out)
        for cell in _cells_of(self.cell):
            for reset in ("reset_dropout_mask", "reset_recurrent_dropout_mask"):
                getattr(cell, reset, lambda: None)()
        if self.return_sequences:
            output = jax.tree_util.tree_map(lambda *steps_: ops.stack(list(steps_), axis=1), *outputs,
                                            is_leaf=_is_leaf)
        else:
            output = outputs[-1]
        return output, jax.tree_util.tree_unflatten(treedef, flat)

    def _masked_output(self, out, prev, prev_states):
        """What a masked step outputs, as Keras's ``backend.rnn``: with ``unroll=True`` the previous output
        (zeros at the first step); otherwise (its ``lax.scan`` path) zeros with ``zero_output_for_mask``,
        else the previous first state (``states[-1][0]`` when states nest per cell). A nested output, which
        Keras's scan path cannot mask, keeps the previous output (zeros first)."""
        zeros = _map(ops.zeros_like, out)
        if self.unroll or len(_flat(out)[0]) != 1:
            return zeros if prev is None else prev
        if self.zero_output_for_mask:
            return zeros
        return masked_step_output(self, out, prev_states)

    def compute_mask(self, inputs, mask=None):
        if isinstance(mask, (list, tuple)):
            mask = mask[0]
        output_mask = mask if self.return_sequences else None
        if self.return_state:
            return [output_mask] + [None] * len(_flat(self.get_initial_state(1))[0])
        return output_mask

    def get_config(self):
        return {**super().get_config(), "return_sequences": self.return_sequences,
                "return_state": self.return_state, "go_backwards": self.go_backwards, "stateful": self.stateful,
                "unroll": self.unroll, "zero_output_for_mask": self.zero_output_for_mask,
                "cell": _serialize(self.cell)}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        return cls(deserialize_layer(config.pop("cell")), **config)


def _expand(keep, like):
    """A (batch, 1) step mask reshaped to broadcast against ``like``."""
    extra = len(like.shape) - 2
    return keep if extra <= 0 else ops.reshape(keep, [-1] + [1] * (extra + 1))
