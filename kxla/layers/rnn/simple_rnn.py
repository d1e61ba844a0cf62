"""SimpleRNN (Keras 3): ``h_t = activation(x_t @ kernel + h_{t-1} @ recurrent_kernel + bias)``."""
from __future__ import annotations

from ... import ops
from .base_rnn import BaseRNN


class SimpleRNN(BaseRNN):
    """Fully connected RNN whose output is fed back as its input (``keras.layers.SimpleRNN``).

    Arguments (Keras 3 names and defaults): units, activation="tanh", use_bias,
    kernel/recurrent/bias initializers ("glorot_uniform", "orthogonal", "zeros"),
    regularizers and constraints, dropout, recurrent_dropout, seed,
    return_sequences, return_state, go_backwards, stateful, unroll
    (ignored: always one ``lax.scan``).

    Weights: kernel (features, units), recurrent_kernel (units, units), bias (units,).
    Call: ``layer(sequences, initial_state=None, mask=None, training=None)``.
    """

    gates = 1
    n_states = 1
    op = staticmethod(ops.simple_rnn)

    def __init__(self, units, activation="tanh", use_bias=True, kernel_initializer="glorot_uniform",
                 recurrent_initializer="orthogonal", bias_initializer="zeros", kernel_regularizer=None,
                 recurrent_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, recurrent_constraint=None, bias_constraint=None, dropout=0.0,
                 recurrent_dropout=0.0, return_sequences=False, return_state=False, go_backwards=False,
                 stateful=False, unroll=False, seed=None, **kwargs):
        super().__init__(units, activation=activation, use_bias=use_bias, kernel_initializer=kernel_initializer,
                         recurrent_initializer=recurrent_initializer, bias_initializer=bias_initializer,
                         kernel_regularizer=kernel_regularizer, recurrent_regularizer=recurrent_regularizer,
                         bias_regularizer=bias_regularizer, activity_regularizer=activity_regularizer,
                         kernel_constraint=kernel_constraint, recurrent_constraint=recurrent_constraint,
                         bias_constraint=bias_constraint, dropout=dropout, recurrent_dropout=recurrent_dropout,
                         seed=seed, return_sequences=return_sequences, return_state=return_state,
                         go_backwards=go_backwards, stateful=stateful, unroll=unroll, **kwargs)

    def get_config(self):
        config = super().get_config()
        config.pop("recurrent_activation")
        return config
