"""ConvLSTM1D/2D/3D (Keras 3): an LSTM whose input and recurrent transformations are convolutions.

``ConvLSTMCell`` is one step: ``conv(x, kernel) + bias`` (the layer's
strides, padding, dilation) plus ``conv(h, recurrent_kernel)`` (stride 1,
"same"), split into the i, f, c, o gates along the channels. The layers are
``RNN(ConvLSTMCell)``, unrolled over a known time axis (one ``scan`` over an unknown one); weights are
Keras's: kernel ``k... x in x 4*filters``, recurrent_kernel
``k... x filters x 4*filters``, bias ``(4*filters,)``.
"""
from __future__ import annotations

import numpy as np

from ... import activations, constraints, initializers, ops, regularizers
from ...config import standardize_data_format
from ...ops.nn_conv import window_output_length
from ..convolutional.base_conv import standardize_padding, standardize_tuple
from .cells import DropoutRNNCell, LSTMCell
from .rnn import RNN
from ..layer import Layer

_WEIGHTS = ("kernel", "recurrent", "bias")


class ConvLSTMCell(DropoutRNNCell, Layer):
    """One step of an N-D convolutional LSTM (Keras's ``ConvLSTMCell``)."""

    def __init__(self, rank, filters, kernel_size, strides=1, padding="valid", data_format=None, dilation_rate=1,
                 activation="tanh", recurrent_activation="sigmoid", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal", bias_initializer="zeros",
                 unit_forget_bias=True, kernel_regularizer=None, recurrent_regularizer=None, bias_regularizer=None,
                 kernel_constraint=None, recurrent_constraint=None, bias_constraint=None, dropout=0.0,
                 recurrent_dropout=0.0, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.rank, self.filters, self.seed = rank, filters, seed
        self.kernel_size = standardize_tuple(kernel_size, rank, "kernel_size")
        self.strides = standardize_tuple(strides, rank, "strides")
        self.dilation_rate = standardize_tuple(dilation_rate, rank, "dilation_rate")
        self.padding = standardize_padding(padding)
        self.data_format = standardize_data_format(data_format)
        self.activation = activations.get(activation)
        self.recurrent_activation = activations.get(recurrent_activation)
        self.use_bias, self.unit_forget_bias = use_bias, unit_forget_bias
        for name, init, reg, con in zip(_WEIGHTS, (kernel_initializer, recurrent_initializer, bias_initializer),
                                        (kernel_regularizer, recurrent_regularizer, bias_regularizer),
                                        (kernel_constraint, recurrent_constraint, bias_constraint)):
            setattr(self, f"{name}_initializer", initializers.get(init))
            setattr(self, f"{name}_regularizer", regularizers.get(reg))
            setattr(self, f"{name}_constraint", constraints.get(con))
        self.dropout = min(1.0, max(0.0, float(dropout)))
        self.recurrent_dropout = min(1.0, max(0.0, float(recurrent_dropout)))
        self.state_size = -1                      # set in build (depends on the spatial output)

    def build(self, input_shape):
        last = self.data_format == "channels_last"
        channels = input_shape[-1] if last else input_shape[1]
        spatial = input_shape[1:-1] if last else input_shape[2:]
        out = [window_output_length("ConvLSTM", s, k, st, d, self.padding)
               for s, k, st, d in zip(spatial, self.kernel_size, self.strides, self.dilation_rate)]
        self._state_shape = tuple(out) + (self.filters,) if last else (self.filters,) + tuple(out)
        self.state_size = [self.filters, self.filters]
        self.kernel = self.add_weight(shape=self.kernel_size + (channels, 4 * self.filters), name="kernel",
                                      initializer=self.kernel_initializer, regularizer=self.kernel_regularizer,
                                      constraint=self.kernel_constraint)
        self.recurrent_kernel = self.add_weight(shape=self.kernel_size + (self.filters, 4 * self.filters),
                                                name="recurrent_kernel", initializer=self.recurrent_initializer,
                                                regularizer=self.recurrent_regularizer,
                                                constraint=self.recurrent_constraint)
        if self.use_bias:
            self.units = self.filters
            init = LSTMCell._bias_init(self) if self.unit_forget_bias else self.bias_initializer
            self.bias = self.add_weight(shape=(4 * self.filters,), name="bias", initializer=init,
                                        regularizer=self.bias_regularizer, constraint=self.bias_constraint)
        else:
            self.bias = None
        self.built = True

    def get_initial_state(self, batch_size=None):
        return [np.zeros((batch_size,) + self._state_shape, self.compute_dtype) for _ in range(2)]

    def call(self, inputs, states, training=False):
        h_prev, c_prev = states[0], states[1]
        x, h_in = inputs, h_prev
        if training and 0.0 < self.dropout < 1.0:
            x = x * self.get_dropout_mask(x)
        if training and 0.0 < self.recurrent_dropout < 1.0:
            h_in = h_in * self.get_recurrent_dropout_mask(h_in)
        z = ops.conv(x, self.kernel, strides=self.strides, padding=self.padding, data_format=self.data_format,
                     dilation_rate=self.dilation_rate)
        if self.bias is not None:
            z = ops.bias_add(z, self.bias, axis=-1 if self.data_format == "channels_last" else 1)
        z = z + ops.conv(h_in, self.recurrent_kernel, strides=1, padding="same", data_format=self.data_format)
        axis = -1 if self.data_format == "channels_last" else 1
        zi, zf, zc, zo = ops.split(z, 4, axis=axis)
        i, f = self.recurrent_activation(zi), self.recurrent_activation(zf)
        c = f * c_prev + i * self.activation(zc)
        h = self.recurrent_activation(zo) * self.activation(c)
        return h, [h, c]


class ConvLSTM(RNN):
    """Shared by ConvLSTM1D/2D/3D: Keras's arguments on ``RNN(ConvLSTMCell(rank, ...))``."""

    rank = 2

    def __init__(self, filters, kernel_size, strides=1, padding="valid", data_format=None, dilation_rate=1,
                 activation="tanh", recurrent_activation="sigmoid", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal", bias_initializer="zeros",
                 unit_forget_bias=True, kernel_regularizer=None, recurrent_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, kernel_constraint=None, recurrent_constraint=None, bias_constraint=None,
                 dropout=0.0, recurrent_dropout=0.0, seed=None, return_sequences=False, return_state=False,
                 go_backwards=False, stateful=False, unroll=False, zero_output_for_mask=False, **kwargs):
        cell = ConvLSTMCell(self.rank, filters, kernel_size, strides=strides, padding=padding,
                            data_format=data_format, dilation_rate=dilation_rate, activation=activation,
                            recurrent_activation=recurrent_activation, use_bias=use_bias,
                            kernel_initializer=kernel_initializer, recurrent_initializer=recurrent_initializer,
                            bias_initializer=bias_initializer, unit_forget_bias=unit_forget_bias,
                            kernel_regularizer=kernel_regularizer, recurrent_regularizer=recurrent_regularizer,
                            bias_regularizer=bias_regularizer, kernel_constraint=kernel_constraint,
                            recurrent_constraint=recurrent_constraint, bias_constraint=bias_constraint,
                            dropout=dropout, recurrent_dropout=recurrent_dropout, seed=seed,
                            name="conv_lstm_cell", dtype=kwargs.get("dtype"))
        super().__init__(cell, return_sequences=return_sequences, return_state=return_state,
                         go_backwards=go_backwards, stateful=stateful, unroll=unroll,
                         zero_output_for_mask=zero_output_for_mask, activity_regularizer=activity_regularizer,
                         **kwargs)
        self.input_spec = None

    def get_config(self):
        cell = self.cell
        config = {**super().get_config()}
        del config["cell"]
        config.update({"filters": cell.filters, "kernel_size": cell.kernel_size, "strides": cell.strides,
                       "padding": cell.padding, "data_format": cell.data_format,
                       "dilation_rate": cell.dilation_rate, "activation": activations.serialize(cell.activation),
                       "recurrent_activation": activations.serialize(cell.recurrent_activation),
                       "use_bias": cell.use_bias, "unit_forget_bias": cell.unit_forget_bias,
                       "dropout": cell.dropout, "recurrent_dropout": cell.recurrent_dropout, "seed": cell.seed,
                       "activity_regularizer": regularizers.serialize(self.activity_regularizer)})
        for name in _WEIGHTS:
            config[f"{name}_initializer"] = initializers.serialize(getattr(cell, f"{name}_initializer"))
            config[f"{name}_regularizer"] = regularizers.serialize(getattr(cell, f"{name}_regularizer"))
            config[f"{name}_constraint"] = constraints.serialize(getattr(cell, f"{name}_constraint"))
        return config

    @classmethod
    def from_config(cls, config):
        return cls(**config)


class ConvLSTM1D(ConvLSTM):
    """1-D convolutional LSTM over ``(batch, time, steps, channels)`` (``keras.layers.ConvLSTM1D``)."""
    rank = 1


class ConvLSTM2D(ConvLSTM):
    """2-D convolutional LSTM over ``(batch, time, rows, cols, channels)`` (``keras.layers.ConvLSTM2D``)."""
    rank = 2


class ConvLSTM3D(ConvLSTM):
    """3-D convolutional LSTM over ``(batch, time, d1, d2, d3, channels)`` (``keras.layers.ConvLSTM3D``)."""
    rank = 3
