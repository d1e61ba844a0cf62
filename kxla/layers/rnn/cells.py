"""Recurrent cells (Keras 3): SimpleRNNCell, LSTMCell, GRUCell — one time step written with kxla.ops.

A cell is a layer called as ``cell(inputs, states, training=False)`` on one
step ``(batch, features)``; it returns ``(output, new_states)``. Weights,
names and gate orders are Keras's (``kernel``, ``recurrent_kernel``,
``bias``), so ``RNN(LSTMCell(n))`` holds the same weights as ``LSTM(n)``.
Dropout masks are drawn once per sequence (``get_dropout_mask``) and reused
at every step until ``reset_dropout_mask()``, as Keras's DropoutRNNCell.
"""
from __future__ import annotations

import numpy as np

from ... import activations, constraints, initializers, ops, regularizers
from ..layer import Layer

_WEIGHT_ARGS = ("kernel", "recurrent", "bias")


class DropoutRNNCell:
    """Mixin: per-sequence dropout masks on the step inputs and on the previous state."""

    def get_dropout_mask(self, step_inputs):
        if getattr(self, "_dropout_mask", None) is None and self.dropout > 0:
            self._dropout_mask = ops.dropout(ops.ones_like(step_inputs), self.dropout)
        return getattr(self, "_dropout_mask", None)

    def get_recurrent_dropout_mask(self, step_state):
        if getattr(self, "_recurrent_dropout_mask", None) is None and self.recurrent_dropout > 0:
            self._recurrent_dropout_mask = ops.dropout(ops.ones_like(step_state), self.recurrent_dropout)
        return getattr(self, "_recurrent_dropout_mask", None)

    def reset_dropout_mask(self):
        self._dropout_mask = None

    def reset_recurrent_dropout_mask(self):
        self._recurrent_dropout_mask = None


class _Cell(DropoutRNNCell, Layer):
    """Arguments, weights and config shared by the three cells; ``gates`` columns per unit."""

    gates = 1

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal", bias_initializer="zeros",
                 kernel_regularizer=None, recurrent_regularizer=None, bias_regularizer=None, kernel_constraint=None,
                 recurrent_constraint=None, bias_constraint=None, dropout=0.0, recurrent_dropout=0.0, seed=None,
                 **kwargs):
        if not isinstance(units, int) or isinstance(units, bool) or units <= 0:
            raise ValueError(f"Received an invalid value for argument `units`, expected a positive integer, "
                             f"got {units}.")
        super().__init__(**kwargs)
        self.units, self.seed = units, seed
        self.activation = activations.get(activation)
        self.recurrent_activation = activations.get(recurrent_activation)
        self.use_bias = use_bias
        for name, init, reg, con in zip(_WEIGHT_ARGS, (kernel_initializer, recurrent_initializer, bias_initializer),
                                        (kernel_regularizer, recurrent_regularizer, bias_regularizer),
                                        (kernel_constraint, recurrent_constraint, bias_constraint)):
            setattr(self, f"{name}_initializer", initializers.get(init))
            setattr(self, f"{name}_regularizer", regularizers.get(reg))
            setattr(self, f"{name}_constraint", constraints.get(con))
        self.dropout = min(1.0, max(0.0, float(dropout)))
        self.recurrent_dropout = min(1.0, max(0.0, float(recurrent_dropout)))
        self.state_size = self.units
        self.output_size = self.units

    def _bias_shape(self):
        return (self.gates * self.units,)

    def _bias_init(self):
        return self.bias_initializer

    def build(self, input_shape):
        width = self.gates * self.units
        self.kernel = self.add_weight(shape=(input_shape[-1], width), name="kernel",
                                      initializer=self.kernel_initializer, regularizer=self.kernel_regularizer,
                                      constraint=self.kernel_constraint)
        self.recurrent_kernel = self.add_weight(shape=(self.units, width), name="recurrent_kernel",
                                                initializer=self.recurrent_initializer,
                                                regularizer=self.recurrent_regularizer,
                                                constraint=self.recurrent_constraint)
        self.bias = self.add_weight(shape=self._bias_shape(), name="bias", initializer=self._bias_init(),
                                    regularizer=self.bias_regularizer,
                                    constraint=self.bias_constraint) if self.use_bias else None
        self.built = True

    def _masked_inputs(self, inputs, h_prev, training):
        if training and 0.0 < self.dropout < 1.0:
            inputs = inputs * self.get_dropout_mask(inputs)
        if training and 0.0 < self.recurrent_dropout < 1.0:
            h_prev = h_prev * self.get_recurrent_dropout_mask(h_prev)
        return inputs, h_prev

    def get_initial_state(self, batch_size=None):
        sizes = self.state_size if isinstance(self.state_size, (list, tuple)) else [self.state_size]
        return [np.zeros((batch_size, s), self.compute_dtype) for s in sizes]

    def get_config(self):
        config = {"units": self.units, "activation": activations.serialize(self.activation),
                  "use_bias": self.use_bias, "dropout": self.dropout, "recurrent_dropout": self.recurrent_dropout,
                  "seed": self.seed}
        for name in _WEIGHT_ARGS:
            config[f"{name}_initializer"] = initializers.serialize(getattr(self, f"{name}_initializer"))
            config[f"{name}_regularizer"] = regularizers.serialize(getattr(self, f"{name}_regularizer"))
            config[f"{name}_constraint"] = constraints.serialize(getattr(self, f"{name}_constraint"))
        return {**super().get_config(), **config}


