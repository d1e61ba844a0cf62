"""MelSpectrogram (Keras 3): stft magnitude ** mag_exp, an HTK mel filterbank, then decibels.

The filterbank is a constant ``[fft_length // 2 + 1, num_mel_bins]`` matrix
computed once in float32 (Keras's ``linear_to_mel_weight_matrix``); the
decibel floor ``max - top_db`` is taken over the whole batch, as Keras does.
Outputs are ``(batch, num_mel_bins, frames)`` (or ``(num_mel_bins, frames)``
for one unbatched signal).
"""
from __future__ import annotations

import numpy as np

from ... import ops
from ..layer import Layer

_MEL_BREAK_FREQUENCY_HERTZ = 700.0
_MEL_HIGH_FREQUENCY_Q = 1127.0


def _hertz_to_mel(hertz):
    return np.float32(_MEL_HIGH_FREQUENCY_Q) * np.log(np.float32(1.0) + hertz / np.float32(_MEL_BREAK_FREQUENCY_HERTZ))


def linear_to_mel_weight_matrix(num_mel_bins=20, num_spectrogram_bins=129, sampling_rate=8000,
                                lower_edge_hertz=125.0, upper_edge_hertz=3800.0, dtype="float32"):
    """The ``[num_spectrogram_bins, num_mel_bins]`` matrix of triangular HTK mel filters (peak 1.0)."""
    f32 = np.float32
    linear = np.linspace(f32(0.0), f32(sampling_rate) / f32(2.0), num_spectrogram_bins, dtype=np.float32)[1:]
    bins_mel = _hertz_to_mel(linear)[:, None]
    edges = np.linspace(_hertz_to_mel(f32(lower_edge_hertz)), _hertz_to_mel(f32(upper_edge_hertz)),
                        num_mel_bins + 2, dtype=np.float32)
    lower, center, upper = edges[None, :-2], edges[None, 1:-1], edges[None, 2:]
    weights = np.maximum(f32(0.0), np.minimum((bins_mel - lower) / (center - lower),
                                              (upper - bins_mel) / (upper - center)))
    return np.pad(weights, [[1, 0], [0, 0]]).astype(dtype)


class MelSpectrogram(Layer):
    """Mel-scaled spectrogram of raw audio (``keras.layers.MelSpectrogram``)."""

    def __init__(self, fft_length=2048, sequence_stride=512, sequence_length=None, window="hann",
                 sampling_rate=16000, num_mel_bins=128, min_freq=20.0, max_freq=None, power_to_db=True, top_db=80.0,
                 mag_exp=2.0, min_power=1e-10, ref_power=1.0, **kwargs):
        self.fft_length = fft_length
        self.sequence_stride = sequence_stride
        self.sequence_length = sequence_length or fft_length
        if self.fft_length < self.sequence_length:
            raise ValueError("`fft_length` must be greater than or equal to   `sequence_length`. Received: "
                             f"`sequence_length`={self.sequence_length}, `fft_length`={self.fft_length}.")
        self.window = window
        self.sampling_rate = sampling_rate
        self.num_mel_bins = num_mel_bins
        self.min_freq = min_freq
        self.max_freq = max_freq or int(sampling_rate / 2)
        self.power_to_db = power_to_db
        self.top_db = top_db
        self.mag_exp = mag_exp
        self.min_power = min_power
        self.ref_power = ref_power
        super().__init__(**kwargs)

    def call(self, inputs):
        dtype = self.compute_dtype if self.compute_dtype in ("float32", "float64") else "float32"
        real, imag = ops.stft(ops.cast(inputs, dtype), self.sequence_length, self.sequence_stride, self.fft_length,
                              window=self.window, center=True)
        spec = ops.power(ops.sqrt(ops.square(real) + ops.square(imag)), self.mag_exp)
        matrix = linear_to_mel_weight_matrix(self.num_mel_bins, self.fft_length // 2 + 1, self.sampling_rate,
                                             self.min_freq, self.max_freq, dtype)
        out = ops.tensordot(spec, matrix, axes=1)
        if self.power_to_db:
            out = self._dbscale(out)
        return ops.cast(ops.swapaxes(out, -1, -2), self.compute_dtype)

    def _dbscale(self, x):
        log_spec = 10.0 * ops.log10(ops.maximum(x, self.min_power))
        log_spec = log_spec - 10.0 * float(np.log10(np.maximum(np.float32(abs(self.ref_power)),
                                                               np.float32(self.min_power))))
        return ops.maximum(log_spec, ops.max(log_spec) - self.top_db)

    def compute_output_shape(self, input_shape):
        time = input_shape[0] if len(input_shape) == 1 else input_shape[1]
        frames = None if time is None else (time + self.sequence_stride + 1) // self.sequence_stride
        if len(input_shape) == 1:
            return (self.num_mel_bins, frames)
        return (input_shape[0], self.num_mel_bins, frames)

    def get_config(self):
        return {**super().get_config(), "fft_length": self.fft_length, "sequence_stride": self.sequence_stride,
                "sequence_length": self.sequence_length, "window": self.window, "sampling_rate": self.sampling_rate,
                "num_mel_bins": self.num_mel_bins, "min_freq": self.min_freq, "max_freq": self.max_freq,
                "power_to_db": self.power_to_db, "top_db": self.top_db, "mag_exp": self.mag_exp,
                "min_power": self.min_power, "ref_power": self.ref_power}
