"""``BaseRNN``: what SimpleRNN, LSTM and GRU share — Keras 3 arguments, weights, masks, dropout, states.

Each subclass says how many gates it has (``gates``), how many states
(``n_states``) and which op runs it (``op``: ``kxla.ops.simple_rnn``,
``lstm`` or ``gru``). A call records ONE recurrent node in the IR (plus an
optional ``dropout`` node on the inputs and one for the recurrent dropout
mask in training), lowered to one ``jax.lax.scan``.
"""
from __future__ import annotations

import numpy as np

from ... import activations, constraints, initializers, ops, regularizers
from ...ops.rnn import rnn_activation_names
from ...ops.tracing import Variable
from ..layer import InputSpec, Layer


def stateful_variables(layer, batch_size, sizes) -> list:
    """Zero state Variables ``(batch_size, size)`` of a ``stateful=True`` recurrent layer (graph state).

    As in Keras they are not among ``layer.weights`` (so ``get_weights`` stays
    Keras's); traced graphs read them as state and write the final states back.
    """
    if batch_size is None:
        raise ValueError("When using `stateful=True` in a RNN, the batch size must be static: give the input "
                         "a fixed batch size (e.g. kxla.Input(shape, batch_size=32)).")
    return [Variable(np.zeros((batch_size, s), layer.dtype), name="rnn_state", path=f"{layer.name}/rnn_state_{i}",
                     kind="state", initializer_name="zeros") for i, s in enumerate(sizes)]


def check_stateful_batch(layer, sequences) -> None:
    expected = layer.states[0].shape[0]
    if sequences.shape[0] is not None and sequences.shape[0] != expected:
        raise ValueError("If an RNN is stateful, the batch size of the input sequences must be the same as the "
                         f"batch size of the initial state. - Expected batch size: {expected} - Received batch "
                         f"size: {sequences.shape[0]}")


def _activation_name(value, what: str, layer: str) -> str:
    name = activations.serialize(activations.get(value))
    if name not in rnn_activation_names():
        raise ValueError(f"{layer}: {what}={value!r} is not supported by kxla's recurrent ops; use one of "
                         f"{rnn_activation_names()}")
    return name


