"""GRU (Keras 3): gates z, r, h; ``reset_after=True`` (default) keeps a (2, 3*units) bias."""
from __future__ import annotations

from ... import ops
from .base_rnn import BaseRNN


class GRU(BaseRNN):
    """Gated Recurrent Unit (``keras.layers.GRU``), one ``gru`` IR node per call.

    Arguments (Keras 3 names and defaults): units, activation="tanh",
    recurrent_activation="sigmoid", use_bias, kernel/recurrent/bias initializers
    ("glorot_uniform", "orthogonal", "zeros"), regularizers and constraints,
    dropout, recurrent_dropout, seed, return_sequences, return_state,
    go_backwards, stateful, unroll (ignored), reset_after=True,
    use_cudnn (ignored).

    Weights: kernel (features, 3*units), recurrent_kernel (units, 3*units), bias
    (2, 3*units) with reset_after (input bias, recurrent bias), else (3*units,).
    Call: ``layer(sequences, initial_state=h, mask=None, training=None)``.
    """

    gates = 3
    n_states = 1
    op = staticmethod(ops.gru)

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal",
                 bias_initializer="zeros", kernel_regularizer=None, recurrent_regularizer=None,
                 bias_regularizer=None, activity_regularizer=None, kernel_constraint=None,
                 recurrent_constraint=None, bias_constraint=None, dropout=0.0, recurrent_dropout=0.0,
                 seed=None, return_sequences=False, return_state=False, go_backwards=False, stateful=False,
                 unroll=False, reset_after=True, **kwargs):
        super().__init__(units, activation=activation, recurrent_activation=recurrent_activation,
                         use_bias=use_bias, kernel_initializer=kernel_initializer,
                         recurrent_initializer=recurrent_initializer, bias_initializer=bias_initializer,
                         kernel_regularizer=kernel_regularizer, recurrent_regularizer=recurrent_regularizer,
                         bias_regularizer=bias_regularizer, activity_regularizer=activity_regularizer,
                         kernel_constraint=kernel_constraint, recurrent_constraint=recurrent_constraint,
                         bias_constraint=bias_constraint, dropout=dropout, recurrent_dropout=recurrent_dropout,
                         seed=seed, return_sequences=return_sequences, return_state=return_state,
                         go_backwards=go_backwards, stateful=stateful, unroll=unroll, **kwargs)
        self.reset_after = bool(reset_after)

    def _bias_shape(self):
        return (2, 3 * self.units) if self.reset_after else (3 * self.units,)

    def _op_attrs(self):
        return {"activation": self._activation_name, "recurrent_activation": self._recurrent_activation_name,
                "reset_after": self.reset_after}

    def get_config(self):
        return {**super().get_config(), "reset_after": self.reset_after}
