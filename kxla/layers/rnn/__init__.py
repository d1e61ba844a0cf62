"""Recurrent layers (Keras 3 names): SimpleRNN, LSTM, GRU, Bidirectional, TimeDistributed.

Each SimpleRNN / LSTM / GRU call is one recurrent IR node (``simple_rnn``,
``lstm``, ``gru``) lowered to one ``jax.lax.scan``.
"""
from .base_rnn import BaseRNN
from .simple_rnn import SimpleRNN
from .lstm import LSTM
from .gru import GRU
from .bidirectional import Bidirectional
from .time_distributed import TimeDistributed

__all__ = ["BaseRNN", "SimpleRNN", "LSTM", "GRU", "Bidirectional", "TimeDistributed"]
from .cells import GRUCell, LSTMCell, SimpleRNNCell  # noqa: E402
from .rnn import RNN, StackedRNNCells  # noqa: E402
__all__ += ["GRUCell", "LSTMCell", "SimpleRNNCell", "RNN", "StackedRNNCells"]
from .conv_lstm import ConvLSTM1D, ConvLSTM2D, ConvLSTM3D  # noqa: E402
__all__ += ["ConvLSTM1D", "ConvLSTM2D", "ConvLSTM3D"]