class BaseRNN(Layer):
    """Keras 3 recurrent-layer arguments on top of one kxla recurrent op (see subclasses)."""

    gates = 1
    n_states = 1

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal",
                 bias_initializer="zeros", kernel_regularizer=None, recurrent_regularizer=None,
                 bias_regularizer=None, activity_regularizer=None, kernel_constraint=None,
                 recurrent_constraint=None, bias_constraint=None, dropout=0.0, recurrent_dropout=0.0,
                 seed=None, return_sequences=False, return_state=False, go_backwards=False, stateful=False,
                 unroll=False, zero_output_for_mask=False, **kwargs):
        kwargs.pop("use_cudnn", None)           # accepted for Keras compatibility; XLA picks the kernel
        kwargs.pop("implementation", None)
        kwargs.pop("time_major", None)
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        cls = type(self).__name__
        if not isinstance(units, int) or isinstance(units, bool) or units <= 0:
            raise ValueError(f"{cls}: units must be a positive integer, got {units!r}")
        self.units = units
        self.activation = activations.get(activation)
        self._activation_name = _activation_name(activation, "activation", cls)
        self.recurrent_activation = activations.get(recurrent_activation)
        self._recurrent_activation_name = _activation_name(recurrent_activation, "recurrent_activation", cls)
        self.use_bias = bool(use_bias)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.recurrent_initializer = initializers.get(recurrent_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.recurrent_regularizer = regularizers.get(recurrent_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.recurrent_constraint = constraints.get(recurrent_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self.dropout = min(1.0, max(0.0, float(dropout)))
        self.recurrent_dropout = min(1.0, max(0.0, float(recurrent_dropout)))
        self.seed = seed
        self.return_sequences = bool(return_sequences)
        self.return_state = bool(return_state)
        self.go_backwards = bool(go_backwards)
        self.stateful = bool(stateful)
        self.states = None
        self.unroll = bool(unroll)
        self.zero_output_for_mask = bool(zero_output_for_mask)
        self.supports_masking = True
        self.input_spec = InputSpec(ndim=3)

    # -- weights ---------------------------------------------------------------------------
    def _bias_shape(self):
        return (self.gates * self.units,)

    def _bias_initializer(self):
        return self.bias_initializer

    def build(self, sequences_shape, initial_state_shape=None):
        in_dim = sequences_shape[-1]
        if in_dim is None:
            raise ValueError(f"the last dimension of the input to {type(self).__name__} must be known, "
                             f"got {sequences_shape}")
        width = self.gates * self.units
        self.kernel = self.add_weight(shape=(in_dim, width), initializer=self.kernel_initializer,
                                      regularizer=self.kernel_regularizer, constraint=self.kernel_constraint,
                                      name="kernel")
        self.recurrent_kernel = self.add_weight(shape=(self.units, width),
                                                initializer=self.recurrent_initializer,
                                                regularizer=self.recurrent_regularizer,
                                                constraint=self.recurrent_constraint, name="recurrent_kernel")
        self.bias = self.add_weight(shape=self._bias_shape(), initializer=self._bias_initializer(),
                                    regularizer=self.bias_regularizer, constraint=self.bias_constraint,
                                    name="bias") if self.use_bias else None
        self.input_spec = InputSpec(ndim=3, axes={-1: in_dim})
        if self.stateful and self.states is None:
            self.states = stateful_variables(self, sequences_shape[0], [self.units] * self.n_states)
        self.built = True

    def reset_states(self):
        """Zero the states a ``stateful=True`` layer carries between batches."""
        for v in self.states or []:
            v.assign(np.zeros(v.shape, v.dtype))

    reset_state = reset_states

    # -- calling -----------------------------------------------------------------------------
    def _op_attrs(self) -> dict:
        return {"activation": self._activation_name}

    def call(self, sequences, initial_state=None, mask=None, training=False):
        if initial_state is not None:
            initial_state = list(initial_state) if isinstance(initial_state, (list, tuple)) else [initial_state]
            if len(initial_state) != self.n_states:
                raise ValueError(f"Layer {self.name!r} ({type(self).__name__}) expects {self.n_states} initial "
                                 f"state tensor(s) of shape (batch, {self.units}), got {len(initial_state)}")
        if mask is not None:
            if isinstance(mask, (list, tuple)):
                mask = mask[0]
            if mask is not None and mask.dtype != "bool":
                mask = ops.cast(mask, "bool")
        x = sequences
        rec_mask = None
        if training and 0.0 < self.dropout:
            # one mask per sequence, the same at every step (Keras's DropoutRNNCell)
            x = ops.dropout(x, self.dropout, noise_shape=(None, 1, x.shape[-1]))
        if training and 0.0 < self.recurrent_dropout:
            ones = ops.tile(ops.ones_like(sequences[:, 0, :1]), [1, self.units])
            rec_mask = ops.dropout(ones, self.recurrent_dropout)
        if self.stateful:
            check_stateful_batch(self, sequences)
            if initial_state is None:
                initial_state = list(self.states)
        outs = self.op(x, self.kernel, self.recurrent_kernel, bias=self.bias, mask=mask,
                       initial_state=initial_state, recurrent_dropout_mask=rec_mask,
                       return_sequences=self.return_sequences, go_backwards=self.go_backwards,
                       zero_output_for_mask=self.zero_output_for_mask, unroll=self.unroll, **self._op_attrs())
        if self.stateful:
            for var, value in zip(self.states, outs[1:]):
                var.assign(value)
        if self.return_state:
            return tuple(outs)
        return outs[0]

    def compute_mask(self, inputs, mask=None):
        if isinstance(mask, (list, tuple)):
            mask = mask[0]
        output_mask = mask if self.return_sequences else None
        if self.return_state:
            return [output_mask] + [None] * self.n_states
        return output_mask

    def compute_output_shape(self, sequences_shape, initial_state_shape=None):
        batch, time = sequences_shape[0], sequences_shape[1]
        out = (batch, time, self.units) if self.return_sequences else (batch, self.units)
        if self.return_state:
            return (out,) + ((batch, self.units),) * self.n_states
        return out

    def get_initial_state(self, batch_size):
        """Zero states, as numpy arrays of shape (batch_size, units)."""
        import numpy as np
        return [np.zeros((batch_size, self.units), self.dtype) for _ in range(self.n_states)]

    def get_config(self):
        config = {
            "units": self.units,
            "activation": activations.serialize(self.activation),
            "recurrent_activation": activations.serialize(self.recurrent_activation),
            "use_bias": self.use_bias,
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
            "recurrent_initializer": initializers.serialize(self.recurrent_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
            "kernel_regularizer": regularizers.serialize(self.kernel_regularizer),
            "recurrent_regularizer": regularizers.serialize(self.recurrent_regularizer),
            "bias_regularizer": regularizers.serialize(self.bias_regularizer),
            "kernel_constraint": constraints.serialize(self.kernel_constraint),
            "recurrent_constraint": constraints.serialize(self.recurrent_constraint),
            "bias_constraint": constraints.serialize(self.bias_constraint),
            "dropout": self.dropout,
            "recurrent_dropout": self.recurrent_dropout,
            "seed": self.seed,
            "return_sequences": self.return_sequences,
            "return_state": self.return_state,
            "go_backwards": self.go_backwards,
            "stateful": self.stateful,
            "unroll": self.unroll,
            "zero_output_for_mask": self.zero_output_for_mask,
        }
        return {**super().get_config(), **config}
