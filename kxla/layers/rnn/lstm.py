"""LSTM (Keras 3): gates i, f, c, o in that order in kernel (features, 4*units) and bias (4*units,)."""
from __future__ import annotations

import numpy as np

from ... import ops
from .base_rnn import BaseRNN


class LSTM(BaseRNN):
    """Long Short-Term Memory layer (``keras.layers.LSTM``), one ``lstm`` IR node per call.

    Arguments (Keras 3 names and defaults): units, activation="tanh",
    recurrent_activation="sigmoid", use_bias, kernel/recurrent/bias initializers
    ("glorot_uniform", "orthogonal", "zeros"), unit_forget_bias=True (forget-gate
    bias starts at 1), regularizers and constraints, dropout, recurrent_dropout,
    seed, return_sequences, return_state, go_backwards, stateful,
    unroll (ignored), use_cudnn (ignored).

    Weights: kernel (features, 4*units), recurrent_kernel (units, 4*units), bias (4*units,).
    Call: ``layer(sequences, initial_state=[h, c], mask=None, training=None)``;
    with ``return_state`` it returns ``(output, h, c)``.
    """

    gates = 4
    n_states = 2
    op = staticmethod(ops.lstm)

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal",
                 bias_initializer="zeros", unit_forget_bias=True, kernel_regularizer=None,
                 recurrent_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, recurrent_constraint=None, bias_constraint=None, dropout=0.0,
                 recurrent_dropout=0.0, seed=None, return_sequences=False, return_state=False,
                 go_backwards=False, stateful=False, unroll=False, **kwargs):
        super().__init__(units, activation=activation, recurrent_activation=recurrent_activation,
                         use_bias=use_bias, kernel_initializer=kernel_initializer,
                         recurrent_initializer=recurrent_initializer, bias_initializer=bias_initializer,
                         kernel_regularizer=kernel_regularizer, recurrent_regularizer=recurrent_regularizer,
                         bias_regularizer=bias_regularizer, activity_regularizer=activity_regularizer,
                         kernel_constraint=kernel_constraint, recurrent_constraint=recurrent_constraint,
                         bias_constraint=bias_constraint, dropout=dropout, recurrent_dropout=recurrent_dropout,
                         seed=seed, return_sequences=return_sequences, return_state=return_state,
                         go_backwards=go_backwards, stateful=stateful, unroll=unroll, **kwargs)
        self.unit_forget_bias = bool(unit_forget_bias)

    def _bias_initializer(self):
        if not self.unit_forget_bias:
            return self.bias_initializer
        base, units = self.bias_initializer, self.units

        def unit_forget_bias(shape, dtype="float32"):
            return np.concatenate([np.asarray(base((units,), dtype)), np.ones((units,), dtype),
                                   np.asarray(base((2 * units,), dtype))]).astype(dtype)
        return unit_forget_bias

    def _op_attrs(self):
        return {"activation": self._activation_name, "recurrent_activation": self._recurrent_activation_name}

    def get_config(self):
        return {**super().get_config(), "unit_forget_bias": self.unit_forget_bias}