class SimpleRNNCell(_Cell):
    """One step of a fully connected RNN: ``activation(x @ kernel + bias + h @ recurrent_kernel)``."""

    def __init__(self, units, activation="tanh", use_bias=True, **kwargs):
        super().__init__(units, activation=activation, use_bias=use_bias, **kwargs)

    def call(self, sequence, states, training=False):
        prev = states[0] if isinstance(states, (list, tuple)) else states
        x, prev_in = self._masked_inputs(sequence, prev, training)
        h = ops.matmul(x, self.kernel)
        if self.bias is not None:
            h = h + self.bias
        output = self.activation(h + ops.matmul(prev_in, self.recurrent_kernel))
        return output, ([output] if isinstance(states, (list, tuple)) else output)

    def get_config(self):
        config = super().get_config()
        return config


class LSTMCell(_Cell):
    """One LSTM step; gates i, f, c, o; states ``[h, c]`` (``keras.layers.LSTMCell``)."""

    gates = 4

    def __init__(self, units, unit_forget_bias=True, **kwargs):
        super().__init__(units, **kwargs)
        self.unit_forget_bias = unit_forget_bias
        self.state_size = [self.units, self.units]

    def _bias_init(self):
        if not self.unit_forget_bias:
            return self.bias_initializer
        base, units = self.bias_initializer, self.units

        def unit_forget_bias(shape, dtype="float32"):
            return np.concatenate([np.asarray(base((units,), dtype)), np.ones((units,), dtype),
                                   np.asarray(base((2 * units,), dtype))]).astype(dtype)
        return unit_forget_bias

    def call(self, inputs, states, training=False):
        h_prev, c_prev = states[0], states[1]
        x, h_in = self._masked_inputs(inputs, h_prev, training)
        z = ops.matmul(x, self.kernel) + ops.matmul(h_in, self.recurrent_kernel)
        if self.bias is not None:
            z = z + self.bias
        u = self.units
        i, f = self.recurrent_activation(z[:, :u]), self.recurrent_activation(z[:, u:2 * u])
        c = f * c_prev + i * self.activation(z[:, 2 * u:3 * u])
        h = self.recurrent_activation(z[:, 3 * u:]) * self.activation(c)
        return h, [h, c]

    def get_config(self):
        return {**super().get_config(), "unit_forget_bias": self.unit_forget_bias,
                "recurrent_activation": activations.serialize(self.recurrent_activation)}


class GRUCell(_Cell):
    """One GRU step; gates z, r, h; ``reset_after=True`` has a ``(2, 3*units)`` bias (``keras.layers.GRUCell``)."""

    gates = 3

    def __init__(self, units, reset_after=True, **kwargs):
        kwargs.pop("implementation", None)
        super().__init__(units, **kwargs)
        self.reset_after = reset_after

    def _bias_shape(self):
        return (2, 3 * self.units) if self.reset_after else (3 * self.units,)

    def call(self, inputs, states, training=False):
        h_prev = states[0] if isinstance(states, (list, tuple)) else states
        x, h_in = self._masked_inputs(inputs, h_prev, training)
        u = self.units
        in_bias = rec_bias = None
        if self.bias is not None:
            in_bias, rec_bias = (self.bias[0], self.bias[1]) if self.reset_after else (self.bias, None)
        mx = ops.matmul(x, self.kernel)
        if in_bias is not None:
            mx = mx + in_bias
        if self.reset_after:
            inner = ops.matmul(h_in, self.recurrent_kernel)
            if rec_bias is not None:
                inner = inner + rec_bias
        else:
            inner = ops.matmul(h_in, self.recurrent_kernel[:, :2 * u])
        z = self.recurrent_activation(mx[:, :u] + inner[:, :u])
        r = self.recurrent_activation(mx[:, u:2 * u] + inner[:, u:2 * u])
        if self.reset_after:
            rec_h = r * inner[:, 2 * u:]
        else:
            rec_h = ops.matmul(r * h_in, self.recurrent_kernel[:, 2 * u:])
        hh = self.activation(mx[:, 2 * u:] + rec_h)
        h = z * h_prev + (1.0 - z) * hh
        return h, ([h] if isinstance(states, (list, tuple)) else h)

    def get_config(self):
        return {**super().get_config(), "reset_after": self.reset_after,
                "recurrent_activation": activations.serialize(self.recurrent_activation)}
